package io.brook.storage.cleaner;

import io.brook.storage.index.TransactionIndex.AbortedTxn;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cleaner over transactional data: aborted records go, open transactions wait, markers stay. */
@Timeout(10)
class TransactionCompactionTest {
    /** Stands for the process dying mid-cleaning: an Error, so no cleanup code in the cleaner runs. */
    private static final class Crash extends Error {
    }

    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final Map<Long, Integer> sequences = new HashMap<>();

    MemoryRecords txn(long producerId, String... keysAndValues) {
        return LogFixtures.transactional(sequences, producerId, time.milliseconds(), keysAndValues);
    }

    @Test
    void compactionDropsAbortedRecordsAndNeverLetsThemHideACommittedValue() throws Exception {
        LogConfig cfg = config(Map.of("cleanup.policy", "compact", "segment.bytes", "300",
                "min.cleanable.dirty.ratio", "0.01"));
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            log.appendAsLeader(txn(1, "k", "committed"), 0);
            log.appendMarker(1, (short) 0, 0, true, 0);
            log.appendAsLeader(txn(2, "k", "aborted", "other", "aborted"), 0);
            log.appendMarker(2, (short) 0, 0, false, 0);
            log.appendAsLeader(txn(3, "open", "pending"), 0); // open: neither it nor what follows is cleaned
            for (int i = 0; i < 10; i++) {
                log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "filler" + i), 0);
            }
            new Cleaner(new OffsetMap(1 << 16, 0.9), 4096, new Throttler(Double.MAX_VALUE, time), time)
                    .clean(log, CleaningPlanner.plan(log, -1, time.milliseconds()));
            Map<String, String> visible = LogFixtures.readCommitted(log);
            assertEquals("committed", visible.get("k"));
            assertFalse(visible.containsKey("other"));
            List<String> all = LogFixtures.values(LogFixtures.readAll(log, log.logStartOffset(),
                    log.logEndOffset()));
            assertFalse(all.contains("aborted"), "aborted records are gone from the log: " + all);
            assertTrue(all.contains("pending"), "the open transaction's record stays");
            assertTrue(all.contains("committed"));
        }
    }


    @Test
    void markersGoOnceTheirTransactionsLeftNoRecordAndTheDeleteHorizonPassed() throws Exception {
        LogConfig cfg = config(Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.01",
                "delete.retention.ms", "1000"));
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            log.appendAsLeader(txn(1, "k", "aborted"), 0);               // 0
            log.appendMarker(1, (short) 0, 0, false, 0);                 // 1
            log.appendAsLeader(txn(1, "j", "p1"), 0);                    // 2: producer 1's last batch
            log.appendMarker(1, (short) 0, 0, true, 0);                  // 3
            log.appendAsLeader(txn(2, "k", "old"), 0);                   // 4
            log.appendMarker(2, (short) 0, 0, true, 0);                  // 5
            log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "newer"), 0); // 6, key k0
            log.appendAsLeader(txn(2, "k", "latest"), 0);                // 7
            log.appendMarker(2, (short) 0, 0, true, 0);                  // 8
            log.roll(time.milliseconds());
            Cleaner cleaner = new Cleaner(new OffsetMap(1 << 16, 0.9), 4096, new Throttler(Double.MAX_VALUE, time), time);
            for (int round = 0; round < 3; round++) {
                cleaner.clean(log, CleaningPlanner.plan(log, -1, time.milliseconds()));
                time.advance(1_001);
            }
            List<Long> markers = new java.util.ArrayList<>();
            for (var batch : LogFixtures.readAll(log, 0, log.logEndOffset()).batches()) {
                if (batch.isControlBatch()) {
                    markers.add(batch.baseOffset());
                }
            }
            assertEquals(List.of(3L, 8L), markers, "only the markers of transactions whose records stay");
            assertEquals(List.of(), log.abortedTransactions(0, log.logEndOffset()), "no aborted transaction left");
            assertEquals(Map.of("k", "latest", "k0", "newer", "j", "p1"), LogFixtures.readCommitted(log));
        }
    }

    /**
     * Random committed and aborted transactions of a few producers among plain records, cleaned
     * three times with delete.retention.ms passing in between, sometimes crashing mid-swap: what
     * read_committed sees (latest value per key) never changes, and once every transaction is
     * decided, aborted records are gone after any whole cleaning. Markers go as in Kafka: a cleaning
     * that finds no batch of a marker's transaction sets the marker's delete horizon, the first
     * cleaning after the horizon drops it; a cleaning that drops a transaction's last batch still
     * saw it, so after three whole cleanings only markers with a batch of their transaction are
     * left, and the aborted-transaction index lists exactly the abort markers left. A marker never
     * goes before the last batch of its transaction (a producer's last data batch stays, emptied).
     */
    @net.jqwik.api.Property(tries = 80)
    void cleaningNeverChangesWhatReadCommittedSees(@net.jqwik.api.ForAll long seed) throws Exception {
        File base = CompactedLogs.tempDir();
        try {
            // jqwik ignores JUnit's @Timeout: each try gets its own deadline
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> runRandom(new java.util.Random(seed), base));
        } finally {
            CompactedLogs.deleteRecursively(base);
        }
    }

    private void runRandom(java.util.Random random, File base) throws Exception {
        LogConfig cfg = config(Map.of("cleanup.policy", "compact", "segment.bytes", String.valueOf(200 + random.nextInt(800)),
                "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "1000"));
        Map<Long, Integer> seqs = new HashMap<>();
        Map<String, String> before;
        java.util.Set<String> abortedValues = new java.util.HashSet<>();
        long openProducer = random.nextBoolean() ? 9 : -1;
        try (PartitionLog log = LogFixtures.open(base, cfg, time)) {
            java.util.Set<Long> open = new java.util.HashSet<>();
            Map<Long, List<String>> pending = new HashMap<>();
            int value = 0;
            for (int i = 0; i < 40 + random.nextInt(80); i++) {
                long producer = 1 + random.nextInt(3);
                int choice = random.nextInt(10);
                String key = "k" + random.nextInt(6);
                if (choice < 5) {
                    String v = "v" + value++;
                    log.appendAsLeader(LogFixtures.transactional(seqs, producer, time.milliseconds(), key, v), 0);
                    open.add(producer);
                    pending.computeIfAbsent(producer, p -> new java.util.ArrayList<>()).add(v);
                } else if (choice < 8 && open.remove(producer)) {
                    boolean commit = random.nextBoolean();
                    log.appendMarker(producer, (short) 0, 0, commit, 0);
                    if (!commit) {
                        abortedValues.addAll(pending.get(producer));
                    }
                    pending.remove(producer);
                } else {
                    log.appendAsLeader(MemoryRecords.withRecords(org.apache.kafka.common.compress.Compression.NONE,
                            LogFixtures.record(time.milliseconds(), key, "plain" + value++)), 0);
                }
                time.advance(random.nextInt(5));
            }
            for (long producer : open) {
                boolean commit = random.nextBoolean();
                log.appendMarker(producer, (short) 0, 0, commit, 0);
                if (!commit) {
                    abortedValues.addAll(pending.get(producer));
                }
            }
            if (openProducer > 0) {
                log.appendAsLeader(LogFixtures.transactional(seqs, openProducer, time.milliseconds(), "k0", "undecided"), 0);
            }
            log.roll(time.milliseconds());
            before = LogFixtures.readCommitted(log);
        }
        boolean everyRoundWhole = true;
        for (int round = 0; round < 3; round++) {
            boolean crash = random.nextInt(3) == 0;
            int crashAt = 1 + random.nextInt(8);
            int[] reached = new int[1];
            PartitionLog log = LogFixtures.reopen(base, cfg, time, 0, true);
            Cleaner cleaner = new Cleaner(new OffsetMap(1 << 16, 0.9), 4096, new Throttler(Double.MAX_VALUE, time), time,
                    step -> {
                        if (crash && ++reached[0] == crashAt) {
                            throw new Crash();
                        }
                    });
            boolean crashed = false;
            try {
                cleaner.clean(log, CleaningPlanner.plan(log, -1, time.milliseconds()));
                log.close();
            } catch (Crash e) {
                crashed = true; // abandoned as it is, open files and all; the next open recovers
            }
            everyRoundWhole &= !crashed;
            String where = "round " + round + (crashed ? " (crashed)" : "");
            try (PartitionLog reopened = LogFixtures.reopen(base, cfg, time, 0, !crashed)) {
                assertEquals(before, LogFixtures.readCommitted(reopened), where);
                if (openProducer < 0) { // everything is cleanable
                    MemoryRecords records = LogFixtures.readAll(reopened, reopened.logStartOffset(),
                            reopened.logEndOffset());
                    assertEquals(java.util.Set.of(), unendedTransactions(records),
                            "producers with a batch after their last marker, " + where);
                    if (!crashed) {
                        List<String> all = LogFixtures.values(records);
                        assertFalse(all.stream().anyMatch(abortedValues::contains),
                                "no aborted record left after a whole cleaning, " + where + ": " + all);
                    }
                    if (everyRoundWhole && round == 2) {
                        assertEquals(List.of(), markersWithoutBatches(records),
                                "markers of transactions that left no batch, three cleanings apart");
                        assertEquals(abortMarkers(records), reopened.abortedTransactions(0, reopened.logEndOffset())
                                .stream().map(AbortedTxn::lastOffset).toList(), "aborted transactions left");
                    }
                }
            }
            time.advance(1_001); // past delete.retention.ms: markers without batches may go next round
        }
    }

    /**
     * The offsets of the markers whose transaction has no batch between the producer's previous
     * marker and this one. A batch counts even when emptied: a producer's last data batch stays,
     * empty, to keep its sequence, and (as in Kafka) its transaction's marker stays with it.
     */
    private static List<Long> markersWithoutBatches(MemoryRecords records) {
        List<Long> found = new java.util.ArrayList<>();
        java.util.Set<Long> withBatches = new java.util.HashSet<>();
        for (RecordBatch batch : records.batches()) {
            if (batch.isControlBatch()) {
                if (!withBatches.remove(batch.producerId())) {
                    found.add(batch.baseOffset());
                }
            } else if (batch.isTransactional()) {
                withBatches.add(batch.producerId());
            }
        }
        return found;
    }

    /**
     * The producers with a transactional batch after their last marker: to a reader (and to the
     * producer state rebuilt from the log) they have a transaction open, holding back the LSO.
     */
    private static java.util.Set<Long> unendedTransactions(MemoryRecords records) {
        java.util.Set<Long> open = new java.util.HashSet<>();
        for (RecordBatch batch : records.batches()) {
            if (batch.isControlBatch()) {
                open.remove(batch.producerId());
            } else if (batch.isTransactional()) {
                open.add(batch.producerId());
            }
        }
        return open;
    }

    private static List<Long> abortMarkers(MemoryRecords records) {
        List<Long> found = new java.util.ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            if (batch.isControlBatch()
                    && ControlRecordType.parse(batch.iterator().next().key()) == ControlRecordType.ABORT) {
                found.add(batch.baseOffset());
            }
        }
        return found;
    }
}
