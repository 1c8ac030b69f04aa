package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.brook.metadata.quorum.QuorumCluster.await;
import static io.brook.metadata.quorum.QuorumCluster.bytes;
import static io.brook.metadata.quorum.QuorumCluster.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 4, unit = TimeUnit.MINUTES)
class QuorumCatchUpAndForwardingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void aVoterBehindThePurgedLogCatchesUpFromTheSnapshotPlusTheTail() throws Exception {
        // small segments, so that a snapshot lets Ratis purge closed segments
        try (QuorumCluster cluster = new QuorumCluster(dir, 3, b -> b.maxEntryBytes(1024).logSegmentBytes(8 * 1024),
                id -> null)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            List<String> proposed = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                leader.propose(bytes("early-" + i)).get(30, TimeUnit.SECONDS);
                proposed.add("early-" + i);
            }
            int lagging = leader.config().nodeId() % 3 + 1;
            await("voter " + lagging + " has the early entries", WAIT,
                    () -> cluster.listener(lagging).payloads().size() == 5);
            cluster.stop(lagging);

            List<CompletableFuture<Committed>> bulk = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String payload = "bulk-" + i + "-0123456789abcdef0123456789abcdef";
                bulk.add(leader.propose(bytes(payload)));
                proposed.add(payload);
            }
            long firstBulkIndex = bulk.get(0).get(30, TimeUnit.SECONDS).index();
            for (CompletableFuture<Committed> f : bulk) {
                f.get(30, TimeUnit.SECONDS);
            }
            for (int id : cluster.running().keySet()) {
                RaftQuorum q = cluster.node(id);
                await("voter " + id + " applied the bulk", WAIT,
                        () -> cluster.listener(id).payloads().size() == proposed.size());
                long index = q.takeSnapshot().get(30, TimeUnit.SECONDS);
                assertTrue(index >= bulk.get(bulk.size() - 1).get().index(), "snapshot covers the bulk");
            }
            // Ratis purges the log after the snapshot on its log worker: a moment after takeSnapshot returns
            await("the leader purged what the stopped voter misses (its log starts after " + firstBulkIndex + ")",
                    WAIT, () -> leader.firstLogIndex() > firstBulkIndex);

            cluster.start(lagging);
            RecordingListener owner = cluster.listener(lagging);
            await("voter " + lagging + " caught up", WAIT, () -> owner.payloads().size() >= proposed.size());
            assertEquals(proposed, owner.payloads());
            assertTrue(owner.snapshotsInstalled.get() >= 1, "caught up through the leader's snapshot");

            for (int i = 0; i < 5; i++) {
                leader.propose(bytes("tail-" + i)).get(30, TimeUnit.SECONDS);
                proposed.add("tail-" + i);
            }
            await("voter " + lagging + " follows the tail", WAIT, () -> owner.payloads().size() >= proposed.size());
            assertEquals(proposed, owner.payloads());
            assertEquals(cluster.listener(leader.config().nodeId()).entries(), owner.entries());
            assertTrue(owner.violations.isEmpty(), owner.violations.toString());
        }
    }

    @Test
    void anyNodeReachesTheLeaderThroughTheClientAcrossLeaderChanges() throws Exception {
        QuorumCluster.ForwardedRequestHandlerFactory handlers = id -> request -> {
            String text = string(request);
            if (text.equals("fail")) {
                return CompletableFuture.failedFuture(new IllegalStateException("refused: " + text));
            }
            return CompletableFuture.completedFuture(bytes("node " + id + " answers " + text));
        };
        try (QuorumCluster cluster = new QuorumCluster(dir, 3, b -> b, handlers);
             QuorumClient client = new QuorumClient(cluster.voters(), QuorumConfig.DEFAULT_CLUSTER_ID,
                     Duration.ofSeconds(2))) {
            cluster.startAll();
            int leaderId = cluster.awaitLeader(WAIT).config().nodeId();
            assertEquals("node " + leaderId + " answers hello", send(client, "hello", Duration.ofSeconds(20)));

            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> client.send(bytes("fail"), Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS));
            QuorumException error = assertInstanceOf(QuorumException.class, refused.getCause());
            assertFalse(error.retriable());
            assertTrue(error.getMessage().contains("refused: fail"), error.getMessage());

            cluster.stop(leaderId);
            String answer = send(client, "again", Duration.ofSeconds(20));
            int newLeader = cluster.awaitLeader(WAIT).config().nodeId();
            assertNotEquals(leaderId, newLeader);
            assertEquals("node " + newLeader + " answers again", answer);

            cluster.stop(newLeader);
            long started = System.nanoTime();
            ExecutionException timedOut = assertThrows(ExecutionException.class,
                    () -> client.send(bytes("nobody"), Duration.ofSeconds(2)).get(30, TimeUnit.SECONDS));
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            QuorumTimeoutException timeout = assertInstanceOf(QuorumTimeoutException.class, timedOut.getCause());
            assertTrue(timeout.retriable());
            assertTrue(tookMs >= 1900 && tookMs < 15_000, "failed at the deadline, after " + tookMs + " ms");
        }
    }

    private static String send(QuorumClient client, String text, Duration timeout) throws Exception {
        ByteBuffer reply = client.send(bytes(text), timeout).get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        return string(reply);
    }
}
