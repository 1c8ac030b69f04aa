package io.brook.storage.cleaner;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cleaner over transactional data: aborted records go, open transactions wait, markers stay. */
class TransactionCompactionTest {
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

}
