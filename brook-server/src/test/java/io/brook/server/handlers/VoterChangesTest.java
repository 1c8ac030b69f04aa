package io.brook.server.handlers;

import io.brook.metadata.quorum.QuorumConfig;
import io.brook.metadata.quorum.QuorumListener;
import io.brook.metadata.quorum.QuorumSnapshot;
import io.brook.metadata.quorum.RaftQuorum;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AddRaftVoterRequestData;
import org.apache.kafka.common.message.AddRaftVoterResponseData;
import org.apache.kafka.common.message.RemoveRaftVoterRequestData;
import org.apache.kafka.common.message.RemoveRaftVoterResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error codes of AddRaftVoter and RemoveRaftVoter ({@link AddRaftVoterHandler}, {@link RemoveRaftVoterHandler},
 * {@link VoterChanges}) over a real Ratis quorum, as Kafka's leader answers them (KIP-853): a controller that does
 * not lead answers NOT_LEADER_OR_FOLLOWER, an id already voting DUPLICATE_VOTER, removing an id that is not voting or
 * the last voter VOTER_NOT_FOUND, an addition without a controller-listener endpoint INVALID_REQUEST, a change that
 * does not commit in its time REQUEST_TIMED_OUT, as does one asked for while another runs. The happy path with
 * Kafka's tool: {@code DynamicVotersTest}.
 */
@Timeout(120)
class VoterChangesTest {
    private static final String CLUSTER = "voters-test";
    private static final String LISTENER = "CONTROLLER";
    private static final Duration ELECTION = Duration.ofSeconds(60);
    /** The time given to a change that cannot complete: long enough to start it, short enough for CI. */
    private static final int SHORT_TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;
    private RaftQuorum quorum;

    @AfterEach
    void close() {
        if (quorum != null) {
            quorum.close();
        }
    }

    @Test
    void theLeaderAnswersKafkasCodesForChangesItCannotMake() throws Exception {
        quorum = start(Map.of(1, localAddress()));
        awaitLeader();
        VoterChanges changes = new VoterChanges(() -> quorum, CLUSTER, LISTENER);

        assertEquals(Errors.DUPLICATE_VOTER, add(changes, CLUSTER, 1, LISTENER, localAddress(), 10_000).error);
        Answer notVoting = remove(changes, 5);
        assertEquals(Errors.VOTER_NOT_FOUND, notVoting.error, notVoting.message);
        Answer last = remove(changes, 1);
        assertEquals(Errors.VOTER_NOT_FOUND, last.error, "Kafka's voter set never becomes empty: " + last.message);
        assertTrue(last.message.contains("last voter"), last.message);
        Answer noEndpoint = add(changes, CLUSTER, 2, "OTHER", localAddress(), 10_000);
        assertEquals(Errors.INVALID_REQUEST, noEndpoint.error, noEndpoint.message);
        assertTrue(noEndpoint.message.contains(LISTENER), noEndpoint.message);
        assertEquals(Errors.INCONSISTENT_CLUSTER_ID, add(changes, "other", 2, LISTENER, localAddress(), 10_000).error);
        assertEquals(List.of(1), quorum.voterIds(), "no refused change touched the voters");

        // a new voter nobody runs cannot catch up: the change does not commit in its time; one asked for meanwhile
        // is refused at once, before its own checks (Kafka's order)
        CompletableFuture<AddRaftVoterResponseData> pending = addRequest(changes, CLUSTER, 2, LISTENER,
                localAddress(), SHORT_TIMEOUT_MS);
        Answer meanwhile = add(changes, CLUSTER, 1, LISTENER, localAddress(), 10_000);
        assertFalse(pending.isDone(), "the change to an absent voter is still running");
        assertEquals(Errors.REQUEST_TIMED_OUT, meanwhile.error, meanwhile.message);
        assertTrue(meanwhile.message.contains("in progress"), meanwhile.message);
        AddRaftVoterResponseData timedOut = pending.get(60, TimeUnit.SECONDS);
        assertEquals(Errors.REQUEST_TIMED_OUT.code(), timedOut.errorCode(), timedOut.errorMessage());
    }

    @Test
    void anObserverThatCannotBeCaughtUpIsRefusedThenNotTriedAgainAtOnce() throws Exception {
        quorum = start(Map.of(1, localAddress()));
        awaitLeader();
        VoterChanges changes = new VoterChanges(() -> quorum, CLUSTER, LISTENER);
        // a voter asking to observe is answered at once, nothing changed; a node nobody runs is not caught up in time
        assertEquals(Errors.NONE, changes.addObserver(null, 1, localAddress(), 10_000).get(60, TimeUnit.SECONDS)
                .error());
        VoterChanges.Outcome wildcard = changes.addObserver(null, 4, new InetSocketAddress("0.0.0.0", 9093), 10_000)
                .get(1, TimeUnit.SECONDS);
        assertEquals(Errors.INVALID_REQUEST, wildcard.error(), wildcard.message());
        VoterChanges.Outcome absent = changes.addObserver(null, 3, localAddress(), SHORT_TIMEOUT_MS)
                .get(60, TimeUnit.SECONDS);
        assertEquals(Errors.REQUEST_TIMED_OUT, absent.error(), absent.message());
        assertEquals(List.of(), quorum.listenerIds(), "no observer was added");
        // asked again at once: refused without trying (it would hold up other changes for as long again)
        VoterChanges.Outcome again = changes.addObserver(null, 3, localAddress(), SHORT_TIMEOUT_MS)
                .get(1, TimeUnit.SECONDS);
        assertEquals(Errors.REQUEST_TIMED_OUT, again.error(), again.message());
        assertTrue(again.message().contains("retry after"), again.message());
        assertEquals(List.of(), changes.dropSilentObservers(Duration.ZERO, id -> false).get(60, TimeUnit.SECONDS));
        assertEquals(List.of(1), quorum.voterIds());
    }

