package io.brook.metadata.quorum;

import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One voter of the metadata quorum: a Raft log of opaque entries replicated among the controller voters
 * with Apache Ratis over its Netty transport. The leader accepts {@link #propose proposals}; every voter
 * hands each committed entry, in log order, to its {@link QuorumListener}, which also owns the snapshots.
 * The leader also answers requests other nodes forward with {@link QuorumClient}. A voter removed with
 * {@link #removeVoter removeVoter(id, true)} goes on as a Ratis listener: it receives and delivers the log without
 * voting.
 *
 * <p>Ratis listens on this voter's own address from {@code controller.quorum.voters} and keeps its log in
 * {@link QuorumConfig#storageDir()}; a voter restarted after a crash (even SIGKILL) resumes from its own
 * snapshot and log, a torn log tail being truncated.
 *
 * <p>Thread-safety: every method may be called from any thread. Life cycle: construct, {@link #start},
 * {@link #close}; not restartable (build a new one on the same storage).
 */
public final class RaftQuorum implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftQuorum.class);
    /** How long {@link #close} waits for another thread's close of the same voter. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(60);
    /** How long a leader that is no voter any more waits for a voter to take over before it stops leading. */
    static final Duration HANDOVER_WAIT = Duration.ofSeconds(5);
    /** How often a member that reopens as a listener is started before this node gives up. */
    static final int REOPEN_ATTEMPTS = 3;
    static final Duration REOPEN_BACKOFF = Duration.ofSeconds(1);
    /** How long adding a listener as a voter waits for it to be caught up and answering. */
    static final Duration LISTENER_CATCH_UP_WAIT = Duration.ofSeconds(30);
    static final Duration LISTENER_CATCH_UP_POLL = Duration.ofMillis(100);

    private final QuorumConfig config;
    private final RaftGroupId groupId;
    private final RaftPeerId selfId;
    private final QuorumListener listener;
    private final ForwardedRequestHandler handler;
    private final ExecutorService listenerThread;
    /** Replaced when the node reopens as a listener ({@link #reopenAsListener}). */
    private volatile QuorumStateMachine stateMachine;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reopening = new AtomicBoolean();
    /** Completed once {@link #close} finished, for callers that found another thread closing. */
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile RaftServer server;
    private volatile RaftServer.Division division;

    /**
     * @param handler answers forwarded requests while this voter leads; null when it takes none
     */
    public RaftQuorum(QuorumConfig config, QuorumListener listener, ForwardedRequestHandler handler) {
        this.config = Objects.requireNonNull(config, "config");
        this.groupId = RatisProperties.groupId(config.clusterId());
        this.selfId = RatisProperties.peerId(config.nodeId());
        this.listener = Objects.requireNonNull(listener, "listener");
        this.handler = handler;
        this.listenerThread = QuorumStateMachine.newListenerThread(config.nodeId());
        this.stateMachine = newStateMachine(null);
    }

    private QuorumStateMachine newStateMachine(TermIndex resumeAt) {
        return new QuorumStateMachine(config.nodeId(), listener, handler, config.requestTimeout(),
                this::stopAfterListenerFailure, this::checkMembership, resumeAt, listenerThread);
    }

    /**
     * Opens the storage, hands the start-up snapshot to the listener, binds the transport and joins the
     * quorum. Returns without waiting for a leader.
     *
     * @throws IOException when the storage cannot be opened or the address cannot be bound
     */
    public synchronized void start() throws IOException {
        if (server != null || closed.get()) {
            throw new IllegalStateException("metadata quorum node " + config.nodeId() + " was already started");
        }
        checkAddressFree();
        // a joining node starts in no configuration: the leader's AddVoter brings it in (and its log the voter set)
        RaftGroup group = config.joining() ? RaftGroup.valueOf(groupId)
                : RaftGroup.valueOf(groupId, RatisProperties.peers(config.voters()));
        try {
            startServer(group);
        } catch (IOException e) {
            stateMachine.stopListenerThread();
            throw e;
        }
        log.info("metadata quorum node {} started: voters {}, storage {}", config.nodeId(), config.voters().keySet(),
                config.storageDir());
    }

    /** Builds and starts the Ratis server on this voter's storage, with {@link #stateMachine}. */
    private void startServer(RaftGroup group) throws IOException {
        QuorumStateMachine stateMachine = this.stateMachine;
        RaftServer s = RaftServer.newBuilder()
                .setServerId(selfId)
                .setGroup(group)
                .setStateMachine(stateMachine)
                .setProperties(RatisProperties.server(config))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        try {
            s.start();
            RaftServer.Division d = s.getDivision(groupId);
            stateMachine.attach(d);
            this.division = d;
            this.server = s;
        } catch (IOException | RuntimeException e) {
            abandon(s);
            throw new IOException("metadata quorum node " + config.nodeId() + " could not start on "
                    + address() + " with storage " + config.storageDir() + ": " + rootMessage(e), e);
        }
    }

    /**
     * Appends an entry; completes once a majority has it and this voter's listener has been given it.
     * Fails at once with {@link NotLeaderException} on a voter that is not the ready leader, and with
     * {@link QuorumTimeoutException} after the request timeout (the entry may then still commit).
     */
    public CompletableFuture<Committed> propose(ByteBuffer entry) {
        RaftServer.Division d = division;
        RaftServer s = server;
        if (d == null || s == null || closed.get()) {
            return CompletableFuture.failedFuture(new QuorumException(
                    "metadata quorum node " + config.nodeId() + " is not running", false));
        }
        if (stateMachine.failed()) {
            return CompletableFuture.failedFuture(new QuorumException(
                    "metadata quorum node " + config.nodeId() + " stopped after its listener failed", false));
        }
        if (entry.remaining() > config.maxEntryBytes()) {
            return CompletableFuture.failedFuture(new QuorumException("entry of " + entry.remaining()
                    + " bytes is larger than the quorum's limit of " + config.maxEntryBytes() + " bytes", false));
        }
        if (!isLeader()) {
            return CompletableFuture.failedFuture(new NotLeaderException(config.nodeId(), otherLeader()));
        }
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(selfId)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(ByteString.copyFrom(entry.duplicate())))
                .setType(RaftClientRequest.writeRequestType())
                .build();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new QuorumException(e.getMessage(), true, e));
        }
        long timeoutMs = config.requestTimeout().toMillis();
        return reply.thenApply(this::committed)
                .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(mapFailure(e, timeoutMs)));
    }

    private Committed committed(RaftClientReply reply) {
        if (reply.isSuccess()) {
            return new Committed(reply.getLogIndex(), QuorumStateMachine.termOf(reply.getMessage()));
        }
        RaftException e = reply.getException();
        if (reply.getNotLeaderException() != null || e instanceof LeaderNotReadyException
                || e instanceof LeaderSteppingDownException) {
            throw new NotLeaderException(config.nodeId(), otherLeader());
        }
        throw new QuorumException("metadata quorum node " + config.nodeId() + " could not commit: "
                + (e == null ? "unknown failure" : e.getMessage()), true, e);
    }

    private Throwable mapFailure(Throwable e, long timeoutMs) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof QuorumException) {
            return cause;
        }
        if (cause instanceof TimeoutException) {
            return new QuorumTimeoutException("metadata quorum node " + config.nodeId() + ": no commit within "
                    + timeoutMs + " ms (no majority of " + config.voters().size()
                    + " voters reachable?); the entry may still commit", cause);
        }
        return new QuorumException("metadata quorum node " + config.nodeId() + ": " + cause, true, cause);
    }

    /** The leader this voter knows of (itself included, even before it is ready), or -1. */
    public int leaderId() {
        RaftServer.Division d = division;
        return d == null ? -1 : RatisProperties.nodeId(d.getInfo().getLeaderId());
    }

    /** The leader to send a refused request to: -1 rather than this voter itself while it steps down. */
    private int otherLeader() {
        int leader = leaderId();
        return leader == config.nodeId() ? -1 : leader;
    }

    /** This voter's current Raft term. */
    public long term() {
        RaftServer.Division d = division;
        return d == null ? -1 : d.getInfo().getCurrentTerm();
    }

    /**
     * Whether this node's quorum member runs: false once closed or stopped (by Ratis, or after a listener failure),
     * and while it reopens as a listener.
     */
    public boolean isRunning() {
        RaftServer.Division d = division;
        return d != null && !closed.get() && d.getInfo().isAlive();
    }

    /** True while this voter leads and has applied every entry of earlier terms: it may propose. */
    public boolean isLeader() {
        RaftServer.Division d = division;
        return d != null && d.getInfo().isLeader() && d.getInfo().isLeaderReady();
    }

    /** The highest Raft index this voter knows committed. */
    public long lastCommittedIndex() {
        RaftServer.Division d = division;
        return d == null ? -1 : d.getRaftLog().getLastCommittedIndex();
    }

    /** The highest index given to the listener (entries and Raft's own entries). */
    public long lastAppliedIndex() {
        return stateMachine.deliveredIndex();
    }

    /**
     * Whether this voter has applied everything the quorum committed before its current leader was elected: a
     * leader is known and this voter applied an entry of the leader's term (a new leader's first entry is one). Its
     * own committed index alone is not enough after a restart: it may lag until the leader's first append.
     */
    public boolean caughtUpWithLeader() {
        RaftServer.Division d = division;
        return d != null && leaderId() >= 0 && stateMachine.deliveredTerm() == d.getInfo().getCurrentTerm()
                && lastAppliedIndex() >= lastCommittedIndex() && lastAppliedIndex() >= leaderCommitIndex(d);
    }

    /**
     * The leader's committed index as it last reported it (its appends carry it), or Long.MAX_VALUE while it has
     * not: a voter catching up after a restart knows only the part of the log it has received as committed.
     */
    private long leaderCommitIndex(RaftServer.Division d) {
        RaftPeerId leader = d.getInfo().getLeaderId();
        if (leader == null) {
            return Long.MAX_VALUE;
        }
        return d.getCommitInfos().stream().filter(info -> leader.toByteString().equals(info.getServer().getId()))
                .mapToLong(CommitInfoProto::getCommitIndex).findFirst().orElse(Long.MAX_VALUE);
    }

    /** The first index still in this voter's Raft log (earlier ones are in a snapshot). */
    public long firstLogIndex() {
        RaftServer.Division d = division;
        return d == null ? -1 : d.getRaftLog().getStartIndex();
    }

    /** The newest snapshot in the quorum's storage, or null. */
    QuorumSnapshot latestSnapshot() {
        return stateMachine.store().latest();
    }

    public QuorumConfig config() {
        return config;
    }

    /** This voter's view of the quorum (complete on the leader), for DescribeQuorum. */
    public QuorumStatus status() {
        RaftServer.Division d = division;
        if (d == null) {
            return new QuorumStatus(config.nodeId(), -1, -1, -1, lastAppliedIndex(), List.of(), List.of());
        }
        long now = System.currentTimeMillis();
        RoleInfoProto role = d.getInfo().getRoleInfoProto();
        long ownLogEnd = d.getRaftLog().getLastEntryTermIndex() == null
                ? -1 : d.getRaftLog().getLastEntryTermIndex().getIndex();
        int leader = leaderId();
        List<QuorumStatus.Voter> voters = new ArrayList<>();
        Map<Integer, long[]> followers = new HashMap<>();
        if (role.getRole() == RaftPeerRole.LEADER && role.hasLeaderInfo()) {
            List<ServerRpcProto> infos = role.getLeaderInfo().getFollowerInfoList();
            long[] match = d.getInfo().getFollowerMatchIndices();
            for (int i = 0; i < infos.size(); i++) {
                ServerRpcProto info = infos.get(i);
                long matchIndex = match != null && match.length == infos.size() ? match[i] : -1;
                followers.put(RatisProperties.nodeId(RaftPeerId.valueOf(info.getId().getId())),
                        new long[] {matchIndex, now - info.getLastRpcElapsedTimeMs()});
            }
        }
        long leaderContact = -1;
        if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
            leaderContact = now - role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs();
        }
        for (RaftPeer peer : d.getRaftConf().getCurrentPeers()) {
            voters.add(member(RatisProperties.nodeId(peer.getId()), role, ownLogEnd, now, followers, leader,
                    leaderContact));
        }
        voters.sort(Comparator.comparingInt(QuorumStatus.Voter::id));
        List<QuorumStatus.Voter> observers = new ArrayList<>();
        for (RaftPeer peer : d.getRaftConf().getCurrentPeers(RaftPeerRole.LISTENER)) {
            QuorumStatus.Voter o = member(RatisProperties.nodeId(peer.getId()), role, ownLogEnd, now, followers,
                    leader, leaderContact);
            observers.add(new QuorumStatus.Voter(o.id(), QuorumStatus.Role.OBSERVER, o.logEndIndex(),
                    o.lastContactMs()));
        }
        observers.sort(Comparator.comparingInt(QuorumStatus.Voter::id));
        return new QuorumStatus(config.nodeId(), leader, term(), lastCommittedIndex(), lastAppliedIndex(), voters,
                observers);
    }

    /** One member as this node sees it: itself exactly, the others as the leader's appends to them went. */
    private QuorumStatus.Voter member(int id, RoleInfoProto role, long ownLogEnd, long now,
                                     Map<Integer, long[]> followers, int leader, long leaderContact) {
        if (id == config.nodeId()) {
            return new QuorumStatus.Voter(id, role(role.getRole()), ownLogEnd, now);
        } else if (followers.containsKey(id)) {
            long[] f = followers.get(id);
            return new QuorumStatus.Voter(id, QuorumStatus.Role.FOLLOWER, f[0], f[1]);
        } else if (id == leader) {
            return new QuorumStatus.Voter(id, QuorumStatus.Role.LEADER, -1, leaderContact);
        }
        return new QuorumStatus.Voter(id, QuorumStatus.Role.UNKNOWN, -1, -1);
    }

    private static QuorumStatus.Role role(RaftPeerRole role) {
        return switch (role) {
            case LEADER -> QuorumStatus.Role.LEADER;
            case FOLLOWER -> QuorumStatus.Role.FOLLOWER;
            case CANDIDATE -> QuorumStatus.Role.CANDIDATE;
            case LISTENER -> QuorumStatus.Role.OBSERVER;
            default -> QuorumStatus.Role.UNKNOWN;
        };
    }

    /**
     * Asks this voter to snapshot now (its listener's {@code takeSnapshot}) and purge its log; completes
     * with the snapshot's index. Each voter snapshots on its own; Ratis also does it every
     * {@link QuorumConfig#snapshotThreshold()} entries.
     */
    public CompletableFuture<Long> takeSnapshot() {
        RaftServer s = server;
        if (s == null || closed.get()) {
            return CompletableFuture.failedFuture(new QuorumException("metadata quorum node "
                    + config.nodeId() + " is not running", false));
        }
        SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(clientId, selfId, groupId,
                callIds.incrementAndGet(), config.requestTimeout().toMillis() * 5, 1);
        return s.snapshotManagementAsync(request).thenApply(reply -> {
            if (!reply.isSuccess()) {
                throw new QuorumException("snapshot on node " + config.nodeId() + " failed: "
                        + reply.getException(), true, reply.getException());
            }
            return reply.getLogIndex();
        });
    }

    /**
     * Adds a voter (KIP-853's AddRaftVoter): on the leader only. The new voter must already run, either joining
     * (started without a configuration) or following as a listener (a removed voter kept as one): it catches up
     * from the leader's snapshot and log.
     */
    public CompletableFuture<Void> addVoter(int id, InetSocketAddress address) {
        if (!listenerIds().contains(id)) {
            List<RaftPeer> voters = currentPeers(RaftPeerRole.FOLLOWER, id);
            voters.add(RatisProperties.peer(id, address));
            return setConfiguration(voters, currentPeers(RaftPeerRole.LISTENER, id));
        }
        // Ratis counts a listener as present and goes straight to the joint configuration, which a listener that is
        // down or behind would keep from committing (and Ratis does not roll it back): it must be caught up first
        CompletableFuture<Void> result = new CompletableFuture<>();
        addWhenCaughtUp(id, address, System.nanoTime() + LISTENER_CATCH_UP_WAIT.toNanos(), result);
        return result;
    }

    /**
     * Makes listener {@code id} a voter once its log reaches the commit index; fails at once when the leader has not
     * heard from it within two election timeouts, and after {@code deadlineNs} when it does not catch up. Stops when
     * {@code result} completed otherwise (the caller's own time limit).
     */
    private void addWhenCaughtUp(int id, InetSocketAddress address, long deadlineNs, CompletableFuture<Void> result) {
        if (result.isDone()) {
            return;
        }
        if (!listenerIds().contains(id)) {
            result.completeExceptionally(new QuorumException("node " + id + " stopped being a listener of the "
                    + "metadata quorum while it was waited for", true));
            return;
        }
        QuorumStatus status = status();
        QuorumStatus.Voter seen = status.observers().stream().filter(o -> o.id() == id).findFirst().orElse(null);
        long sinceMs = seen == null || seen.lastContactMs() < 0 ? -1
                : System.currentTimeMillis() - seen.lastContactMs();
        boolean answering = sinceMs >= 0 && sinceMs <= 2 * config.electionTimeout().toMillis();
        if (seen != null && answering && seen.logEndIndex() >= status.commitIndex()) {
            // the configuration as it is now: Ratis replaces it whole, so a change made meanwhile is kept
            List<RaftPeer> voters = currentPeers(RaftPeerRole.FOLLOWER, id);
            voters.add(RatisProperties.peer(id, address));
            setConfiguration(voters, currentPeers(RaftPeerRole.LISTENER, id)).whenComplete((ok, failure) -> {
                if (failure == null) {
                    result.complete(null);
                } else {
                    result.completeExceptionally(failure);
                }
            });
        } else if (!isLeader()) {
            result.completeExceptionally(new NotLeaderException(config.nodeId(), otherLeader()));
        } else if (!answering || System.nanoTime() > deadlineNs) {
            result.completeExceptionally(new QuorumException("node " + id + " follows the metadata log as a listener "
                    + "but is not caught up: its log ends at " + (seen == null ? -1 : seen.logEndIndex())
                    + ", the quorum committed " + status.commitIndex() + ", last heard from "
                    + (sinceMs < 0 ? "never" : sinceMs + " ms ago") + " (is it running?)", true));
        } else {
            CompletableFuture.delayedExecutor(LISTENER_CATCH_UP_POLL.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> addWhenCaughtUp(id, address, deadlineNs, result));
        }
    }

    /**
     * Removes a voter (KIP-853's RemoveRaftVoter): on the leader only. With {@code keepAsListener} the removed node
     * goes on receiving the log as a Ratis listener (Kafka's observer: it no longer votes nor counts for commits, but
     * its metadata keeps moving); it reopens itself in that role ({@link #reopenAsListener}), the leader handing its
     * leadership to a voter first. Without, Ratis stops the removed node's quorum member.
     */
    public CompletableFuture<Void> removeVoter(int id, boolean keepAsListener) {
        List<RaftPeer> listeners = currentPeers(RaftPeerRole.LISTENER, id);
        if (keepAsListener) {
            RaftServer.Division d = division;
            RaftPeer removed = d == null ? null : d.getRaftConf().getPeer(RatisProperties.peerId(id));
            if (removed != null) {
                listeners.add(RaftPeer.newBuilder(removed).setStartupRole(RaftPeerRole.LISTENER).build());
            }
        }
        return setConfiguration(currentPeers(RaftPeerRole.FOLLOWER, id), listeners)
                .whenComplete((ok, failure) -> checkMembership(true)); // when this leader removed itself
    }

    /**
     * Makes node {@code id}, reached at {@code address}, a listener (Kafka's observer: it receives the log, votes in
     * nothing): on the leader only. Ratis catches it up (snapshot, tail) before the configuration commits, so it must
     * run, either joining (started without a configuration) or as a listener this leader dropped. Nothing changes for
     * a node that already votes or listens.
     */
    public CompletableFuture<Void> addListener(int id, InetSocketAddress address) {
        if (voterIds().contains(id) || listenerIds().contains(id)) {
            return CompletableFuture.completedFuture(null);
        }
        List<RaftPeer> listeners = currentPeers(RaftPeerRole.LISTENER, id);
        listeners.add(RaftPeer.newBuilder(RatisProperties.peer(id, address)).setStartupRole(RaftPeerRole.LISTENER)
                .build());
        return setConfiguration(currentPeers(RaftPeerRole.FOLLOWER, id), listeners);
    }

    /** Drops listeners (removed voters kept as observers) from the configuration: on the leader only. */
    public CompletableFuture<Void> removeListeners(Collection<Integer> ids) {
        List<RaftPeer> listeners = currentPeers(RaftPeerRole.LISTENER, -1);
        listeners.removeIf(p -> ids.contains(RatisProperties.nodeId(p.getId())));
        return setConfiguration(currentPeers(RaftPeerRole.FOLLOWER, -1), listeners);
    }

    /** The peers of {@code role} in the current configuration, but {@code except}. */
    private List<RaftPeer> currentPeers(RaftPeerRole role, int except) {
        List<RaftPeer> peers = new ArrayList<>();
        RaftServer.Division d = division;
        if (d != null) {
            for (RaftPeer p : d.getRaftConf().getCurrentPeers(role)) {
                if (RatisProperties.nodeId(p.getId()) != except) {
                    peers.add(p);
                }
            }
        }
        return peers;
    }

    /**
     * The listeners this leader has not heard from for {@code quiet} (or never): on the leader only (a follower knows
     * no listener's last contact, and returns them all).
     */
    public List<Integer> silentListeners(Duration quiet) {
        long now = System.currentTimeMillis();
        return status().observers().stream()
                .filter(o -> o.lastContactMs() < 0 || now - o.lastContactMs() > quiet.toMillis())
                .map(QuorumStatus.Voter::id).toList();
    }

    /** The ids of the nodes that follow the log as listeners (removed voters kept as observers). */
    public List<Integer> listenerIds() {
        RaftServer.Division d = division;
        if (d == null) {
            return List.of();
        }
        return d.getRaftConf().getCurrentPeers(RaftPeerRole.LISTENER).stream()
                .map(p -> RatisProperties.nodeId(p.getId())).sorted().toList();
    }

    /** The voter ids of the current Raft configuration (the static voters until one is added or removed). */
    public List<Integer> voterIds() {
        RaftServer.Division d = division;
        if (d == null) {
            return List.copyOf(config.voters().keySet());
        }
        return d.getRaftConf().getCurrentPeers().stream().map(p -> RatisProperties.nodeId(p.getId()))
                .sorted().toList();
    }

    /**
     * The voters of the current Raft configuration with their addresses (the controller listeners they were added
     * with), by id in increasing order.
     */
    public Map<Integer, InetSocketAddress> voterAddresses() {
        RaftServer.Division d = division;
        if (d == null) {
            return new java.util.TreeMap<>(config.voters());
        }
        Map<Integer, InetSocketAddress> voters = new java.util.TreeMap<>();
        for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
            String address = p.getAddress();
            int colon = address.lastIndexOf(':');
            voters.put(RatisProperties.nodeId(p.getId()), InetSocketAddress.createUnresolved(
                    address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
        }
        return voters;
    }

    private CompletableFuture<Void> setConfiguration(List<RaftPeer> peers, List<RaftPeer> listeners) {
        RaftServer s = server;
        if (s == null || closed.get()) {
            return CompletableFuture.failedFuture(new QuorumException("metadata quorum node "
                    + config.nodeId() + " is not running", false));
        }
        if (!isLeader()) {
            return CompletableFuture.failedFuture(new NotLeaderException(config.nodeId(), otherLeader()));
        }
        SetConfigurationRequest request = new SetConfigurationRequest(clientId, selfId, groupId,
                callIds.incrementAndGet(), SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(peers).setListenersInNewConf(listeners).build());
        String change = "changing the voters to " + peers + " (listeners " + listeners + ") failed: ";
        try {
            return s.setConfigurationAsync(request).handle((reply, error) -> {
                // Ratis refuses a change while another runs by failing the future (not in the reply)
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (cause instanceof ReconfigurationInProgressException) {
                    throw changeFailed(change, cause);
                }
                if (error != null) {
                    throw error instanceof CompletionException c ? c : new CompletionException(error);
                }
                if (!reply.isSuccess()) {
                    throw changeFailed(change, reply.getException());
                }
                return null;
            });
        } catch (ReconfigurationInProgressException e) {
            return CompletableFuture.failedFuture(changeFailed(change, e));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new QuorumException(e.getMessage(), true, e));
        }
    }

    /** A refused configuration change: ChangeInProgressException when only another change in progress refused it. */
    private static QuorumException changeFailed(String change, Throwable cause) {
        return cause instanceof ReconfigurationInProgressException
                ? new ChangeInProgressException(change + cause, cause)
                : new QuorumException(change + cause, true, cause);
    }

    /**
     * After a configuration entry was applied, a snapshot installed or Ratis stopped this node's member by itself:
     * Ratis keeps a voter that a change turned into a listener in the follower role, a follower that then loses its
     * leader runs an election, finds itself in no voter set and stops its member, and a removed leader keeps leading.
     * So a node whose current configuration names it a listener while its member does not run as one reopens as a
     * listener, on its own thread.
     */
    private void checkMembership() {
        checkMembership(false);
    }

    /**
     * @param afterOwnChange on the leader, after its own configuration change was answered: a leader reopens then
     *                       only, as closing it earlier would fail the change it committed
     */
    private void checkMembership(boolean afterOwnChange) {
        RaftServer.Division d = division;
        if (d == null || closed.get() || (d.getInfo().isLeader() && !afterOwnChange) || !mustReopenAsListener(d)
                || !reopening.compareAndSet(false, true)) {
            return;
        }
        Thread reopen = new Thread(this::reopenAsListener, "brook-quorum-" + config.nodeId() + "-reopen");
        reopen.setDaemon(true);
        reopen.start();
    }

    /**
     * Whether the current (latest, stable) configuration names this node a listener while its member does not run
     * as one. The latest configuration, not the entry being applied: a voter re-added after being a listener replays
     * the listener entry after a restart.
     */
    private boolean mustReopenAsListener(RaftServer.Division d) {
        RaftConfiguration conf = d.getRaftConf();
        boolean stable = conf.getPreviousPeers().isEmpty() && conf.getPreviousPeers(RaftPeerRole.LISTENER).isEmpty();
        boolean listener = conf.getCurrentPeers(RaftPeerRole.LISTENER).stream().anyMatch(p -> p.getId().equals(selfId));
        boolean alive = d.getInfo().isAlive();
        // a member Ratis stopped in a joint configuration (an election found it in no new voter set) reopens too:
        // Ratis starts it as a listener from the new set
        return (stable || !alive) && listener && !(d.getInfo().isListener() && alive);
    }

    /**
     * Closes this node's Ratis member and starts it again on the same storage, where the configuration names it a
     * listener, so that it starts as one. The listener keeps its state: the new state machine skips the entries
     * re-applied from the log up to the last one it was given. A leader hands its leadership to a voter first. A
     * member that cannot start again is tried {@link #REOPEN_ATTEMPTS} times, then this node leaves the quorum as
     * after a listener failure.
     */
    private void reopenAsListener() {
        try {
            synchronized (this) {
                RaftServer old = server;
                RaftServer.Division d = division;
                if (closed.get() || old == null || d == null || !mustReopenAsListener(d)) {
                    return;
                }
                if (d.getInfo().isLeader()) {
                    handOverLeadership(old, d);
                }
                log.info("metadata quorum node {} is no voter any more: it goes on following the metadata log as a "
                        + "listener (an observer)", config.nodeId());
                division = null;
                server = null;
                closeQuietly(old);
                QuorumStateMachine previous = stateMachine;
                previous.awaitListenerQueue(); // what the old one delivered is all there will be
                for (int attempt = 1; ; attempt++) {
                    stateMachine = newStateMachine(previous.deliveredTermIndex());
                    try {
                        startServer(RaftGroup.valueOf(groupId)); // the stored configuration names it a listener
                        return;
                    } catch (IOException e) {
                        if (attempt == REOPEN_ATTEMPTS) {
                            throw e;
                        }
                        previous = stateMachine; // it may have delivered entries before its start failed
                        previous.awaitListenerQueue();
                        log.warn("metadata quorum node {} could not reopen as a listener ({}); trying again",
                                config.nodeId(), e.getMessage());
                        Thread.sleep(REOPEN_BACKOFF.toMillis());
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("metadata quorum node {} could not reopen as a listener and leaves the metadata quorum; "
                    + "restart the node to resume", config.nodeId(), e);
            stopAfterListenerFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            reopening.set(false);
        }
    }

    private void closeQuietly(RaftServer s) {
        try {
            s.close();
        } catch (IOException | RuntimeException e) {
            log.warn("metadata quorum node {}: closing its member before reopening it: {}", config.nodeId(),
                    e.toString());
        }
    }

    /** Asks the voter furthest along to lead now, rather than waiting for an election once this one stops. */
    private void handOverLeadership(RaftServer s, RaftServer.Division d) {
        Map<Integer, Long> match = new HashMap<>();
        for (QuorumStatus.Voter v : status().voters()) {
            match.put(v.id(), v.logEndIndex());
        }
        RaftPeer next = d.getRaftConf().getCurrentPeers().stream()
                .filter(p -> !p.getId().equals(selfId))
                .max(Comparator.comparingLong(p -> match.getOrDefault(RatisProperties.nodeId(p.getId()), -1L)))
                .orElse(null);
        if (next == null) {
            return;
        }
        long timeoutMs = HANDOVER_WAIT.toMillis();
        try {
            RaftClientReply reply = s.transferLeadershipAsync(new TransferLeadershipRequest(clientId, selfId, groupId,
                    callIds.incrementAndGet(), next.getId(), timeoutMs)).get(timeoutMs * 2, TimeUnit.MILLISECONDS);
            if (!reply.isSuccess()) {
                log.info("metadata quorum node {}: handing the leadership to node {} failed ({}); it is elected "
                        + "instead", config.nodeId(), RatisProperties.nodeId(next.getId()), reply.getException());
            }
        } catch (IOException | ExecutionException | TimeoutException e) {
            log.info("metadata quorum node {}: handing the leadership to node {} failed ({}); it is elected instead",
                    config.nodeId(), RatisProperties.nodeId(next.getId()), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The listener threw on a committed entry: this voter's state is unknown, so it leaves the quorum. */
    private void stopAfterListenerFailure() {
        Thread stopper = new Thread(() -> {
            try {
                close();
            } catch (RuntimeException e) {
                log.warn("metadata quorum node {} did not stop cleanly", config.nodeId(), e);
            }
        }, "brook-quorum-" + config.nodeId() + "-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    /**
     * Leaves the quorum: stops the transport, lets the listener finish its queue, closes the log. Returns
     * once stopped, also when another thread is already closing (up to {@link #CLOSE_WAIT}).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            try {
                stopped.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("metadata quorum node {} did not stop within {} ms", config.nodeId(), CLOSE_WAIT.toMillis());
            }
            return;
        }
        try {
            stop();
        } finally {
            stopped.complete(null);
        }
    }

    private void stop() {
        RaftServer s;
        synchronized (this) {
            s = server;
            division = null;
        }
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                throw new UncheckedIOException("metadata quorum node " + config.nodeId() + " did not close", e);
            }
            log.info("metadata quorum node {} stopped", config.nodeId());
        }
        stateMachine.stopListenerThread();
    }

    /**
     * Ratis's server does not close after a failed start (its state goes back to NEW, where close does
     * nothing), but its division already runs: close that and the transport by hand.
     */
    private void abandon(RaftServer s) {
        try {
            s.getDivision(groupId).close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing the division of a server that failed to start", e);
        }
        try {
            s.getServerRpc().close();
            s.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a server that failed to start", e);
        }
    }

    /** Fails with one clear line when this voter's address is taken, before Ratis starts anything. */
    private void checkAddressFree() throws IOException {
        InetSocketAddress own = config.bindAddress();
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(own.getHostString(), own.getPort()));
        } catch (IOException e) {
            throw new IOException("metadata quorum node " + config.nodeId() + " cannot listen on " + address()
                    + " (its controller.quorum.voters address): " + e.getMessage(), e);
        }
    }

    private String address() {
        InetSocketAddress own = config.joining() ? config.bindAddress() : config.ownAddress();
        return own.getHostString() + ":" + own.getPort();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }

    @Override
    public String toString() {
        return "RaftQuorum{node=" + config.nodeId() + ", leader=" + leaderId() + ", term=" + term() + "}";
    }
}
