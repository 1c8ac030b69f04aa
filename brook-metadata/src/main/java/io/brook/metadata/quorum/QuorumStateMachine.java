package io.brook.metadata.quorum;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Ratis state machine of one voter: hands committed entries, leader changes and snapshot work to the
 * owner's {@link QuorumListener} on one thread of its own, so the owner never runs on (or blocks) Ratis's
 * threads and never sees two callbacks at once. Answers forwarded requests through the
 * {@link ForwardedRequestHandler} on Ratis's read-only request path.
 *
 * <p>Order: Ratis calls {@link #applyTransaction} and {@link #notifyTermIndexUpdated} in log order on its
 * one state-machine updater thread; each becomes a task on the listener thread in that order, so the
 * listener sees entries in log order, and "this voter leads" only after every entry committed before the
 * leader's term (Ratis signals {@link #notifyLeaderReady} when the leader's first entry is applied).
 * At most {@link #MAX_PENDING_ENTRIES} entries wait for the listener; beyond that Ratis's updater thread
 * waits, which bounds the memory a slow owner can pin.
 */
final class QuorumStateMachine extends BaseStateMachine {
    private static final Logger log = LoggerFactory.getLogger(QuorumStateMachine.class);
    /** Committed entries handed to the listener thread and not yet delivered. */
    static final int MAX_PENDING_ENTRIES = 1024;
    /** How long closing waits for the listener thread to finish its queue. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);
    private static final int NO_LEADER = -1;
    private static final int NOT_ANNOUNCED = -2;

    private final int nodeId;
    private final QuorumListener listener;
    private final ForwardedRequestHandler handler;
    private final Duration handlerTimeout;
    private final Runnable onListenerFailure;
    /** Told when the configuration changed or Ratis stopped this member: the quorum checks its membership. */
    private final Runnable onMembershipEvent;
    /**
     * Where the listener already is when this state machine replaces an earlier one of the same run (the node
     * reopened as a Ratis listener), or null: Ratis re-applies the log from its snapshot, and the entries up to here
     * are not given to the listener again.
     */
    private final TermIndex resumeAt;
    private final SnapshotStore store = new SnapshotStore();
    private final ExecutorService listenerThread;
    private final Semaphore pending = new Semaphore(MAX_PENDING_ENTRIES);

    private volatile boolean failed;
    /** The term and index of the last entry given to the listener (both in one reference: read together). */
    private volatile TermIndex delivered = TermIndex.valueOf(-1, RaftLog.INVALID_LOG_INDEX);
    private volatile RaftServer.Division division;
    /** The last leader told to the listener and its term; listener thread only. */
    private int announcedLeader = NOT_ANNOUNCED;
    private long announcedTerm = -1;

    QuorumStateMachine(int nodeId, QuorumListener listener, ForwardedRequestHandler handler,
                       Duration handlerTimeout, Runnable onListenerFailure,
                       Runnable onMembershipEvent, TermIndex resumeAt, ExecutorService listenerThread) {
        this.nodeId = nodeId;
        this.onMembershipEvent = onMembershipEvent;
        this.resumeAt = resumeAt;
        if (resumeAt != null) {
            delivered = resumeAt;
        }
        this.listener = listener;
        this.handler = handler;
        this.handlerTimeout = handlerTimeout;
        this.onListenerFailure = onListenerFailure;
        this.listenerThread = listenerThread;
    }

    /**
     * The one thread that calls the listener. The quorum owns it and hands it to each state machine of its run (a
     * node that reopens as a listener gets a new one), so the listener sees one thread throughout.
     */
    static ExecutorService newListenerThread(int nodeId) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "brook-quorum-" + nodeId + "-listener");
            t.setDaemon(true);
            return t;
        });
    }

    void attach(RaftServer.Division division) {
        this.division = division;
    }

    boolean failed() {
        return failed;
    }

    /** The highest index whose entry (or Raft configuration change) the listener has been given. */
    long deliveredIndex() {
        return delivered.getIndex();
    }

    /** The term of the entry at {@link #deliveredIndex()}. */
    long deliveredTerm() {
        return delivered.getTerm();
    }

    TermIndex deliveredTermIndex() {
        return delivered;
    }

    /** Whether Ratis re-applies an entry the listener already has (after a reopen). */
    private boolean alreadyDelivered(long index) {
        return resumeAt != null && index <= resumeAt.getIndex();
    }

    SnapshotStore store() {
        return store;
    }

    // ---- life cycle --------------------------------------------------------------------------------

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(server, groupId, storage);
        getLifeCycle().startAndTransition(() -> {
            store.init(storage);
            if (resumeAt == null) {
                callOnListener(this::resumeFromSnapshot);
            } else {
                callOnListener(this::resumeAfterReopen);
            }
        });
    }

    /** Start-up: the owner's snapshot and the quorum's newest one agree, whichever is newer wins. */
    private Void resumeFromSnapshot() throws IOException {
        Optional<QuorumSnapshot> owners = listener.latestSnapshot();
        QuorumSnapshot mine = store.latest();
        QuorumSnapshot start;
        if (owners.isPresent() && (mine == null || owners.get().index() > mine.index())) {
            start = owners.get();
            store.save(start.index(), start.term(), start.files());
        } else if (mine != null && (owners.isEmpty() || mine.index() > owners.get().index())) {
            start = mine;
            listener.installSnapshot(mine.files(), mine.index(), mine.term());
        } else {
            start = mine;
        }
        if (start != null) {
            setLastAppliedTermIndex(TermIndex.valueOf(start.term(), start.index()));
            delivered = TermIndex.valueOf(start.term(), start.index());
            log.info("metadata quorum node {} resumes from the snapshot at index {} (term {})",
                    nodeId, start.index(), start.term());
        }
        return null;
    }

    /**
     * Reopened in the same run: the listener has everything up to {@link #resumeAt}, unless the leader's snapshot
     * was being installed while the member closed and is newer: then it is given that snapshot.
     */
    private Void resumeAfterReopen() throws IOException {
        QuorumSnapshot mine = store.latest();
        if (mine != null && mine.index() > resumeAt.getIndex()) {
            listener.installSnapshot(mine.files(), mine.index(), mine.term());
            setLastAppliedTermIndex(TermIndex.valueOf(mine.term(), mine.index()));
            delivered = TermIndex.valueOf(mine.term(), mine.index());
            log.info("metadata quorum node {} reopened with the leader's snapshot at index {} (term {})", nodeId,
                    mine.index(), mine.term());
        }
        return null;
    }

    @Override
    public void pause() {
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.getCurrentState() == LifeCycle.State.RUNNING) {
            lifeCycle.transition(LifeCycle.State.PAUSING);
            lifeCycle.transition(LifeCycle.State.PAUSED);
        }
    }

    /** After Ratis installed a snapshot from the leader into the state-machine directory. */
    @Override
    public void reinitialize() throws IOException {
        callOnListener(() -> {
            store.reload();
            QuorumSnapshot installed = store.latest();
            if (installed != null) {
                listener.installSnapshot(installed.files(), installed.index(), installed.term());
                setLastAppliedTermIndex(TermIndex.valueOf(installed.term(), installed.index()));
                delivered = TermIndex.valueOf(installed.term(), installed.index());
                log.info("metadata quorum node {} installed the leader's snapshot at index {} (term {})",
                        nodeId, installed.index(), installed.term());
            }
            return null;
        });
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.getCurrentState() == LifeCycle.State.PAUSED) {
            lifeCycle.transition(LifeCycle.State.STARTING);
            lifeCycle.transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public SnapshotStore getStateMachineStorage() {
        return store;
    }

    @Override
    public long takeSnapshot() throws IOException {
        return callOnListener(() -> {
            if (failed) {
                throw new IOException("node " + nodeId + " stopped after its listener failed");
            }
            TermIndex applied = getLastAppliedTermIndex();
            QuorumSnapshot current = store.latest();
            if (applied == null || applied.getIndex() < 0 || alreadyDelivered(applied.getIndex())
                    || (current != null && current.index() >= applied.getIndex())) {
                return current == null ? RaftLog.INVALID_LOG_INDEX : current.index();
            }
            List<Path> files = listener.takeSnapshot(applied.getIndex(), applied.getTerm());
            store.save(applied.getIndex(), applied.getTerm(), files);
            return applied.getIndex();
        });
    }

    /** Waits until the listener thread ran every event queued so far (by this state machine or an earlier one). */
    void awaitListenerQueue() throws IOException {
        callOnListener(() -> null);
    }

    /** Lets the listener finish its queue, then stops its thread; idempotent. The quorum calls it once it stopped
     *  (Ratis closing this state machine leaves the thread to the quorum, which may reopen on it). */
    void stopListenerThread() {
        if (listenerThread.isTerminated()) {
            return;
        }
        listenerThread.shutdown();
        try {
            if (!listenerThread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("metadata quorum node {}: the listener did not finish within {} ms; interrupting it",
                        nodeId, CLOSE_WAIT.toMillis());
                listenerThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            listenerThread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- committed entries ---------------------------------------------------------------------------

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        long term = entry.getTerm();
        if (alreadyDelivered(index)) {
            updateLastAppliedTermIndex(term, index);
            return CompletableFuture.completedFuture(termMessage(term));
        }
        ByteBuffer data = ByteBuffer.wrap(entry.getStateMachineLogEntry().getLogData().toByteArray())
                .asReadOnlyBuffer();
        try {
            pending.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new InterruptedIOException("closing"));
        }
        CompletableFuture<Message> done = new CompletableFuture<>();
        try {
            listenerThread.execute(() -> {
                try {
                    if (failed) {
                        throw new IOException("node " + nodeId + " stopped after its listener failed");
                    }
                    try {
                        listener.onCommitted(index, term, data);
                    } catch (RuntimeException e) {
                        listenerFailed(index, e);
                        throw e;
                    }
                    updateLastAppliedTermIndex(term, index);
                    delivered = TermIndex.valueOf(term, index);
                    done.complete(termMessage(term));
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                } finally {
                    pending.release();
                }
            });
        } catch (RejectedExecutionException e) {
            pending.release();
            done.completeExceptionally(e);
        }
        return done;
    }

    /** Raft's own entries (configuration, the leader's first entry) take an index but carry no data. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        if (alreadyDelivered(index)) {
            updateLastAppliedTermIndex(term, index);
            return;
        }
        onListenerThread(() -> {
            updateLastAppliedTermIndex(term, index);
            delivered = TermIndex.valueOf(term, index);
        });
    }

    private void listenerFailed(long index, RuntimeException e) {
        failed = true;
        log.error("metadata quorum node {}: the listener failed on the committed entry at index {}; "
                + "this voter stops (restart the node to resume from its snapshot and log)", nodeId, index, e);
        onListenerFailure.run();
    }

    static Message termMessage(long term) {
        ByteBuffer b = ByteBuffer.allocate(Long.BYTES);
        b.putLong(0, term);
        return Message.valueOf(ByteString.copyFrom(b));
    }

    static long termOf(Message message) {
        ByteString content = message == null ? null : message.getContent();
        return content == null || content.size() != Long.BYTES ? -1 : content.asReadOnlyByteBuffer().getLong();
    }

    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto newConfiguration) {
        onMembershipEvent.run();
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        onMembershipEvent.run();
    }

    // ---- leadership ----------------------------------------------------------------------------------

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        int leader = RatisProperties.nodeId(newLeaderId);
        if (leader != nodeId) {
            // this voter's own leadership is announced once it is ready (notifyLeaderReady)
            announce(leader, currentTerm());
        }
    }

    @Override
    public void notifyLeaderReady() {
        announce(nodeId, currentTerm());
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        announce(NO_LEADER, currentTerm());
    }

    private void announce(int leader, long term) {
        onListenerThread(() -> {
            if (leader == announcedLeader && term == announcedTerm) {
                return;
            }
            announcedLeader = leader;
            announcedTerm = term;
            try {
                listener.onLeaderChange(leader, term);
            } catch (RuntimeException e) {
                log.error("metadata quorum node {}: the listener failed on a leader change to {}", nodeId, leader, e);
            }
        });
    }

    private long currentTerm() {
        RaftServer.Division d = division;
        if (d == null) {
            try {
                d = getServer().join().getDivision(getGroupId());
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return d.getInfo().getCurrentTerm();
    }

    // ---- forwarded requests --------------------------------------------------------------------------

    @Override
    public CompletableFuture<Message> query(Message request) {
        if (handler == null) {
            return CompletableFuture.completedFuture(envelope(
                    ForwardEnvelope.error("node " + nodeId + " does not answer forwarded requests")));
        }
        ByteBuffer in = request.getContent().asReadOnlyByteBuffer();
        CompletableFuture<ByteBuffer> reply;
        try {
            reply = handler.handle(in);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.orTimeout(handlerTimeout.toMillis(), TimeUnit.MILLISECONDS).handle((out, err) -> {
            if (err == null) {
                return envelope(ForwardEnvelope.ok(out == null ? ByteBuffer.allocate(0) : out));
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (cause instanceof NotLeaderException nle) {
                return envelope(ForwardEnvelope.retry(nle.leaderId()));
            }
            if (cause instanceof TimeoutException) {
                // the leader could not answer in time (a leader change, a lost quorum): the client retries
                return envelope(ForwardEnvelope.retry(NO_LEADER));
            }
            return envelope(ForwardEnvelope.error(String.valueOf(cause.getMessage())));
        });
    }

    private static Message envelope(ByteBuffer bytes) {
        return Message.valueOf(ByteString.copyFrom(bytes));
    }

    // ---- the listener thread ------------------------------------------------------------------------

    private void onListenerThread(Runnable task) {
        try {
            listenerThread.execute(() -> {
                if (!failed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("metadata quorum node {} is closing; event dropped", nodeId);
        }
    }

    /** Runs on the listener thread after every event queued so far and waits for the result. */
    private <T> T callOnListener(Callable<T> task) throws IOException {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            listenerThread.execute(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IOException("node " + nodeId + " is closing", e);
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the listener of node " + nodeId);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("the listener of node " + nodeId + " failed: " + cause, cause);
        }
    }
}
