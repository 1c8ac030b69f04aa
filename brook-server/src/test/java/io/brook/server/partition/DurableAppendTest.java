package io.brook.server.partition;

import io.brook.metadata.image.PartitionImage;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFlusher;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Durable mode ({@code brook.durable.append}): an append is acknowledged, and the high watermark
 * moves past it, only after the log directory's flusher fsynced it; a retried duplicate waits for
 * its original's fsync; many concurrent appends share few fsyncs (group commit).
 */
@Timeout(120)
class DurableAppendTest {
    private static final TopicPartition TP = new TopicPartition("durable", 0);
    private static final int NODE = 1;
    private static final long WAIT_SECONDS = 60;

    @TempDir
    File dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Partition open(LogFlusher flusher) throws Exception {
        LogConfig config = LogConfig.fromMap(Map.of(LogConfig.DURABLE_APPEND_CONFIG, "true"));
        PartitionLog log = PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP,
                Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ"), config, 0, 0, true, Time.SYSTEM, null);
        log.attachFlusher(flusher);
        closeables.add(log);
        closeables.add(0, flusher);
        return new Partition(TP, log.topicId(), log, new PartitionImage(0, List.of(NODE), List.of(NODE), NODE, 0, 0),
                NODE);
    }

    private static MemoryRecords idempotent(int sequence, String value) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, 7L, (short) 0, sequence,
                new SimpleRecord(value.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anAppendAndItsRetriedDuplicateAreAcknowledgedOnlyAfterTheFsync() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Set<String> fsyncThreads = ConcurrentHashMap.newKeySet();
        AtomicInteger fsyncsStarted = new AtomicInteger();
        LogFlusher flusher = new LogFlusher("test-flusher", log -> {
            fsyncThreads.add(Thread.currentThread().getName());
            fsyncsStarted.incrementAndGet();
            assertTrue(gate.await(WAIT_SECONDS, TimeUnit.SECONDS), "the test opens the gate");
        });
        Partition partition = open(flusher);
        List<Long> watermarksSeen = new CopyOnWriteArrayList<>();
        partition.onHighWatermarkAdvanced(tp -> watermarksSeen.add(partition.highWatermark()));

        AppendResult first = partition.appendAsLeader(idempotent(0, "a"), (short) 1);
        CompletableFuture<Void> acked = partition.whenDurable(first.lastOffset());
        AppendResult retry = partition.appendAsLeader(idempotent(0, "a"), (short) 1);
        assertTrue(retry.duplicate());
        assertEquals(first.firstOffset(), retry.firstOffset());
        CompletableFuture<Void> retryAcked = partition.whenDurable(retry.lastOffset());

        Thread.sleep(100); // give a wrong implementation the chance to acknowledge early
        assertFalse(acked.isDone(), "not acknowledged before the fsync");
        assertFalse(retryAcked.isDone(), "nor is the retried duplicate");
        assertEquals(0, partition.highWatermark(), "the high watermark waits for the fsync");
        assertEquals(0, partition.log().durableEnd().offset());
        assertEquals(1, partition.log().logEndOffset());
        assertTrue(watermarksSeen.isEmpty());

        gate.countDown();
        acked.get(WAIT_SECONDS, TimeUnit.SECONDS);
        retryAcked.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(1, partition.log().durableEnd().offset());
        assertEquals(1, partition.highWatermark());
        assertEquals(List.of(1L), watermarksSeen, "the listener heard of the advance once");
        assertEquals(Set.of("test-flusher"), fsyncThreads, "fsyncs run on the flusher, not the appender");
        assertTrue(fsyncsStarted.get() >= 1);
    }

    @Test
    void concurrentAppendsShareFsyncs() throws Exception {
        // each fsync takes a little while, as on a real disk; appends arriving meanwhile share the next one
        LogFlusher flusher = new LogFlusher("test-flusher", log -> Thread.sleep(2));
        Partition partition = open(flusher);
        int threads = 8;
        int appendsPerThread = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appenders.add(pool.submit(() -> {
                    for (int i = 0; i < appendsPerThread; i++) {
                        AppendResult result = partition.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                                new SimpleRecord(("t" + thread + "-" + i).getBytes(StandardCharsets.UTF_8))), (short) 1);
                        // like a producer with one request in flight: the next batch after the acknowledgement
                        partition.whenDurable(result.lastOffset()).get(WAIT_SECONDS, TimeUnit.SECONDS);
                        assertTrue(partition.log().durableEnd().offset() > result.lastOffset());
                        assertTrue(partition.highWatermark() > result.lastOffset());
                    }
                    return null;
                }));
            }
            for (Future<?> appender : appenders) {
                appender.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int batches = threads * appendsPerThread;
        assertEquals(batches, partition.log().logEndOffset());
        assertEquals(batches, partition.highWatermark());
        long fsyncs = flusher.fsyncCount();
        System.out.println("group commit: " + fsyncs + " fsyncs for " + batches + " batches from " + threads
                + " threads");
        assertTrue(fsyncs <= batches / 3, fsyncs + " fsyncs for " + batches + " batches: group commit shares them");
    }
}
