package io.brook.storage.log;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.Replication.assertSameFiles;
import static io.brook.storage.log.Replication.assertSameState;
import static io.brook.storage.log.Replication.catchUp;
import static io.brook.storage.log.Replication.fetch;
import static io.brook.storage.log.Replication.files;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PartitionLog#appendAsFollower}: a follower fed the leader's reads becomes the leader's copy. */
class FollowerLogTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final Map<Long, Integer> sequences = new HashMap<>();
    /** Small segments and index intervals, and time-based rolls, so a few dozen batches roll often. */
    final LogConfig rolling = config(Map.of("segment.bytes", "1024", "index.interval.bytes", "64",
            "segment.ms", "60000"));

    PartitionLog open(String name, LogConfig config) throws IOException {
        return LogFixtures.open(new File(dir, name), config, time);
    }

    @Test
    void aFollowerFedTheLeadersReadsEndsByteIdentical() throws IOException {
        Random random = new Random(42);
        File leaderDir;
        File followerDir;
        try (PartitionLog leader = open("leader", rolling); PartitionLog follower = open("follower", rolling)) {
            leaderDir = leader.dir();
            followerDir = follower.dir();
            int epoch = 0;
            int idempotentSeq = 0;
            for (int i = 0; i < 90; i++) {
                epoch = i < 30 ? 0 : i < 60 ? 1 : 3;
                long now = time.milliseconds();
                switch (i % 6) {
                    case 0 -> leader.appendAsLeader(LogFixtures.batch(now, "plain" + i, "x".repeat(random.nextInt(200))),
                            epoch);
                    case 1 -> {
                        leader.appendAsLeader(MemoryRecords.withIdempotentRecords(
                                org.apache.kafka.common.compress.Compression.NONE, 7L, (short) 0, idempotentSeq,
                                LogFixtures.record(now, null, "idem" + i), LogFixtures.record(now, null, "idem" + i)),
                                epoch);
                        idempotentSeq += 2;
                    }
                    case 2 -> leader.appendAsLeader(LogFixtures.transactional(sequences, 1, now, "a", "v" + i), epoch);
                    case 3 -> leader.appendAsLeader(LogFixtures.transactional(sequences, 2, now, "b", "v" + i,
                            "c", "w" + i), epoch);
                    case 4 -> leader.appendMarker(1, (short) 0, 0, true, epoch);
                    default -> leader.appendMarker(2, (short) 0, 0, false, epoch);
                }
                time.advance(random.nextInt(20_000));
                if (i % 7 == 3) {
                    catchUp(leader, follower, 50 + random.nextInt(400)); // fetches cut batches in two
                    assertSameState(leader, follower);
                }
            }
            leader.appendAsLeader(LogFixtures.transactional(sequences, 1, time.milliseconds(), "open", "txn"), 3);
            catchUp(leader, follower, 300);
            assertSameState(leader, follower);
            assertTrue(leader.segmentCount() >= 8, "the leader rolled: " + leader.segmentCount() + " segments");
            assertEquals(List.of(0, 1, 3), follower.epochCache().entries().stream().map(EpochEntry::epoch).toList());
            assertEquals(follower.epochCache().endOffsetFor(1, follower.logEndOffset()),
                    leader.epochCache().endOffsetFor(1, leader.logEndOffset()), "OffsetForLeaderEpoch answers alike");
            assertTrue(follower.lastStableOffset(follower.logEndOffset()) < follower.logEndOffset(),
                    "the open transaction holds the last stable offset back on the follower too");
            assertTrue(!follower.abortedTransactions(0, follower.logEndOffset()).isEmpty(), "aborts are indexed");
            // the follower, made leader, recognises the idempotent producer's retried last batch
            long now = time.milliseconds();
            AppendResult retried = follower.appendAsLeader(MemoryRecords.withIdempotentRecords(
                    org.apache.kafka.common.compress.Compression.NONE, 7L, (short) 0, idempotentSeq - 2,
                    LogFixtures.record(now, null, "again"), LogFixtures.record(now, null, "again")), 4);
            assertTrue(retried.duplicate(), "a retried batch is a duplicate on the new leader");
        }
        // closed: indexes trimmed, producer snapshots written; every file the same, byte for byte
        assertSameFiles(leaderDir, followerDir, name -> true);
        assertTrue(files(followerDir, name -> name.endsWith(".index")).size() >= 8);
        assertTrue(files(followerDir, name -> name.endsWith(".txnindex")).values().stream()
                .anyMatch(bytes -> bytes.length > 0), "an aborted transaction was indexed");
    }

    /**
     * Rolls are decided batch by batch: even one append of many segments' worth of batches (a leader's
     * read never spans segments, but nothing else relies on that) rolls where the leader rolled.
     */
    @Test
    void oneAppendSpanningTheLeadersSegmentsRollsWhereTheLeaderRolled() throws IOException {
        spanningAppend(rolling, "");
        // indexes of 6 entries at most: full indexes roll the segments
        spanningAppend(config(Map.of("segment.index.bytes", "48", "index.interval.bytes", "1")), "small-index-");
    }

    private void spanningAppend(LogConfig rolling, String prefix) throws IOException {
        File leaderDir;
        File followerDir;
        try (PartitionLog leader = open(prefix + "leader", rolling);
             PartitionLog follower = open(prefix + "follower", rolling)) {
            leaderDir = leader.dir();
            followerDir = follower.dir();
            for (int i = 0; i < 40; i++) {
                leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "v" + i, "w".repeat(i * 7 % 150)), i / 10);
                time.advance(9_000);
            }
            follower.appendAsFollower(LogFixtures.readAll(leader, 0, leader.logEndOffset()));
            assertTrue(leader.segmentCount() > 4, leader.segmentCount() + " segments");
            assertSameState(leader, follower);
        }
        assertSameFiles(leaderDir, followerDir, name -> true);
    }

    @Test
    void aBatchNotStartingAtTheLogEndIsRefusedAndNothingIsWritten() throws IOException {
        try (PartitionLog leader = open("leader", rolling); PartitionLog follower = open("follower", rolling)) {
            for (int i = 0; i < 5; i++) {
                leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "a" + i, "b" + i), 0); // 2 records each
            }
            follower.appendAsFollower(fetch(leader, 0, 1)); // offsets 0-1
            assertEquals(2, follower.logEndOffset());
            Map<String, byte[]> before = files(follower.dir(), name -> true);
            UnexpectedAppendOffsetException ahead = assertThrows(UnexpectedAppendOffsetException.class,
                    () -> follower.appendAsFollower(fetch(leader, 4, 1000)));
            assertEquals(4, ahead.firstOffset());
            assertEquals(2, ahead.expectedOffset());
            assertTrue(ahead.getMessage().contains("starts at offset 4 but the log ends at 2"), ahead.getMessage());
            UnexpectedAppendOffsetException behind = assertThrows(UnexpectedAppendOffsetException.class,
                    () -> follower.appendAsFollower(fetch(leader, 0, 1000)));
            assertEquals(0, behind.firstOffset());
            assertEquals(2, follower.logEndOffset());
            assertSameBytes(before, files(follower.dir(), name -> true));
            // within one fetch, a batch that does not follow the previous one is refused too
            ByteBuffer first = ByteBuffer.wrap(Replication.bytesOf(fetch(leader, 2, 1)));
            ByteBuffer third = ByteBuffer.wrap(Replication.bytesOf(fetch(leader, 6, 1)));
            ByteBuffer gap = ByteBuffer.allocate(first.remaining() + third.remaining()).put(first).put(third).flip();
            assertThrows(InvalidRecordException.class, () -> follower.appendAsFollower(MemoryRecords.readableRecords(gap)));
            assertSameBytes(before, files(follower.dir(), name -> true));
            assertEquals(2, follower.logEndOffset());
            catchUp(leader, follower, 100);
            assertSameState(leader, follower);
        }
    }

    @Test
    void aCorruptBatchIsRefused() throws IOException {
        try (PartitionLog leader = open("leader", rolling); PartitionLog follower = open("follower", rolling)) {
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "first"), 0);
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "second", "third"), 0);
            byte[] bytes = Replication.bytesOf(fetch(leader, 0, 10_000));
            bytes[bytes.length - 3] ^= 0x5a; // a value byte of the second batch, inside its CRC
            assertThrows(CorruptRecordException.class,
                    () -> follower.appendAsFollower(MemoryRecords.readableRecords(ByteBuffer.wrap(bytes))));
            assertEquals(0, follower.logEndOffset(), "nothing of the fetch is appended, the intact first batch neither");
            assertEquals(0, follower.size());
            catchUp(leader, follower, 10_000);
            assertSameState(leader, follower);
        }
    }

    @Test
    void nothingOrOnlyAPartialBatchAppendsNothing() throws IOException {
        try (PartitionLog leader = open("leader", rolling); PartitionLog follower = open("follower", rolling)) {
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "only"), 0);
            assertEquals(-1, follower.appendAsFollower(MemoryRecords.EMPTY).firstOffset());
            byte[] whole = Replication.bytesOf(fetch(leader, 0, 10_000));
            byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1);
            AppendResult partial = follower.appendAsFollower(MemoryRecords.readableRecords(ByteBuffer.wrap(cut)));
            assertEquals(-1, partial.firstOffset());
            assertEquals(0, follower.logEndOffset());
            assertEquals(0, follower.size());
            AppendResult appended = follower.appendAsFollower(MemoryRecords.readableRecords(ByteBuffer.wrap(whole)));
            assertEquals(0, appended.firstOffset());
            assertEquals(0, appended.lastOffset());
            assertEquals(-1, appended.logAppendTimeMs());
        }
    }

    @Test
    void aCompactedLogMayStartAFetchAfterItsEnd() throws IOException {
        LogConfig compacted = config(Map.of("cleanup.policy", "compact"));
        try (PartitionLog leader = open("leader", compacted); PartitionLog follower = open("follower", compacted)) {
            for (int i = 0; i < 3; i++) {
                leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "v" + i), 0);
            }
            // the cleaner removed the leader's batch at offset 0: the fetch from 0 starts at 1
            follower.appendAsFollower(fetch(leader, 1, 10_000));
            assertEquals(3, follower.logEndOffset());
        }
        try (PartitionLog leader = open("leader2", rolling); PartitionLog follower = open("follower2", rolling)) {
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "v0"), 0);
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "v1"), 0);
            assertThrows(UnexpectedAppendOffsetException.class, () -> follower.appendAsFollower(fetch(leader, 1, 10_000)),
                    "a log that is not compacted has no gaps");
        }
    }

    /**
     * The divergent tail: the follower took batches of a deposed leader (epoch 1) that the new leader
     * (epoch 2) never had, an open transaction among them. OffsetForLeaderEpoch against the new leader
     * says where epoch 1 diverges; after {@code truncateTo} the follower re-appends from the new end and
     * is the new leader's copy again, producer state included.
     */
    @Test
    void afterTruncationAFollowerReappendsFromTheNewEnd() throws IOException {
        try (PartitionLog oldLeader = open("old", rolling); PartitionLog newLeader = open("new", rolling);
             PartitionLog follower = open("follower", rolling)) {
            for (int i = 0; i < 12; i++) {
                oldLeader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "common" + i, "y".repeat(60)), 0);
            }
            oldLeader.appendAsLeader(LogFixtures.transactional(sequences, 1, time.milliseconds(), "k", "v"), 0);
            oldLeader.appendMarker(1, (short) 0, 0, true, 0);
            catchUp(oldLeader, newLeader, 500);
            catchUp(oldLeader, follower, 500);
            long common = oldLeader.logEndOffset();
            // epoch 1: the old leader writes a tail only the follower gets
            oldLeader.appendAsLeader(LogFixtures.transactional(sequences, 1, time.milliseconds(), "lost", "1"), 1);
            oldLeader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "lost2", "z".repeat(300)), 1);
            oldLeader.appendAsLeader(LogFixtures.idempotent(9, (short) 0, 0, "lost3"), 1);
            catchUp(oldLeader, follower, 500);
            assertEquals(1, follower.latestEpoch());
            assertTrue(follower.tail().firstUnstable() != null, "the follower holds the lost open transaction");
            // epoch 2: the new leader writes its own
            newLeader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "new1"), 2);
            newLeader.appendAsLeader(LogFixtures.idempotent(9, (short) 0, 0, "kept"), 2);
            newLeader.appendMarker(1, (short) 0, 0, false, 2);
            // OffsetForLeaderEpoch(epoch 1) on the new leader: epoch 0 ends where epoch 2 starts
            EpochEntry divergence = newLeader.epochCache().endOffsetFor(follower.latestEpoch(),
                    newLeader.logEndOffset());
            assertEquals(new EpochEntry(0, common), divergence);
            follower.truncateTo(divergence.startOffset());
            assertEquals(common, follower.logEndOffset());
            catchUp(newLeader, follower, 200);
            assertSameState(newLeader, follower);
            assertEquals(List.of(0, 2), follower.epochCache().entries().stream().map(EpochEntry::epoch).toList());
        }
    }

    @Test
    void truncatingInsideABatchDropsTheEpochsStartingInIt() throws IOException {
        try (PartitionLog leader = open("leader", rolling); PartitionLog follower = open("follower", rolling)) {
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "a", "b", "c"), 0); // 0-2
            leader.appendAsLeader(LogFixtures.batch(time.milliseconds(), "d", "e", "f"), 1); // 3-5
            catchUp(leader, follower, 10_000);
            follower.truncateTo(4); // inside the epoch-1 batch: the whole batch goes
            assertEquals(3, follower.logEndOffset());
            assertEquals(List.of(new EpochEntry(0, 0)), follower.epochCache().entries());
            catchUp(leader, follower, 10_000);
            assertSameState(leader, follower);
        }
    }

    private static void assertSameBytes(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, bytes) -> assertArrayEquals(bytes, actual.get(name), name + " changed"));
    }
}
