package io.brook.storage.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log's published tail (end plus first unstable offset with its position) and its durable
 * end: what the partition's watermarks are computed from.
 */
class LogTailTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final Map<Long, Integer> sequences = new HashMap<>();
    PartitionLog log;

    @AfterEach
    void close() throws Exception {
        if (log != null) {
            log.close();
        }
        LogFixtures.drainScheduler();
    }

    @Test
    void theTailCarriesTheFirstUnstableOffsetAndWhereItsBatchIs() throws Exception {
        log = LogFixtures.open(dir, config(Map.of()), time);
        log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "plain"), 0);                 // 0
        int position = log.logEndOffsetMetadata().position();
        log.appendAsLeader(LogFixtures.transactional(sequences, 1, time.milliseconds(), "a", "1"), 0); // 1
        log.appendAsLeader(LogFixtures.transactional(sequences, 2, time.milliseconds(), "b", "2"), 0); // 2
        PartitionLog.Tail tail = log.tail();
        assertEquals(3, tail.end().offset());
        assertEquals(new LogOffsetMetadata(1, 0, position), tail.firstUnstable());
        log.appendMarker(1, (short) 0, 0, true, 0);                                              // 3
        assertEquals(2, log.tail().firstUnstable().offset(), "the next open transaction");
        assertTrue(log.tail().firstUnstable().position() > position);
        log.appendMarker(2, (short) 0, 0, false, 0);                                             // 4
        assertNull(log.tail().firstUnstable());
        assertEquals(5, log.tail().end().offset());
    }

    @Test
    void aReopenedLogKnowsItsOpenTransactionByOffset() throws Exception {
        log = LogFixtures.open(dir, config(Map.of()), time);
        log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "plain"), 0);
        log.appendAsLeader(LogFixtures.transactional(sequences, 1, time.milliseconds(), "a", "1"), 0);
        log.close();
        log = LogFixtures.reopen(dir, config(Map.of()), time, 0, false);
        assertEquals(1, log.tail().firstUnstable().offset());
        assertEquals(2, log.tail().end().offset());
        assertEquals(1, log.lastStableOffset(log.logEndOffset()));
    }

    @Test
    void theDurableEndMovesOnlyAtAnFsyncAndFollowsATruncation() throws Exception {
        log = LogFixtures.open(dir, config(Map.of(LogConfig.DURABLE_APPEND_CONFIG, "true")), time);
        for (int i = 0; i < 5; i++) {
            log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "v" + i), 0);
        }
        assertEquals(0, log.durableEnd().offset(), "appending fsyncs nothing");
        CompletableFuture<Void> durable = log.whenDurable(4); // no flusher attached: fsyncs on this thread
        durable.get(30, TimeUnit.SECONDS);
        assertEquals(log.logEndOffsetMetadata(), log.durableEnd());
        assertTrue(log.whenDurable(4).isDone(), "already durable: nothing to wait for");
        log.truncateTo(2);
        assertEquals(2, log.durableEnd().offset(), "a truncation lowers the durable end with the log end");

        try (LogFlusher flusher = new LogFlusher("tail-test-flusher")) {
            log.attachFlusher(flusher);
            log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "again"), 0);
            log.whenDurable(2).get(30, TimeUnit.SECONDS);
            assertEquals(3, log.durableEnd().offset());
            assertEquals(1, flusher.fsyncCount());
        }
    }
}
