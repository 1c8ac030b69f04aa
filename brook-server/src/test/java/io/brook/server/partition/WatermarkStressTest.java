package io.brook.server.partition;

import io.brook.metadata.image.PartitionImage;
import io.brook.storage.index.TransactionIndex.AbortedTxn;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrent stress on one partition's watermarks: appending, transactional and fetching threads
 * at once, checking after every step that the high watermark and last stable offset never move
 * back, that the high watermark catches up with the log end once appends stop, and that a
 * read_committed read (up to the last stable offset, aborted transactions filtered as a consumer
 * does with what FetchHandler reports) never returns a record of an open or aborted transaction.
 * Seeded; each run takes a second or two.
 */
@Timeout(120)
class WatermarkStressTest {
    private static final TopicPartition TP = new TopicPartition("stress", 0);
    private static final int NODE = 1;
    private static final long WAIT_SECONDS = 60;

    @TempDir
    File dir;

    private Partition open(Map<String, String> configs) throws Exception {
        LogConfig config = LogConfig.fromMap(configs);
        PartitionLog log = PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP,
                Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ"), config, 0, 0, true, Time.SYSTEM, null);
        return new Partition(TP, log.topicId(), log, new PartitionImage(0, List.of(NODE), List.of(NODE), NODE, 0, 0),
                NODE);
    }

