package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.brook.metadata.quorum.QuorumCluster.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The single-node default: one voter elects itself at once, commits alone and resumes after a restart. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SingleVoterQuorumTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void leadsAtOnceCommitsAndResumesFromSnapshotPlusLog() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 1, b -> b.electionTimeout(QuorumConfig.DEFAULT_ELECTION_TIMEOUT), id -> null)) {
            long started = System.nanoTime();
            RaftQuorum q = cluster.start(1);
            long startMs = (System.nanoTime() - started) / 1_000_000;
            cluster.awaitLeader(WAIT);
            long leaderMs = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("single voter: start() %d ms, leader ready %d ms after start() was called%n",
                    startMs, leaderMs);
            RecordingListener owner = cluster.listener(1);
            QuorumCluster.await("leader change delivered", WAIT,
                    () -> owner.leaderChanges.contains(new RecordingListener.LeaderChange(1, q.term())));

            List<CompletableFuture<Committed>> proposed = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                proposed.add(q.propose(bytes("a" + i)));
            }
            long lastIndex = -1;
            for (CompletableFuture<Committed> f : proposed) {
                Committed c = f.get(30, TimeUnit.SECONDS);
                assertTrue(c.index() > lastIndex, "indexes increase: " + c);
                assertEquals(q.term(), c.term());
                lastIndex = c.index();
            }
            // the propose future completes after the listener was given the entry
            assertEquals(20, owner.entries().size());
            assertEquals(expected("a", 20), owner.payloads());

            // the largest entry the config allows commits; one byte more is refused before Ratis sees it
            int max = q.config().maxEntryBytes();
            ExecutionException tooLarge = assertThrows(ExecutionException.class,
                    () -> q.propose(java.nio.ByteBuffer.allocate(max + 1)).get(30, TimeUnit.SECONDS));
            assertFalse(assertInstanceOf(QuorumException.class, tooLarge.getCause()).retriable());
            Committed largest = q.propose(java.nio.ByteBuffer.allocate(max)).get(30, TimeUnit.SECONDS);
            QuorumCluster.await("largest entry delivered", WAIT, () -> owner.entries().size() == 21);
            assertEquals(largest.index(), owner.entries().get(20).index());
            owner.dropLast(); // keep the owner's state to the small entries below

            long snapshotIndex = q.takeSnapshot().get(30, TimeUnit.SECONDS);
            assertEquals(1, owner.snapshotsTaken.get());
            assertTrue(snapshotIndex >= lastIndex, snapshotIndex + " covers " + lastIndex);
            for (int i = 0; i < 5; i++) {
                q.propose(bytes("b" + i)).get(30, TimeUnit.SECONDS);
            }
            assertTrue(owner.violations.isEmpty(), owner.violations.toString());
            cluster.stop(1);

            // restart: the owner loads its snapshot (20 entries), the quorum replays the 5 after it
            long restarted = System.nanoTime();
            RaftQuorum again = cluster.start(1);
            cluster.awaitLeader(WAIT);
            System.out.printf("single voter restart: leader ready %d ms after start() was called%n",
                    (System.nanoTime() - restarted) / 1_000_000);
            RecordingListener reloaded = cluster.listener(1);
            List<String> all = new ArrayList<>(expected("a", 20));
            all.addAll(expected("b", 5));
            QuorumCluster.await("snapshot plus tail replayed", WAIT, () -> reloaded.payloads().size() >= 25);
            assertEquals(all, reloaded.payloads());
            assertEquals(0, reloaded.snapshotsInstalled.get(), "the owner's own snapshot was current");
            Committed next = again.propose(bytes("c0")).get(30, TimeUnit.SECONDS);
            assertTrue(next.index() > lastIndex);
            assertEquals("c0", reloaded.payloads().get(25));
            assertTrue(reloaded.violations.isEmpty(), reloaded.violations.toString());
            QuorumSnapshot ratisCopy = again.latestSnapshot();
            assertEquals(snapshotIndex, ratisCopy.index());
            cluster.stop(1);

            // a crash between the owner writing a snapshot and the quorum linking it: the owner's is newer
            // than any in Ratis's storage; the voter starts from the owner's, never replaying what it covers
            Path snapshotDir = ratisCopy.files().get(0).getParent();
            SnapshotStore.deleteRecursively(snapshotDir.getParent());
            RaftQuorum third = cluster.start(1);
            cluster.awaitLeader(WAIT);
            RecordingListener owner3 = cluster.listener(1);
            all.add("c0");
            QuorumCluster.await("snapshot plus tail replayed", WAIT, () -> owner3.payloads().size() >= 26);
            assertEquals(all, owner3.payloads());
            assertEquals(snapshotIndex, third.latestSnapshot().index(), "the owner's snapshot is Ratis's again");
            assertTrue(owner3.violations.isEmpty(), owner3.violations.toString());
        }
    }

    @Test
    void aTakenAddressFailsStartWithOneClearLineAndLeavesNothingRunning() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            QuorumConfig config = QuorumConfig.builder(1, dir.resolve("quorum"))
                    .voters("1@127.0.0.1:" + taken.getLocalPort()).build();
            java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
            RaftQuorum q = new RaftQuorum(config, new RecordingListener(dir.resolve("owner")), null);
            java.io.IOException e = assertThrows(java.io.IOException.class, q::start);
            assertEquals("metadata quorum node 1 cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " (its controller.quorum.voters address): Address already in use", e.getMessage());
            q.close();
            QuorumCluster.await("no thread of the failed voter left", WAIT, () -> Thread.getAllStackTraces().keySet()
                    .stream().noneMatch(t -> t.isAlive() && !before.contains(t) && !t.isDaemon()));
            assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && !before.contains(t)
                    && t.getName().startsWith("brook-quorum-")), "no listener thread left");
        }
    }

    @Test
    void aListenerThatFailsOnAnEntryStopsTheVoterWhichResumesAfterARestart() throws Exception {
        int port = QuorumCluster.freePort();
        QuorumConfig config = QuorumConfig.builder(1, dir.resolve("quorum")).voters("1@127.0.0.1:" + port).build();
        RecordingListener recorder = new RecordingListener(dir.resolve("owner"));
        QuorumListener failing = new QuorumListener() {
            @Override
            public void onCommitted(long index, long term, java.nio.ByteBuffer entry) {
                if (QuorumCluster.string(entry).equals("boom")) {
                    throw new IllegalStateException("the owner cannot apply this entry");
                }
                recorder.onCommitted(index, term, entry);
            }

            @Override
            public void onLeaderChange(int leaderId, long term) {
                recorder.onLeaderChange(leaderId, term);
            }

            @Override
            public List<Path> takeSnapshot(long index, long term) throws java.io.IOException {
                return recorder.takeSnapshot(index, term);
            }

            @Override
            public void installSnapshot(List<Path> files, long index, long term) throws java.io.IOException {
                recorder.installSnapshot(files, index, term);
            }

            @Override
            public java.util.Optional<QuorumSnapshot> latestSnapshot() {
                return recorder.latestSnapshot();
            }
        };
        try (RaftQuorum q = new RaftQuorum(config, failing, null)) {
            q.start();
            QuorumCluster.await("leader", WAIT, q::isLeader);
            q.propose(bytes("fine")).get(30, TimeUnit.SECONDS);
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> q.propose(bytes("boom")).get(30, TimeUnit.SECONDS));
            assertInstanceOf(QuorumException.class, failed.getCause());
            ExecutionException stopped = assertThrows(ExecutionException.class,
                    () -> q.propose(bytes("after")).get(30, TimeUnit.SECONDS));
            QuorumException e = assertInstanceOf(QuorumException.class, stopped.getCause());
            assertFalse(e.retriable(), e.getMessage());
            QuorumCluster.await("the voter left the quorum", WAIT, () -> q.leaderId() == -1);
        }
        assertEquals(List.of("fine"), recorder.payloads());

        // a fixed owner resumes: the committed entry is delivered again after the restart
        RecordingListener fixed = new RecordingListener(dir.resolve("owner"));
        try (RaftQuorum again = new RaftQuorum(config, fixed, null)) {
            again.start();
            QuorumCluster.await("leader after the restart", WAIT, again::isLeader);
            QuorumCluster.await("both entries replayed", WAIT, () -> fixed.payloads().size() >= 2);
            assertEquals(List.of("fine", "boom"), fixed.payloads());
        }
    }

    static List<String> expected(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + i);
        }
        return out;
    }
}
