package io.brook.storage.log;

import io.brook.storage.index.TransactionIndex.AbortedTxn;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transactions in one partition log: the last stable offset, markers, the aborted-transaction index. */
class TransactionLogTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final Map<Long, Integer> sequences = new HashMap<>();

    MemoryRecords txn(long producerId, String... keysAndValues) {
        return LogFixtures.transactional(sequences, producerId, time.milliseconds(), keysAndValues);
    }

    @Test
    void theLastStableOffsetStopsAtTheFirstOpenTransaction() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "plain"), 0);    // 0
            log.appendAsLeader(txn(1, "a", "1", "b", "2"), 0);                          // 1-2
            log.appendAsLeader(txn(2, "c", "3"), 0);                                    // 3
            assertEquals(1, log.lastStableOffset(log.logEndOffset()));
            assertEquals(4, log.appendMarker(1, (short) 0, 0, true, 0));               // 4: commit 1
            assertEquals(3, log.lastStableOffset(log.logEndOffset()));
            assertEquals(5, log.appendMarker(2, (short) 0, 0, false, 0));              // 5: abort 2
            assertEquals(6, log.lastStableOffset(log.logEndOffset()));
            assertEquals(List.of(new AbortedTxn(2, 3, 5, 6)), log.abortedTransactions(0, 6));
            assertEquals(List.of(), log.abortedTransactions(6, 6), "a fetch after the marker needs nothing");
            assertEquals(List.of(), log.abortedTransactions(0, 3), "a fetch ending before the transaction neither");
            assertTrue(new File(log.dir(), String.format("%020d.txnindex", 0)).isFile());
        }
    }

    @Test
    void anAbortWhileAnotherTransactionIsOpenRecordsThatTransactionAsTheStableOffset() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(txn(1, "a", "1"), 0);     // 0
            log.appendAsLeader(txn(2, "b", "2"), 0);     // 1
            log.appendMarker(2, (short) 0, 0, false, 0); // 2
            assertEquals(List.of(new AbortedTxn(2, 1, 2, 0)), log.abortedTransactions(0, 3));
            assertEquals(0, log.lastStableOffset(log.logEndOffset()));
            log.appendMarker(1, (short) 0, 0, false, 0); // 3
            assertEquals(List.of(new AbortedTxn(2, 1, 2, 0), new AbortedTxn(1, 0, 3, 4)),
                    log.abortedTransactions(0, 4));
        }
    }

    @Test
    void refusesStaleMarkersAndPlainBatchesInsideATransaction() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(txn(1, "a", "1"), 0);
            assertThrows(InvalidTxnStateException.class,
                    () -> log.appendAsLeader(LogFixtures.idempotent(1, (short) 0, 1, "x"), 0));
            log.appendMarker(1, (short) 3, 5, false, 0); // a fence: the coordinator bumped the epoch
            assertThrows(InvalidProducerEpochException.class, () -> log.appendMarker(1, (short) 2, 5, true, 0));
            assertThrows(TransactionCoordinatorFencedException.class,
                    () -> log.appendMarker(1, (short) 3, 4, true, 0));
            assertThrows(InvalidProducerEpochException.class, () -> log.appendAsLeader(txn(1, "b", "2"), 0),
                    "the fenced producer's epoch 0 is refused");
            assertEquals(2, log.logEndOffset());
        }
    }

    @Test
    void openTransactionsAndAbortedOnesSurviveCleanAndUncleanRestarts() throws IOException {
        LogConfig cfg = config(Map.of("segment.bytes", "400"));
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            for (int i = 0; i < 12; i++) {
                log.appendAsLeader(txn(i % 3, "k" + i, "v" + i), 0);
                log.appendMarker(i % 3, (short) 0, 0, i % 3 != 2, 0);
            }
            log.appendAsLeader(txn(7, "open", "x"), 0);
        }
        List<AbortedTxn> expected;
        long stable;
        try (PartitionLog log = LogFixtures.reopen(dir, cfg, time, 0, true)) {
            assertTrue(log.segmentCount() > 2, "rolled: " + log.segmentCount());
            expected = log.abortedTransactions(0, log.logEndOffset());
            stable = log.lastStableOffset(log.logEndOffset());
            assertEquals(log.logEndOffset() - 1, stable, "producer 7's transaction is still open");
            assertEquals(4, expected.size());
        }
        // an unclean stop: snapshots and transaction indexes lost, everything rebuilt from the log
        for (File f : new File(dir, "t-0").listFiles()) {
            if (f.getName().endsWith(".snapshot") || f.getName().endsWith(".txnindex")) {
                Files.delete(f.toPath());
            }
        }
        try (PartitionLog log = LogFixtures.reopen(dir, cfg, time, 0, false)) {
            assertEquals(expected, log.abortedTransactions(0, log.logEndOffset()));
            assertEquals(stable, log.lastStableOffset(log.logEndOffset()));
            log.appendMarker(7, (short) 0, 0, true, 0);
            assertEquals(log.logEndOffset(), log.lastStableOffset(log.logEndOffset()));
        }
    }

}
