package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consume-transform-produce loop with a transactional Java producer (read_committed input, output and consumed
 * offsets in one transaction per poll) across the SIGKILL of its transaction coordinator, on three Brook processes
 * (every topic with three replicas, min ISR 2): a transaction is open, or being committed, when the node that
 * coordinates it dies; the transaction's partition of {@code __transaction_state} moves to a follower, which loads
 * it and completes or aborts what the dead node left, and the loop goes on. Read with read_committed, the output
 * holds every input record exactly once, in order, and the group's committed offsets are the input's end.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TransactionCoordinatorFailoverTest {
    private static final String INPUT = "ctp-input";
    private static final String OUTPUT = "ctp-output";
    private static final String GROUP = "ctp";
    private static final String TRANSACTIONAL_ID = "ctp-transformer";
    private static final int PARTITIONS = 3;
    private static final int PER_PARTITION = 2_000;
    /** Records per transaction at most, so that there are many transactions to catch. */
    private static final int MAX_POLL = 100;
    /** How long the coordinator stays down at least: past the session timeout, so its leaderships move. */
    private static final Duration DOWN = Duration.ofSeconds(20);
    /** A transaction committed through the new coordinator, at the latest (an election, a session timeout, a load). */
    private static final Duration MOVE = Duration.ofSeconds(90);
    /** The whole loop, the kill included. */
    private static final Duration LOOP = Duration.ofSeconds(180);
    private static final Duration FAILOVER = Duration.ofSeconds(90);

    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();

    @Test
    void everyInputRecordIsTransformedExactlyOnceAcrossTheKillOfTheTransactionCoordinator() throws Exception {
        BrookCluster cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(INPUT, OUTPUT).stream().map(t -> new NewTopic(t, PARTITIONS, (short) 3)
                .configs(Map.of("min.insync.replicas", "2"))).toList()).all().get(60, TimeUnit.SECONDS);
        produceInput(cluster);

        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL));
        List<TopicPartition> inputs = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            inputs.add(new TopicPartition(INPUT, p));
        }
        consumer.assign(inputs);
        Transformer transformer = new Transformer(cluster, consumer);

        long deadline = System.nanoTime() + LOOP.toNanos();
        long total = (long) PARTITIONS * PER_PARTITION;
        int coordinator = cluster.await("the coordinator of " + TRANSACTIONAL_ID, FAILOVER, () -> admin
                .describeTransactions(List.of(TRANSACTIONAL_ID)).description(TRANSACTIONAL_ID)
                .get(10, TimeUnit.SECONDS).coordinatorId());
        // the kill comes from another thread while the loop runs, as soon as a commit was answered: EndTxn is answered
        // once PrepareCommit is written, so the coordinator dies while it writes the transaction's markers, and the
        // next one must finish them (or, a little later, the next transaction is under way)
        CompletableFuture<Long> kill = CompletableFuture.supplyAsync(() -> {
            try {
                while (transformer.committedRecords < total / 3) {
                    Thread.onSpinWait();
                }
                cluster.kill(coordinator);
                return System.nanoTime();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        while (!kill.isDone()) {
            transformer.step(deadline);
        }
        long killed = kill.get();
        long committedBefore = transformer.transactions;
        while (System.nanoTime() - killed < DOWN.toNanos()
                || transformer.transactions == committedBefore && System.nanoTime() - killed < MOVE.toNanos()) {
            transformer.step(deadline);
        }
        long whileDown = transformer.transactions - committedBefore;
        long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        cluster.start(coordinator);
        while (transformer.committedRecords < total) {
            transformer.step(deadline);
        }
        transformer.producer.close(Duration.ofSeconds(10));
        System.out.printf("[txn-coordinator-failover] node %d (coordinator of %s) killed for %d ms: %d transactions, "
                        + "%d of them while it was down, %d failed and started over (%s)%n", coordinator,
                TRANSACTIONAL_ID, downMs, transformer.transactions, whileDown, transformer.failures,
                transformer.failureKinds);

        assertTrue(whileDown > 0, "a transaction committed through the new coordinator while the old one was down");
        // the last transaction's markers are written after its EndTxn was answered
        cluster.await("the group's offsets at the input's end", FAILOVER, () -> {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return inputs.stream().allMatch(tp -> committed.get(tp) != null
                    && committed.get(tp).offset() == PER_PARTITION);
        });
        Map<Integer, List<String>> output = readCommittedOutput(cluster);
        for (int p = 0; p < PARTITIONS; p++) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < PER_PARTITION; i++) {
                expected.add(transformed(p, i));
            }
            List<String> got = output.getOrDefault(p, List.of());
            assertEquals(expected.size(), got.size(), "records in " + OUTPUT + "-" + p + " (duplicates or losses)");
            assertEquals(expected, got, "every input record of partition " + p + " once, in order");
        }
    }

    private static void produceInput(BrookCluster cluster) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all"))) {
            List<Future<?>> sent = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                for (int i = 0; i < PER_PARTITION; i++) {
                    sent.add(producer.send(new ProducerRecord<>(INPUT, p, null, bytes(p + ":" + i))));
                }
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static String transformed(int partition, int i) {
        return "seen " + partition + ":" + i;
    }

    /**
     * The loop's state. A failure of any kind but a fencing (which would mean a second producer) closes the producer
     * and starts over: a new producer with the same transactional id, whose InitProducerId completes or aborts what
     * the old one left, and the consumer back at the group's committed offsets.
     */
    private static final class Transformer {
        final BrookCluster cluster;
        final KafkaConsumer<byte[], byte[]> consumer;
        KafkaProducer<byte[], byte[]> producer;
        volatile long transactions;
        /** Records whose transaction committed (read by the thread that kills the coordinator). */
        volatile long committedRecords;
        long failures;
        final Map<String, Integer> failureKinds = new TreeMap<>();

        Transformer(BrookCluster cluster, KafkaConsumer<byte[], byte[]> consumer) {
            this.cluster = cluster;
            this.consumer = consumer;
            this.producer = newProducer();
        }

        private KafkaProducer<byte[], byte[]> newProducer() {
            KafkaProducer<byte[], byte[]> p = cluster.producer(cluster.bootstrap(), Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID,
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000));
            p.initTransactions();
            return p;
        }

        void step(long deadline) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the loop did not finish in time: " + committedRecords + " records in "
                        + transactions + " transactions, " + failures + " failures " + failureKinds);
            }
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
            if (records.isEmpty()) {
                return;
            }
            try {
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    producer.send(new ProducerRecord<>(OUTPUT, r.partition(), null,
                            bytes("seen " + new String(r.value(), StandardCharsets.UTF_8))));
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
                producer.commitTransaction();
                transactions++;
                committedRecords += records.count();
            } catch (ProducerFencedException fenced) {
                throw new AssertionError("the only producer of " + TRANSACTIONAL_ID + " was fenced", fenced);
            } catch (KafkaException e) {
                failures++;
                failureKinds.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                producer.close(Duration.ZERO);
                startOver();
            }
        }

        /** A new producer, and the consumer back at what the group committed (the aborted records come again). */
        private void startOver() {
            long until = System.nanoTime() + MOVE.toNanos();
            while (true) {
                try {
                    producer = newProducer();
                    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(consumer.assignment(),
                            Duration.ofSeconds(30));
                    long done = 0;
                    for (TopicPartition tp : consumer.assignment()) {
                        OffsetAndMetadata offset = committed.get(tp);
                        consumer.seek(tp, offset == null ? 0 : offset.offset());
                        done += offset == null ? 0 : offset.offset();
                    }
                    committedRecords = done;
                    return;
                } catch (KafkaException e) {
                    failureKinds.merge("startOver " + e.getClass().getSimpleName(), 1, Integer::sum);
                    if (System.nanoTime() > until) {
                        throw new AssertionError("could not start over with a new producer", e);
                    }
                    if (producer != null) {
                        producer.close(Duration.ZERO);
                        producer = null;
                    }
                }
            }
        }
    }

    private static Map<Integer, List<String>> readCommittedOutput(BrookCluster cluster) throws Exception {
        Map<Integer, List<String>> output = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> reader = cluster.consumer(cluster.bootstrap(), Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(OUTPUT, p));
            }
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end;
            try (KafkaConsumer<byte[], byte[]> uncommitted = cluster.consumer(cluster.bootstrap(), Map.of())) {
                end = cluster.await("no open transaction on " + OUTPUT, FAILOVER, () -> {
                    Map<TopicPartition, Long> stable = reader.endOffsets(partitions, Duration.ofSeconds(10));
                    return stable.equals(uncommitted.endOffsets(partitions, Duration.ofSeconds(10))) ? stable : null;
                });
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "the output was not read to its end in time");
                for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(500))) {
                    output.computeIfAbsent(r.partition(), p -> new ArrayList<>())
                            .add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return output;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