    @Test
    void aControllerThatDoesNotLeadAnswersNotLeaderOrFollower() throws Exception {
        // node 1 of two voters whose other voter never runs: it can never win an election
        quorum = start(new LinkedHashMap<>(Map.of(1, localAddress(), 2, localAddress())));
        VoterChanges changes = new VoterChanges(() -> quorum, CLUSTER, LISTENER);
        assertFalse(quorum.isLeader());
        Answer add = add(changes, CLUSTER, 3, LISTENER, localAddress(), 10_000);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, add.error, add.message);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, remove(changes, 2).error);
        // Kafka checks the leadership first: not the leader's own answers to a duplicate or an absent voter
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, add(changes, CLUSTER, 1, LISTENER, localAddress(), 10_000).error);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, remove(changes, 5).error);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, changes.addObserver(null, 3, localAddress(), 10_000)
                .get(60, TimeUnit.SECONDS).error());

        VoterChanges starting = new VoterChanges(() -> null, CLUSTER, LISTENER);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, remove(starting, 2).error, "a controller still opening");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER,
                add(starting, CLUSTER, 3, LISTENER, localAddress(), 10_000).error);
    }

    private record Answer(Errors error, String message) {
    }

    private static Answer add(VoterChanges changes, String clusterId, int voterId, String listener,
                              InetSocketAddress endpoint, int timeoutMs) throws Exception {
        AddRaftVoterResponseData response = addRequest(changes, clusterId, voterId, listener, endpoint, timeoutMs)
                .get(60, TimeUnit.SECONDS);
        return new Answer(Errors.forCode(response.errorCode()), response.errorMessage());
    }

    private static CompletableFuture<AddRaftVoterResponseData> addRequest(VoterChanges changes, String clusterId,
                                                                         int voterId, String listener,
                                                                         InetSocketAddress endpoint, int timeoutMs) {
        AddRaftVoterRequestData request = new AddRaftVoterRequestData().setClusterId(clusterId).setVoterId(voterId)
                .setVoterDirectoryId(Uuid.randomUuid()).setTimeoutMs(timeoutMs);
        request.listeners().add(new AddRaftVoterRequestData.Listener().setName(listener)
                .setHost(endpoint.getHostString()).setPort(endpoint.getPort()));
        return new AddRaftVoterHandler(changes).handle(context(ApiKeys.ADD_RAFT_VOTER), request);
    }

    private static Answer remove(VoterChanges changes, int voterId) throws Exception {
        RemoveRaftVoterRequestData request = new RemoveRaftVoterRequestData().setClusterId(CLUSTER)
                .setVoterId(voterId).setVoterDirectoryId(Uuid.randomUuid());
        RemoveRaftVoterResponseData response = new RemoveRaftVoterHandler(changes)
                .handle(context(ApiKeys.REMOVE_RAFT_VOTER), request).get(60, TimeUnit.SECONDS);
        return new Answer(Errors.forCode(response.errorCode()), response.errorMessage());
    }

    private static RequestContext context(ApiKeys api) {
        return new RequestContext(new RequestHeader(api, api.latestVersion(), "test", 1),
                InetAddress.getLoopbackAddress(), "c", "", "", LISTENER, SecurityProtocol.PLAINTEXT,
                KafkaPrincipal.ANONYMOUS);
    }

    private RaftQuorum start(Map<Integer, InetSocketAddress> voters) throws IOException {
        QuorumConfig config = QuorumConfig.builder(1, dir.resolve("quorum")).voters(voters).clusterId(CLUSTER)
                .build();
        RaftQuorum q = new RaftQuorum(config, new NoState(), null);
        q.start();
        return q;
    }

    private void awaitLeader() throws InterruptedException {
        long deadline = System.nanoTime() + ELECTION.toNanos();
        while (!quorum.isLeader()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node 1 did not lead within " + ELECTION);
            }
            Thread.sleep(20);
        }
    }

    /** An ephemeral port free right now (a voter's address; for an absent voter nobody listens on it). */
    private static InetSocketAddress localAddress() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
        }
    }

    /** A quorum owner without state: these tests commit no entries of their own. */
    private static final class NoState implements QuorumListener {
        @Override
        public void onCommitted(long index, long term, ByteBuffer entry) {
        }

        @Override
        public void onLeaderChange(int leaderId, long term) {
        }

        @Override
        public List<Path> takeSnapshot(long index, long term) {
            return List.of();
        }

        @Override
        public void installSnapshot(List<Path> files, long index, long term) {
        }

        @Override
        public Optional<QuorumSnapshot> latestSnapshot() {
            return Optional.empty();
        }
    }
}
