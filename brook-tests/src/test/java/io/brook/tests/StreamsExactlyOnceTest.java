package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka Streams 4.3.1 with exactly_once_v2 against Brook: a word count and a stream-table join run
 * in a child JVM while the input is fed; in the middle either the Streams JVM is killed (SIGKILL)
 * inside an open transaction and started again, or the broker is killed and started again. Once
 * the application has consumed all its input, the output read with read_committed holds every
 * word's count updates 1, 2, ... n exactly once and in order, and every order joined exactly once.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StreamsExactlyOnceTest {
    private static final int ROUNDS = 60;
    private static final List<String> WORDS = List.of("apple", "banana", "cherry", "date");
    private static final List<String> OUTPUTS = List.of("counts", "enriched");

    @TempDir
    File dataDir;
    @TempDir
    File stateDir;

    /** Where the application runs: one node ({@link BrookFixture}) or a cluster ({@link BrookCluster}). */
    interface Target {
        String bootstrap();

        /** A new admin client; the caller closes it. */
        Admin admin();

        KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra);

        KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra);

        /** The replication factor of the test's topics. */
        short replicationFactor();

        static Target of(BrookFixture brook) {
            return new Target() {
                public String bootstrap() {
                    return brook.bootstrap();
                }

                public Admin admin() {
                    return brook.admin();
                }

                public KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
                    return brook.producer(extra);
                }

                public KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
                    return brook.consumer(extra);
                }

                public short replicationFactor() {
                    return 1;
                }
            };
        }
    }

    /** What the test does in the middle of the input. */
    interface Disruption {
        /** Returns the Streams application that runs afterwards. */
        Process apply(Process app) throws Exception;
    }

    @Test
    @Compat({"Streams 4.3.1: exactly-once (exactly_once_v2)"})
    void countsAndJoinsAreExactAfterAnInstanceIsKilledInsideATransaction() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            Target target = Target.of(brook);
            runKeepingCount(target, stateDir, app -> {
                killInsideATransaction(target, app);
                return start(target, stateDir);
            });
        }
    }

    @Test
    void countsAndJoinsAreExactAfterTheBrokerIsKilledMidRun() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            runKeepingCount(Target.of(brook), stateDir, app -> {
                brook.kill();
                brook.start();
                return app;
            });
        }
    }

    /**
     * Runs the application on {@code target} while the input is fed, applies {@code disruption} half-way, and checks
     * the output read with read_committed once every input is consumed.
     */
    static void runKeepingCount(Target target, File stateDir, Disruption disruption) throws Exception {
        try {
            keepCount(target, stateDir, disruption);
        } catch (Exception | AssertionError e) {
            System.out.println("The Streams application's last output:\n" + tail(appLog(stateDir)));
            throw e;
        }
    }

    private static void keepCount(Target target, File stateDir, Disruption disruption) throws Exception {
        short rf = target.replicationFactor();
        Map<String, String> configs = rf > 1 ? Map.of("min.insync.replicas", "2") : Map.of();
        try (Admin admin = target.admin()) {
            var created = admin.createTopics(Stream.of("lines", "counts", "orders", "customers", "enriched")
                    .map(t -> new NewTopic(t, 2, rf).configs(configs)).toList()).values();
            for (var topic : created.values()) {
                try {
                    topic.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // a loaded cluster may answer after the admin client's request timeout: its retry finds the topic
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            Map<String, Integer> expected = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> producer = target.producer(Map.of())) {
                for (int c = 0; c < 5; c++) {
                    producer.send(new ProducerRecord<>("customers", bytes("c" + c), bytes("name" + c)));
                }
                producer.flush();
                Process app = start(target, stateDir);
                try {
                    // the input keeps flowing while the disruption happens, so there are transactions to catch
                    AtomicInteger sent = new AtomicInteger();
                    CompletableFuture<Void> input = CompletableFuture.runAsync(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            String line = WORDS.get(round % WORDS.size()) + " " + WORDS.get((round * 7 + 1) % WORDS.size());
                            producer.send(new ProducerRecord<>("lines", bytes("l" + round), bytes(line)));
                            producer.send(new ProducerRecord<>("orders", bytes("c" + round % 5), bytes("o" + round)));
                            producer.flush();
                            sent.incrementAndGet();
                            try {
                                Thread.sleep(round < ROUNDS / 2 ? 50 : 150); // the second half lasts the disruption
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    });
                    for (int round = 0; round < ROUNDS; round++) {
                        String line = WORDS.get(round % WORDS.size()) + " " + WORDS.get((round * 7 + 1) % WORDS.size());
                        for (String w : line.split(" ")) {
                            expected.merge(w, 1, Integer::sum);
                        }
                    }
                    long deadline = System.currentTimeMillis() + 60_000;
                    while (sent.get() < ROUNDS / 2 && !input.isDone()) {
                        assertTrue(System.currentTimeMillis() < deadline, "half the input was not sent in time");
                        Thread.sleep(20);
                    }
                    app = disruption.apply(app);
                    input.get(120, TimeUnit.SECONDS);
                    awaitInputConsumed(target);
                    awaitNoOpenTransactionOnOutputs(target);
                } finally {
                    app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }

            Map<String, List<Long>> counts = new HashMap<>();
            List<String> enriched = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : readCommittedToEnd(target)) {
                if (r.topic().equals("counts")) {
                    counts.computeIfAbsent(string(r.key()), w -> new ArrayList<>()).add(ByteBuffer.wrap(r.value()).getLong());
                } else {
                    enriched.add(string(r.value()));
                }
            }
            Map<String, List<Long>> expectedUpdates = expected.entrySet().stream().collect(Collectors.toMap(
                    Map.Entry::getKey, e -> IntStream.rangeClosed(1, e.getValue()).mapToObj(n -> (long) n).toList()));
            assertEquals(expectedUpdates, counts, "each word counted once per occurrence, in order");
            List<String> orderIds = enriched.stream().map(v -> v.substring(v.indexOf(':') + 1)).sorted().toList();
            assertEquals(IntStream.range(0, ROUNDS).mapToObj(i -> "o" + i).sorted().toList(), orderIds,
                    "every order joined exactly once: " + enriched);
            assertTrue(enriched.stream().anyMatch(v -> v.startsWith("name")), "the table was joined: " + enriched);
        }
    }

    /**
     * Freezes the Streams JVM (SIGSTOP) until it holds a transaction open with output written but not
     * committed, then kills it (SIGKILL) there: the transaction is left Ongoing for Brook to abort.
     */
    private static void killInsideATransaction(Target target, Process app) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Random random = new Random();
        try (Admin admin = target.admin()) {
            // first let it start and commit something: freezing it often would starve a JVM still starting
            while (admin.listConsumerGroupOffsets("eos").partitionsToOffsetAndMetadata().get().isEmpty()) {
                assertTrue(System.currentTimeMillis() < deadline, "the application never committed");
                Thread.sleep(100);
            }
            while (true) {
                signal(app, "STOP");
                Thread.sleep(200); // what was already on its way (a commit, say) arrives
                if (!ongoing(admin).isEmpty() && outputsWithOpenTransaction(admin) > 0) {
                    app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    break;
                }
                signal(app, "CONT");
                assertTrue(System.currentTimeMillis() < deadline, "never caught the application in a transaction");
                Thread.sleep(50 + random.nextInt(200)); // running long enough to open the next transaction
            }
            // still so after the kill: the kill landed inside the transaction
            List<TransactionListing> open = ongoing(admin);
            assertFalse(open.isEmpty(), "an Ongoing transaction of the killed instance");
            assertEquals(TransactionState.ONGOING, admin.describeTransactions(List.of(open.get(0).transactionalId()))
                    .all().get().get(open.get(0).transactionalId()).state());
            assertTrue(outputsWithOpenTransaction(admin) > 0, "output written inside it is not yet stable");
        }
    }

    /** The application's Ongoing transactions (its transactional ids start with its application id). */
    private static List<TransactionListing> ongoing(Admin admin) throws Exception {
        return admin.listTransactions().all().get().stream()
                .filter(t -> t.transactionalId().startsWith("eos-") && t.state() == TransactionState.ONGOING)
                .toList();
    }

    /** How many output partitions have a last stable offset behind their end (an open transaction). */
    private static int outputsWithOpenTransaction(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        outputPartitions().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
        var end = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
        return (int) latest.keySet().stream().filter(tp -> stable.get(tp).offset() < end.get(tp).offset()).count();
    }

    /**
     * Waits until the application's group has committed the end of every topic it reads: lines, orders and
     * its own repartition topics (the counts are computed after a repartition, so the input being consumed
     * is not enough), with the ends read again each round because the repartition topics still grow.
     */
    private static void awaitInputConsumed(Target target) throws Exception {
        // on a loaded machine the application may first be recovering from a failover
        long deadline = System.currentTimeMillis() + 150_000;
        try (Admin admin = target.admin()) {
            while (true) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (String topic : admin.listTopics().names().get()) {
                    if (topic.equals("lines") || topic.equals("orders")
                            || (topic.startsWith("eos-") && topic.endsWith("-repartition"))) {
                        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                                .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                    }
                }
                var end = admin.listOffsets(latest).all().get();
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets("eos").partitionsToOffsetAndMetadata().get();
                if (end.entrySet().stream().allMatch(e -> e.getValue().offset() == 0 || (committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() == e.getValue().offset()))) {
                    return;
                }
                assertTrue(System.currentTimeMillis() < deadline, "the input was not consumed: " + committed
                        + ", ends " + end);
                Thread.sleep(200);
            }
        }
    }

    private static void awaitNoOpenTransactionOnOutputs(Target target) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        try (Admin admin = target.admin()) {
            while (outputsWithOpenTransaction(admin) > 0) {
                assertTrue(System.currentTimeMillis() < deadline, "an output transaction stays open");
                Thread.sleep(200);
            }
        }
    }

    private static List<TopicPartition> outputPartitions() {
        List<TopicPartition> tps = new ArrayList<>();
        for (String t : OUTPUTS) {
            for (int p = 0; p < 2; p++) {
                tps.add(new TopicPartition(t, p));
            }
        }
        return tps;
    }

    /** Everything committed on the output partitions, read up to their last stable offsets. */
    private static List<ConsumerRecord<byte[], byte[]>> readCommittedToEnd(Target target) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> reader = target.consumer(
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            List<TopicPartition> tps = outputPartitions();
            reader.assign(tps);
            reader.seekToBeginning(tps);
            Map<TopicPartition, Long> end = reader.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tps.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
                assertTrue(System.currentTimeMillis() < deadline, "the output was not read to " + end);
                reader.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private static void signal(Process process, String signal) throws Exception {
        Processes.run(List.of("kill", "-" + signal, String.valueOf(process.pid())), null);
    }

    /**
     * Starts the Streams application in its own JVM, its output appended to {@link #appLog} (kept for a failure's
     * report), and waits until it runs.
     */
    private static Process start(Target target, File stateDir) throws Exception {
        File log = appLog(stateDir);
        long from = log.length();
        Process p = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), StreamsEosApp.class.getName(), target.bootstrap(),
                stateDir.getAbsolutePath()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!("\n" + Files.readString(log.toPath()).substring((int) from)).contains("\nRUNNING\n")) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                p.destroyForcibly();
                throw new AssertionError("the Streams application did not reach RUNNING; its output:\n"
                        + tail(log));
            }
            Thread.sleep(100);
        }
        return p;
    }

    /** Where the application's output goes: beside its state, over all its starts. */
    private static File appLog(File stateDir) {
        return new File(stateDir, "streams-app.log");
    }

    /** The last lines of the application's output. */
    private static String tail(File log) throws IOException {
        List<String> lines = Files.readAllLines(log.toPath());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
