package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transactions with the Java clients: commit and abort seen through read_committed and
 * read_uncommitted, a consume-transform-produce loop committing its offsets in the transaction,
 * fencing of an older instance, and a broker restart in the middle of a transaction.
 */
class TransactionsTest {
    @TempDir
    File dataDir;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static Map<String, Object> transactional(String id) {
        return Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    }

    static Map<String, Object> isolation(String level) {
        return Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, level);
    }

    /** Reads the topic from the start until {@code expected} records arrived or the time is up. */
    static List<String> readAll(BrookFixture brook, String topic, String isolation, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(isolation(isolation))) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            long deadline = System.currentTimeMillis() + 15_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(string(r.value()));
                }
            }
            // and nothing more arrives
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                values.add(string(r.value()));
            }
        }
        return values;
    }

    /** Brook's setting for the transaction protocol clients are offered (ApiVersions' transaction.version). */
    static Map<String, String> protocol(short version) {
        return Map.of("brook.transaction.version", String.valueOf(version));
    }

    @ParameterizedTest(name = "transaction protocol {0}")
    @ValueSource(shorts = {1, 2})
    @Compat({"Java 4.3.1: transactions commit/abort", "Java 4.3.1: read_committed", "kcat: read_committed",
            "Java 4.3.1: admin: list/describe transactions", "Java 4.3.1: transaction protocol 2 (KIP-890)"})
    void readCommittedSeesOnlyCommittedRecordsInOrder(short transactionVersion) throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, protocol(transactionVersion)); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("txn", 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(transactional("tx-1"))) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>("txn", bytes("c" + i)));
                }
                producer.commitTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("txn", bytes("aborted-0")));
                producer.send(new ProducerRecord<>("txn", bytes("aborted-1")));
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("txn", bytes("c3")));
                producer.commitTransaction();

                // an open transaction holds read_committed readers back at its first record
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("txn", bytes("open")));
                producer.flush();
                TopicPartition tp = new TopicPartition("txn", 0);
                try (KafkaConsumer<byte[], byte[]> committed = brook.consumer(isolation("read_committed"));
                     KafkaConsumer<byte[], byte[]> uncommitted = brook.consumer(isolation("read_uncommitted"))) {
                    long lso = committed.endOffsets(List.of(tp)).get(tp);
                    long hw = uncommitted.endOffsets(List.of(tp)).get(tp);
                    assertEquals(9, lso, "3 records, marker, 2 aborted, marker, 1 record, marker");
                    assertEquals(10, hw);
                }
                assertEquals(List.of("c0", "c1", "c2", "c3"), readAll(brook, "txn", "read_committed", 4));
                producer.commitTransaction();
            }
            assertEquals(List.of("c0", "c1", "c2", "c3", "open"), readAll(brook, "txn", "read_committed", 5));
            if (Processes.kcatAvailable()) { // librdkafka reads committed by default
                String kcat = Processes.run(List.of("kcat", "-b", brook.bootstrap(), "-C", "-t", "txn", "-o",
                        "beginning", "-e", "-q", "-f", "%s\\n"), null);
                assertEquals(List.of("c0", "c1", "c2", "c3", "open"), kcat.lines().toList());
                String all = Processes.run(List.of("kcat", "-b", brook.bootstrap(), "-C", "-t", "txn", "-o",
                        "beginning", "-e", "-q", "-X", "isolation.level=read_uncommitted", "-f", "%s\\n"), null);
                assertEquals(7, all.lines().count(), all);
            }
            assertEquals(List.of("c0", "c1", "c2", "aborted-0", "aborted-1", "c3", "open"),
                    readAll(brook, "txn", "read_uncommitted", 7));

            Map<String, TransactionDescription> described =
                    admin.describeTransactions(List.of("tx-1")).all().get();
            assertEquals(org.apache.kafka.clients.admin.TransactionState.COMPLETE_COMMIT,
                    described.get("tx-1").state());
            assertEquals(transactionVersion == 2 ? 4 : 0, described.get("tx-1").producerEpoch(),
                    "protocol 2 bumps the epoch at each of the 4 commits and aborts");
            List<String> listed = new ArrayList<>();
            for (TransactionListing l : admin.listTransactions().all().get()) {
                listed.add(l.transactionalId());
            }
            assertEquals(List.of("tx-1"), listed);
        }
    }

    @ParameterizedTest(name = "transaction protocol {0}")
    @ValueSource(shorts = {1, 2})
    @Compat({"Java 4.3.1: sendOffsetsToTransaction (consume-transform-produce)"})
    void aConsumeTransformProduceLoopNeitherLosesNorDuplicates(short transactionVersion) throws Exception {
        int total = 200;
        try (BrookFixture brook = new BrookFixture(dataDir, protocol(transactionVersion)); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("in", 3, (short) 1), new NewTopic("out", 2, (short) 1)))
                    .all().get();
            try (KafkaProducer<byte[], byte[]> plain = brook.producer(Map.of())) {
                for (int i = 0; i < total; i++) {
                    plain.send(new ProducerRecord<>("in", bytes("k" + i), bytes(String.valueOf(i))));
                }
            }
            Map<String, Object> consumerProps = new HashMap<>(isolation("read_committed"));
            consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "ctp");
            consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 17);
            int transactions = 0;
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(transactional("ctp-1"));
                 KafkaConsumer<byte[], byte[]> consumer = brook.consumer(consumerProps)) {
                producer.initTransactions();
                consumer.subscribe(List.of("in"));
                long deadline = System.currentTimeMillis() + 30_000;
                int processed = 0;
                while (processed < total && System.currentTimeMillis() < deadline) {
                    var records = consumer.poll(Duration.ofMillis(200));
                    if (records.isEmpty()) {
                        continue;
                    }
                    producer.beginTransaction();
                    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        producer.send(new ProducerRecord<>("out", r.key(), bytes("x" + string(r.value()))));
                        offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    }
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    if (++transactions % 4 == 0) {
                        // a failed step: its output (written, flushed) and its offsets go; the loop reads
                        // the input again
                        producer.flush();
                        producer.abortTransaction();
                        for (TopicPartition tp : consumer.assignment()) {
                            OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
                            consumer.seek(tp, committed == null ? 0 : committed.offset());
                        }
                    } else {
                        producer.commitTransaction();
                        processed += records.count();
                    }
                }
                assertEquals(total, processed);
            }
            List<String> out = readAll(brook, "out", "read_committed", total);
            TreeMap<Integer, Integer> counts = new TreeMap<>();
            out.forEach(v -> counts.merge(Integer.parseInt(v.substring(1)), 1, Integer::sum));
            assertEquals(total, out.size(), "every input once: " + counts);
            assertEquals(total, counts.size());
            assertTrue(readAll(brook, "out", "read_uncommitted", total + 1).size() > total,
                    "the aborted attempts are in the log, just not visible to read_committed");
            try (KafkaConsumer<byte[], byte[]> check = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "ctp"))) {
                long committed = 0;
                for (int p = 0; p < 3; p++) {
                    TopicPartition tp = new TopicPartition("in", p);
                    OffsetAndMetadata o = check.committed(Set.of(tp)).get(tp);
                    committed += o == null ? 0 : o.offset();
                }
                assertEquals(total, committed, "the group's offsets cover every input record exactly");
            }
        }
    }

    @Test
    void offsetsFromAnEarlierGenerationOfTheGroupAreRefusedAndTheTransactionAborts() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("gen-in", 2, (short) 1))).all().get();
            Map<String, Object> props = Map.of(ConsumerConfig.GROUP_ID_CONFIG, "gen");
            try (KafkaConsumer<byte[], byte[]> first = brook.consumer(props);
                 KafkaConsumer<byte[], byte[]> second = brook.consumer(props);
                 KafkaProducer<byte[], byte[]> producer = brook.producer(transactional("gen-tx"))) {
                first.subscribe(List.of("gen-in"));
                awaitAssignment(first, 2);
                var stale = first.groupMetadata();
                second.subscribe(List.of("gen-in"));
                long deadline = System.currentTimeMillis() + 20_000;
                while (first.groupMetadata().generationId() == stale.generationId()
                        && System.currentTimeMillis() < deadline) {
                    first.poll(Duration.ofMillis(100));
                    second.poll(Duration.ofMillis(100));
                }
                assertTrue(first.groupMetadata().generationId() > stale.generationId(), "the group rebalanced");

                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("gen-in", bytes("x")));
                Exception refused = assertThrows(Exception.class, () -> producer.sendOffsetsToTransaction(
                        Map.of(new TopicPartition("gen-in", 0), new OffsetAndMetadata(1)), stale));
                assertTrue(refused instanceof org.apache.kafka.clients.consumer.CommitFailedException
                        || refused.getCause() instanceof org.apache.kafka.clients.consumer.CommitFailedException,
                        "ILLEGAL_GENERATION reaches the client as a failed commit: " + refused);
                producer.abortTransaction();
                assertEquals(null, first.committed(Set.of(new TopicPartition("gen-in", 0)))
                        .get(new TopicPartition("gen-in", 0)), "nothing committed");
            }
        }
    }

    private static void awaitAssignment(KafkaConsumer<byte[], byte[]> consumer, int partitions) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (consumer.assignment().size() < partitions && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(100));
        }
        assertEquals(partitions, consumer.assignment().size());
    }

    @Test
    @Compat({"Java 4.3.1: transactional producer fencing"})
    void aNewInstanceFencesTheOldOneAndAbortsItsOpenTransaction() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("fenced", 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> first = brook.producer(transactional("same"));
                 KafkaProducer<byte[], byte[]> second = brook.producer(transactional("same"))) {
                first.initTransactions();
                first.beginTransaction();
                first.send(new ProducerRecord<>("fenced", bytes("zombie"))).get();
                second.initTransactions(); // aborts the first instance's transaction
                second.beginTransaction();
                second.send(new ProducerRecord<>("fenced", bytes("live")));
                second.commitTransaction();
                Exception e = assertThrows(Exception.class, () -> {
                    first.send(new ProducerRecord<>("fenced", bytes("zombie-2"))).get();
                    first.commitTransaction();
                });
                Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                assertTrue(cause instanceof ProducerFencedException
                        || cause instanceof org.apache.kafka.common.errors.InvalidProducerEpochException,
                        "the old instance is fenced: " + e);
            }
            assertEquals(List.of("live"), readAll(brook, "fenced", "read_committed", 1));
        }
    }

    @Test
    @Compat({"Java 4.3.1: transactions across a broker restart"})
    void aTransactionOpenAcrossARestartIsEitherCompletedOrAbortedByTimeoutNeverHalfVisible() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Map<String, String> settings = Map.of("listeners", "PLAINTEXT://localhost:" + port,
                "transaction.abort.timed.out.transaction.cleanup.interval.ms", "200");
        try (BrookFixture brook = new BrookFixture(dataDir, settings); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("restart", 2, (short) 1))).all().get();
            Map<String, Object> shortTimeout = new HashMap<>(transactional("abandoned"));
            shortTimeout.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 3000);
            KafkaProducer<byte[], byte[]> abandoned = brook.producer(shortTimeout);
            abandoned.initTransactions();
            abandoned.beginTransaction();
            for (int i = 0; i < 10; i++) {
                abandoned.send(new ProducerRecord<>("restart", bytes("a" + i), bytes("abandoned-" + i)));
            }
            abandoned.flush();
            try (KafkaProducer<byte[], byte[]> survivor = brook.producer(transactional("survivor"))) {
                survivor.initTransactions();
                survivor.beginTransaction();
                for (int i = 0; i < 10; i++) {
                    survivor.send(new ProducerRecord<>("restart", bytes("s" + i), bytes("survivor-" + i)));
                }
                survivor.flush();

                brook.restart();

                for (int i = 10; i < 20; i++) {
                    survivor.send(new ProducerRecord<>("restart", bytes("s" + i), bytes("survivor-" + i)));
                }
                survivor.commitTransaction();
            }
            abandoned.close(Duration.ZERO); // never ends its transaction: the coordinator's timeout does
            List<String> visible = readAll(brook, "restart", "read_committed", 20);
            assertEquals(20, visible.size(), "the committed transaction, whole: " + visible);
            assertTrue(visible.stream().allMatch(v -> v.startsWith("survivor-")), visible.toString());
            try (KafkaConsumer<byte[], byte[]> committed = brook.consumer(isolation("read_committed"))) {
                List<TopicPartition> tps = List.of(new TopicPartition("restart", 0), new TopicPartition("restart", 1));
                long deadline = System.currentTimeMillis() + 15_000;
                long stable = 0;
                while (System.currentTimeMillis() < deadline) {
                    stable = committed.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
                    if (stable == 20 + 10 + 2 + 2) { // records, plus a marker per transaction and partition
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(34, stable, "the abandoned transaction was aborted by its timeout");
            }
        }
    }

    @Test
    @Compat({"librdkafka 2.0.2: transactions", "librdkafka 2.0.2: read_committed"})
    void librdkafkaCommitsAndAbortsAndReadsCommitted() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.librdkafkaPythonAvailable(),
                "python3-confluent-kafka is not installed");
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("librdkafka-txn", 1, (short) 1))).all().get();
            String output = Processes.run(List.of(Processes.DEBIAN_PYTHON,
                    new File("../compat/librdkafka/txn.py").getAbsolutePath(), brook.bootstrap(), "librdkafka-txn"),
                    null);
            assertTrue(output.contains("consumer: read_committed saw exactly the 3 committed records"), output);
            assertEquals(List.of("committed-0", "committed-1", "committed-2", "aborted-0", "aborted-1"),
                    readAll(brook, "librdkafka-txn", "read_uncommitted", 5), "the aborted records reached the log");
            assertEquals(List.of("committed-0", "committed-1", "committed-2"),
                    readAll(brook, "librdkafka-txn", "read_committed", 3), "and the Java client agrees");
        }
    }
}