    private static MemoryRecords plain(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Appenders finish in any order; an observer checks the high watermark only ever grows and never
     * passes the log end; after each round it equals the log end (the tail is visible at once).
     */
    @Test
    void theHighWatermarkNeverMovesBackAndCatchesUpWithTheLogEnd() throws Exception {
        Partition partition = open(Map.of());
        // now and then an appender pauses between reading the log end and setting the watermarks, as a
        // preempted thread would: an unlocked read-then-write would then set a stale, lower value
        partition.watermarkProbe(() -> {
            if (java.util.concurrent.ThreadLocalRandom.current().nextInt(16) == 0) {
                Thread.yield();
            }
        });
        int threads = 4;
        int rounds = 40;
        int appendsPerRound = 250;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        try {
            Future<?> observer = pool.submit(() -> {
                long last = -1;
                while (!stop.get() && violation.get() == null) {
                    long hw = partition.highWatermark();
                    long end = partition.log().logEndOffset();
                    if (hw < last) {
                        violation.compareAndSet(null, "the high watermark moved back from " + last + " to " + hw);
                    }
                    if (hw > end) {
                        violation.compareAndSet(null, "the high watermark " + hw + " passed the log end " + end);
                    }
                    last = hw;
                }
            });
            for (int round = 0; round < rounds && violation.get() == null; round++) {
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<?>> appenders = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    appenders.add(pool.submit(() -> {
                        start.await(WAIT_SECONDS, TimeUnit.SECONDS);
                        for (int i = 0; i < appendsPerRound; i++) {
                            long last = partition.appendAsLeader(plain("t" + thread + "-" + i), (short) 1).lastOffset();
                            long hw = partition.highWatermark();
                            if (hw <= last) {
                                violation.compareAndSet(null, "append of offset " + last + " returned but the high "
                                        + "watermark is " + hw);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> appender : appenders) {
                    appender.get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                assertEquals(partition.log().logEndOffset(), partition.highWatermark(),
                        "after round " + round + " every append finished: the high watermark is the log end");
                assertEquals(partition.log().logEndOffset(), partition.lastStableOffset());
            }
            stop.set(true);
            observer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNull(violation.get());
        } finally {
            stop.set(true);
            pool.shutdownNow();
            partition.log().close();
        }
    }

    /** What one transactional producer decided: recorded before its marker is written. */
    private record Txn(long producerId, int number) {
        static Txn parse(String value) {
            String[] parts = value.split(":");
            return new Txn(Long.parseLong(parts[1]), Integer.parseInt(parts[2]));
        }
    }

    @Test
    void readCommittedNeverSeesAnOpenOrAbortedTransactionAndWatermarksOnlyGrow() throws Exception {
        runTransactional(new Random(17), Map.of());
    }

    /**
     * The same under {@code brook.durable.append}: the high watermark moves at the flusher's fsync,
     * so the last stable offset is bounded by it while appends and markers run ahead.
     */
    @Test
    void theSameHoldsInDurableMode() throws Exception {
        runTransactional(new Random(23), Map.of(LogConfig.DURABLE_APPEND_CONFIG, "true"));
    }

    private void runTransactional(Random seeds, Map<String, String> configs) throws Exception {
        Partition partition = open(configs);
        io.brook.storage.log.LogFlusher flusher = new io.brook.storage.log.LogFlusher("stress-flusher");
        partition.log().attachFlusher(flusher);
        int producers = 3;
        int txnsPerProducer = 150;
        Map<Txn, Boolean> decided = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(producers + 3);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                long producerId = 1000 + p;
                Random random = new Random(seeds.nextLong());
                writers.add(pool.submit(() -> {
                    int sequence = 0;
                    for (int n = 0; n < txnsPerProducer && violation.get() == null; n++) {
                        int batches = 1 + random.nextInt(3);
                        for (int b = 0; b < batches; b++) {
                            String value = "txn:" + producerId + ":" + n + ":" + b;
                            partition.appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE,
                                    producerId, (short) 0, sequence++, new SimpleRecord(
                                            value.getBytes(StandardCharsets.UTF_8))), (short) -1);
                        }
                        boolean commit = random.nextBoolean();
                        decided.put(new Txn(producerId, n), commit);
                        partition.appendMarker(producerId, (short) 0, 0, commit);
                    }
                    return null;
                }));
            }
            writers.add(pool.submit(() -> {
                for (int i = 0; i < producers * txnsPerProducer && violation.get() == null; i++) {
                    partition.appendAsLeader(plain("plain:" + i), (short) 1);
                }
                return null;
            }));
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    Reader reader = new Reader(partition, decided);
                    while (!stop.get() && violation.get() == null) {
                        String problem = reader.step();
                        if (problem != null) {
                            violation.compareAndSet(null, problem);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            if (configs.containsKey(LogConfig.DURABLE_APPEND_CONFIG)) {
                partition.whenDurable(partition.log().logEndOffset() - 1).get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            stop.set(true);
            for (Future<?> reader : readers) {
                reader.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            assertNull(violation.get());
            assertEquals(partition.log().logEndOffset(), partition.highWatermark());
            assertEquals(partition.highWatermark(), partition.lastStableOffset(), "every transaction is decided");
            // everything decided: a last read from the start sees every committed record and only those
            Reader last = new Reader(partition, decided);
            while (last.offset < partition.lastStableOffset()) {
                assertNull(last.step());
            }
            long committedRecords = last.seen.stream().filter(v -> v.startsWith("txn:")).count();
            assertTrue(committedRecords > 0);
            assertEquals(producers * txnsPerProducer, last.seen.stream().filter(v -> v.startsWith("plain:")).count());
        } finally {
            stop.set(true);
            pool.shutdownNow();
            flusher.close();
            partition.log().close();
        }
    }

    /** A read_committed consumer: fetches from its position up to the last stable offset, as FetchHandler answers. */
    private static final class Reader {
        final Partition partition;
        final Map<Txn, Boolean> decided;
        final Set<Long> abortedProducers = new HashSet<>();
        final List<String> seen = new ArrayList<>();
        long offset;
        long lastHighWatermark = -1;
        long lastStable = -1;

        Reader(Partition partition, Map<Txn, Boolean> decided) {
            this.partition = partition;
            this.decided = decided;
        }

        /** One fetch; returns what went wrong, or null. */
        String step() throws Exception {
            Partition.Watermarks watermarks = partition.watermarks();
            long hw = watermarks.highWatermark().offset();
            long stable = watermarks.lastStable().offset();
            if (hw < lastHighWatermark || stable < lastStable) {
                return "watermarks moved back: hw " + lastHighWatermark + " -> " + hw + ", lso " + lastStable
                        + " -> " + stable;
            }
            if (stable > hw || hw > partition.log().logEndOffset()) {
                return "lso " + stable + " > hw " + hw + " or hw past the log end";
            }
            lastHighWatermark = hw;
            lastStable = stable;
            if (offset >= stable) {
                return null;
            }
            Records records = partition.log().read(offset, 64 * 1024, stable, true);
            PriorityQueue<AbortedTxn> aborted = new PriorityQueue<>(Comparator.comparingLong(AbortedTxn::firstOffset));
            aborted.addAll(partition.log().abortedTransactions(offset, stable));
            for (RecordBatch batch : records.batches()) {
                if (batch.baseOffset() >= stable) {
                    return "read a batch at " + batch.baseOffset() + " past the last stable offset " + stable;
                }
                offset = batch.nextOffset();
                while (!aborted.isEmpty() && aborted.peek().firstOffset() <= batch.lastOffset()) {
                    abortedProducers.add(aborted.poll().producerId());
                }
                if (batch.isControlBatch()) {
                    abortedProducers.remove(batch.producerId());
                    continue;
                }
                if (batch.isTransactional() && abortedProducers.contains(batch.producerId())) {
                    continue;
                }
                for (var record : batch) {
                    String value = StandardCharsets.UTF_8.decode(record.value()).toString();
                    if (value.startsWith("txn:")) {
                        Boolean commit = decided.get(Txn.parse(value));
                        if (commit == null) {
                            return value + " at " + record.offset() + " is visible below lso " + stable
                                    + " but its transaction is still open";
                        }
                        if (!commit) {
                            return value + " at " + record.offset() + " is visible but its transaction aborted";
                        }
                    }
                    seen.add(value);
                }
            }
            return null;
        }
    }
}
