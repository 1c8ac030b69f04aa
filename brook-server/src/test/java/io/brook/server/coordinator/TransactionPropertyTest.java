package io.brook.server.coordinator;

import io.brook.coordinator.transaction.TransactionConfig;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator.InitResult;
import io.brook.coordinator.transaction.TransactionRecord;
import io.brook.storage.index.TransactionIndex.AbortedTxn;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transaction coordinator and real partition logs under random sequences of begin (add
 * partitions), produce, commit, abort, timeouts, fencing by a new instance, produce attempts by
 * fenced instances, failing marker writes, coordinator reloads and partition log restarts, on a
 * fake clock. After every step, read_committed (up to the last stable offset, dropping the
 * aborted transactions the log reports) shows only records of committed transactions, never an
 * aborted or undecided one; once everything is decided it shows every committed record.
 */
@Timeout(90)
class TransactionPropertyTest {
    private static final List<String> IDS = List.of("t1", "t2", "t3");
    private static final List<TopicPartition> PARTITIONS = List.of(new TopicPartition("a", 0),
            new TopicPartition("b", 0));
    private static final int TIMEOUT_MS = 10_000;

    @Property(tries = 150)
    void noAbortedRecordIsEverVisibleAndNoCommittedOneIsLost(@ForAll long seed) throws Exception {
        File dir = Files.createTempDirectory("brook-txn-property").toFile();
        try {
            // jqwik ignores JUnit's @Timeout: each try gets its own deadline
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new Run(new Random(seed), dir).run());
        } finally {
            try (var paths = Files.walk(dir.toPath())) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A producer instance: the id and epoch InitProducerId gave it. */
    private record Instance(String id, long producerId, short epoch) {
    }

    private static final class Run {
        final Random random;
        final File dir;
        final FakeTimer timer = new FakeTimer();
        final LogConfig config = LogConfig.fromMap(Map.of("segment.bytes", "2048", "file.delete.delay.ms", "0"));
        final Map<TopicPartition, PartitionLog> logs = new LinkedHashMap<>();
        final List<TransactionRecord> stateLog = new ArrayList<>();
        final Map<String, Instance> current = new HashMap<>();
        final List<Instance> fenced = new ArrayList<>();
        final Map<Long, String> idOfProducer = new HashMap<>();
        final Map<String, List<String>> undecided = new HashMap<>();
        final Set<String> committed = new HashSet<>();
        final Set<String> aborted = new HashSet<>();
        /** The next sequence number of each producer id and epoch in each partition. */
        final Map<String, Integer> sequences = new HashMap<>();
        boolean markersFail;
        long nextProducerId = 1000;
        int nextValue;
        TransactionCoordinator coordinator;

        Run(Random random, File dir) {
            this.random = random;
            this.dir = dir;
        }

        void run() throws Exception {
            for (TopicPartition tp : PARTITIONS) {
                logs.put(tp, open(tp, true));
            }
            coordinator = newCoordinator();
            int steps = 20 + random.nextInt(60);
            for (int step = 0; step < steps; step++) {
                step();
                checkVisibility(false);
            }
            markersFail = false;
            timer.advance(TIMEOUT_MS + 1); // retries run; every open transaction outlives its timeout
            coordinator.abortTimedOut();
            timer.advance(1_000);
            checkVisibility(true);
            for (PartitionLog log : logs.values()) {
                log.close();
            }
        }

        void step() throws Exception {
            String id = IDS.get(random.nextInt(IDS.size()));
            TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
            Instance instance = current.get(id);
            int choice = random.nextInt(100);
            if (instance == null || choice < 8) {
                init(id);
            } else if (choice < 25) {
                coordinator.addPartitions(id, instance.producerId(), instance.epoch(), List.of(tp)).join();
            } else if (choice < 55) {
                produce(instance, tp);
            } else if (choice < 72) {
                end(instance, choice < 65);
            } else if (choice < 78 && !fenced.isEmpty()) {
                produce(fenced.get(random.nextInt(fenced.size())), tp); // a zombie
            } else if (choice < 84) {
                timer.advance(random.nextInt(TIMEOUT_MS / 2));
                coordinator.abortTimedOut();
            } else if (choice < 89) {
                markersFail = !markersFail;
            } else if (choice < 94) {
                timer.clear(); // a node restart: the old coordinator's retries die with it
                coordinator = newCoordinator(); // and the new one replays the log
            } else {
                restartLog(tp);
            }
        }

        void init(String id) {
            InitResult result = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                result = coordinator.initProducerId(id, TIMEOUT_MS, -1, (short) -1).join();
                if (result.error() != Errors.CONCURRENT_TRANSACTIONS) {
                    break;
                }
            }
            if (result.error() == Errors.NONE) {
                Instance old = current.put(id, new Instance(id, result.producerId(), result.producerEpoch()));
                if (old != null) {
                    fenced.add(old);
                }
                idOfProducer.put(result.producerId(), id);
            }
        }

        /**
         * Ends the transaction with protocol 1 or 2 (chosen per instance); with 2 the instance
         * continues under the new epoch and the old one becomes a zombie.
         */
        void end(Instance instance, boolean commit) {
            boolean v2 = protocolTwo(instance);
            TransactionCoordinator.EndResult result = coordinator.endTxn(instance.id(), instance.producerId(),
                    instance.epoch(), commit, v2).join();
            if (v2 && result.error() == Errors.NONE && current.get(instance.id()) == instance
                    && (result.producerId() != instance.producerId() || result.producerEpoch() != instance.epoch())) {
                Instance next = new Instance(instance.id(), result.producerId(), result.producerEpoch());
                current.put(instance.id(), next);
                fenced.add(instance);
                idOfProducer.put(next.producerId(), next.id());
            }
        }

        /** Half the producer instances speak transaction protocol 2. */
        boolean protocolTwo(Instance instance) {
            return (instance.producerId() + instance.id().hashCode()) % 2 == 0;
        }

        /**
         * Appends one record the way Produce does: protocol 1 only if the coordinator verifies the
         * partition is in the transaction, protocol 2 after adding it implicitly. An instance the
         * coordinator admits is the current one, and its partition takes the batch: a refusal fails.
         */
        void produce(Instance instance, TopicPartition tp) throws IOException {
            Errors admitted = protocolTwo(instance)
                    ? coordinator.addPartitions(instance.id(), instance.producerId(), instance.epoch(), List.of(tp)).join()
                    : coordinator.verify(instance.id(), instance.producerId(), instance.epoch(), tp);
            if (admitted != Errors.NONE) {
                return;
            }
            assertTrue(current.get(instance.id()) == instance, "only the current instance passes verification");
            int seq = sequences.merge(instance.producerId() + "@" + instance.epoch() + " " + tp, 1, Integer::sum) - 1;
            String value = "v" + nextValue++;
            logs.get(tp).appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE,
                    instance.producerId(), instance.epoch(), seq, new SimpleRecord(1L, null,
                            value.getBytes(StandardCharsets.UTF_8))), 0);
            undecided.computeIfAbsent(instance.id(), i -> new ArrayList<>()).add(value);
        }

        TransactionCoordinator newCoordinator() {
            TransactionCoordinator c = new TransactionCoordinator(new TransactionConfig(60_000, Long.MAX_VALUE, 0),
                    (id, record) -> {
                        stateLog.add(record == null ? null : record);
                        return CompletableFuture.completedFuture(null);
                    },
                    this::writeMarkers,
                    () -> CompletableFuture.completedFuture(nextProducerId++), timer, timer::now);
            Map<String, TransactionRecord> latest = new LinkedHashMap<>();
            for (TransactionRecord r : stateLog) {
                latest.put(r.transactionalId(), r);
            }
            latest.forEach(c::load);
            c.resumePreparedTransactions();
            return c;
        }

        CompletableFuture<Void> writeMarkers(long producerId, short epoch, int coordinatorEpoch, boolean commit,
                                             Set<TopicPartition> partitions) {
            if (markersFail) {
                return CompletableFuture.failedFuture(new IOException("simulated marker failure"));
            }
            try {
                for (TopicPartition tp : partitions) {
                    try {
                        logs.get(tp).appendMarker(producerId, epoch, coordinatorEpoch, commit, 0);
                    } catch (InvalidProducerEpochException e) {
                        // the partition moved past this transaction: LocalMarkerWriter skips it too
                    }
                }
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            List<String> decided = undecided.remove(idOfProducer.get(producerId));
            if (decided != null) {
                (commit ? committed : aborted).addAll(decided);
            }
            return CompletableFuture.completedFuture(null);
        }

        void restartLog(TopicPartition tp) throws IOException {
            PartitionLog log = logs.get(tp);
            log.close();
            boolean clean = random.nextBoolean();
            if (!clean) { // as after a crash: producer snapshots may be gone, everything rebuilt from the log
                for (File f : log.dir().listFiles((d, n) -> n.endsWith(".snapshot"))) {
                    Files.delete(f.toPath());
                }
            }
            logs.put(tp, open(tp, clean));
        }

        PartitionLog open(TopicPartition tp, boolean clean) throws IOException {
            return PartitionLog.open(new File(dir, PartitionLog.dirName(tp)), tp, Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ"),
                    config, 0, 0, clean, Time.SYSTEM, null);
        }

        void checkVisibility(boolean allDecided) throws IOException {
            List<String> visible = new ArrayList<>();
            for (PartitionLog log : logs.values()) {
                visible.addAll(readCommitted(log));
            }
            for (String v : visible) {
                assertTrue(committed.contains(v), v + " is visible but its transaction "
                        + (aborted.contains(v) ? "aborted" : "is undecided"));
            }
            if (allDecided) {
                assertTrue(undecided.values().stream().allMatch(List::isEmpty), "undecided: " + undecided);
                assertEquals(committed, new HashSet<>(visible), "every committed record is visible");
                assertEquals(committed.size(), visible.size(), "and only once");
            }
        }
    }

    /** What a read_committed consumer gets: records below the LSO, minus the aborted transactions. */
    static List<String> readCommitted(PartitionLog log) throws IOException {
        long end = log.lastStableOffset(log.logEndOffset());
        List<AbortedTxn> pending = new ArrayList<>(log.abortedTransactions(log.logStartOffset(), end));
        Set<Long> abortedProducers = new HashSet<>();
        List<String> values = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < end) {
            Records chunk = log.read(offset, Integer.MAX_VALUE, end, true);
            if (chunk.sizeInBytes() == 0) {
                break;
            }
            for (RecordBatch batch : chunk.batches()) {
                offset = batch.nextOffset();
                pending.removeIf(t -> t.firstOffset() <= batch.lastOffset() && abortedProducers.add(t.producerId()));
                if (batch.isControlBatch()) {
                    abortedProducers.remove(batch.producerId());
                } else if (!(batch.isTransactional() && abortedProducers.contains(batch.producerId()))) {
                    batch.forEach(r -> values.add(StandardCharsets.UTF_8.decode(r.value()).toString()));
                }
            }
        }
        return values;
    }

    /** A timer the test advances by hand; tasks run in deadline order. */
    private static final class FakeTimer implements TransactionCoordinator.Timer {
        private long nowMs = 1_700_000_000_000L;
        private final List<long[]> deadlines = new ArrayList<>();
        private final List<Runnable> tasks = new ArrayList<>();

        long now() {
            return nowMs;
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable task, long delayMs) {
            deadlines.add(new long[] {nowMs + delayMs});
            tasks.add(task);
            return new DoneFuture();
        }

        void clear() {
            deadlines.clear();
            tasks.clear();
        }

        void advance(long ms) {
            long target = nowMs + ms;
            while (true) {
                int next = -1;
                for (int i = 0; i < tasks.size(); i++) {
                    if (deadlines.get(i)[0] <= target && (next < 0 || deadlines.get(i)[0] < deadlines.get(next)[0])) {
                        next = i;
                    }
                }
                if (next < 0) {
                    break;
                }
                nowMs = Math.max(nowMs, deadlines.remove(next)[0]);
                tasks.remove(next).run();
            }
            nowMs = target;
        }
    }

    private static final class DoneFuture implements ScheduledFuture<Object> {
        @Override
        public long getDelay(TimeUnit unit) {
            return 0;
        }

        @Override
        public int compareTo(Delayed o) {
            return 0;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isDone() {
            return true;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }
}
