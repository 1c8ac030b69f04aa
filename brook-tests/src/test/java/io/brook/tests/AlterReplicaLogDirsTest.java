package io.brook.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionReplica;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.LogDirNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AlterReplicaLogDirs with a real server and two log directories: Kafka's admin client moves a partition to the
 * other directory while an idempotent acks=all producer keeps writing, Kafka's kafka-log-dirs shows where it went,
 * and every acknowledged record is read back at its offset afterwards. A move keeps to
 * {@code replica.alter.log.dirs.io.max.bytes.per.second} and resumes after a restart; kafka-reassign-partitions
 * moves a replica between directories with {@code log_dirs} in its plan.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AlterReplicaLogDirsTest {
    private static final String TOPIC = "moving";
    private static final String LOG_DIRS = "org.apache.kafka.tools.LogDirsCommand";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    /** Records written before the move, so that the copy takes several steps. */
    private static final int BEFORE = 5_000;
    /** Records the producer may have sent and not yet seen acknowledged: a bounded backlog keeps its close quick. */
    private static final int IN_FLIGHT = 500;
    private static final String REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String ALTER_LOG_DIRS_RATE = "replica.alter.log.dirs.io.max.bytes.per.second";
    /** The throttled copy rate of the slow moves below: 256 KiB/s. */
    private static final long SLOW_RATE = 256 * 1024;
    /** Records of about 1 KiB written before a slow move: about 3 MiB, some 10 s to copy at {@link #SLOW_RATE}. */
    private static final int SLOW_RECORDS = 3_000;
    /** How long any wait of these tests may last. */
    private static final long WAIT_MS = 60_000;

    @TempDir
    File root;

    @Test
    @Compat({"Java 4.3.1: admin: alter replica log dirs under a live producer",
            "Kafka tools 4.3.1: kafka-log-dirs --describe"})
    void aPartitionMovesToAnotherDirectoryWhileAProducerWritesAndNoAcknowledgedRecordIsLost()
            throws Exception {
        File first = new File(root, "disk1");
        File second = new File(root, "disk2");
        try (BrookFixture brook = new BrookFixture(root, Map.of("log.dirs", first + "," + second));
             Admin admin = brook.admin()) {
            File[] dirs = createTopic(admin);
            File from = dirs[0];
            File to = dirs[1];

            ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.alterReplicaLogDirs(
                    Map.of(new TopicPartitionReplica(TOPIC, 0, 1), new File(root, "nowhere").getAbsolutePath()))
                    .all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(LogDirNotFoundException.class, refused.getCause());

            Map<Long, String> acked = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Exception> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> produce(brook, acked, stop, failed), "writer");
            writer.start();
            long deadline = System.currentTimeMillis() + 30_000;
            while (acked.size() < BEFORE && System.currentTimeMillis() < deadline && failed.get() == null) {
                Thread.sleep(20);
            }
            assertTrue(acked.size() >= BEFORE, "the producer wrote " + acked.size() + ": " + failed.get());

            admin.alterReplicaLogDirs(Map.of(new TopicPartitionReplica(TOPIC, 0, 1), to.getAbsolutePath()))
                    .all().get(30, TimeUnit.SECONDS);
            deadline = System.currentTimeMillis() + 30_000;
            while (!movedTo(admin, to) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(movedTo(admin, to), "the replica is in " + to + ": " + describe(admin));
            int atMove = acked.size();
            deadline = System.currentTimeMillis() + 30_000;
            while (acked.size() < atMove + 1_000 && System.currentTimeMillis() < deadline && failed.get() == null) {
                Thread.sleep(20); // the producer goes on writing into the moved log
            }
            stop.set(true);
            writer.join(30_000);
            assertFalse(writer.isAlive());
            assertNull(failed.get(), () -> "the producer failed: " + failed.get());
            assertFalse(new File(from, TOPIC + "-0").exists(), "the old replica is gone from " + from);

            String described = KafkaAdminToolsTest.tool(LOG_DIRS, "--bootstrap-server", brook.bootstrap(),
                    "--describe", "--topic-list", TOPIC);
            JsonNode json = new ObjectMapper().readTree(described.substring(described.indexOf("{\"")));
            Map<String, String> partitionsByDir = new java.util.TreeMap<>();
            for (JsonNode dir : json.get("brokers").get(0).get("logDirs")) {
                partitionsByDir.put(dir.get("logDir").asText(), dir.get("partitions").toString());
            }
            assertTrue(partitionsByDir.get(to.getAbsolutePath()).contains("\"partition\":\"" + TOPIC + "-0\""),
                    described);
            assertTrue(partitionsByDir.get(to.getAbsolutePath()).contains("\"isFuture\":false"), described);
            assertEquals("[]", partitionsByDir.get(from.getAbsolutePath()), described);

            long end = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow() + 1;
            Map<Long, String> read = readAll(brook, end);
            int lost = 0;
            for (Map.Entry<Long, String> e : acked.entrySet()) {
                if (!e.getValue().equals(read.get(e.getKey()))) {
                    lost++;
                }
            }
            assertEquals(0, lost, "acknowledged records not read back at their offset, of " + acked.size());
        }
    }

    /**
     * {@code replica.alter.log.dirs.io.max.bytes.per.second} holds a move to about its rate (measured on the size of
     * the future replica over a few seconds, with a generous bound), and raising it as a dynamic broker config lets
     * the move finish.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    @Compat("Java 4.3.1: admin: alter replica log dirs throttled by replica.alter.log.dirs.io.max.bytes.per.second")
    void aMoveKeepsToTheCopyRateAndARaisedRateLetsItFinish() throws Exception {
        try (BrookFixture brook = slowMoves(); Admin admin = brook.admin()) {
            File[] dirs = createTopic(admin);
            Map<Long, String> acked = fill(brook, SLOW_RECORDS, 0);
            admin.alterReplicaLogDirs(Map.of(new TopicPartitionReplica(TOPIC, 0, 1), dirs[1].getAbsolutePath()))
                    .all().get(30, TimeUnit.SECONDS);
            ReplicaInfo first = awaitFuture(admin, dirs[1], 1);
            long firstAt = System.nanoTime();
            Thread.sleep(4_000); // no tight timing: the bound below is two and a half times the rate
            ReplicaInfo later = future(admin, dirs[1]);
            long elapsedMs = (System.nanoTime() - firstAt) / 1_000_000;
            assertTrue(later != null && later.offsetLag() > 0, "a 3 MiB move at 256 KiB/s still runs after 4 s: "
                    + describe(admin));
            double rate = (later.size() - first.size()) * 1000.0 / elapsedMs;
            assertTrue(rate > 0, "the move goes on: " + first.size() + " then " + later.size() + " bytes");
            assertTrue(rate <= 2.5 * SLOW_RATE, "copied at " + (long) rate + " B/s with a limit of " + SLOW_RATE);

            setRate(admin, Long.MAX_VALUE); // dynamic: the move runs at full speed from now on
            awaitMovedTo(admin, dirs[1]);
            assertEquals(0, lost(acked, readAll(brook, end(acked))), "every record moved");
        }
    }

    /**
     * A move the node's stop interrupts resumes when it starts again (Kafka keeps the future replica across a
     * restart): DescribeLogDirs and kafka-log-dirs show the future replica after the restart, no smaller than
     * before it, and the move then finishes with every record, those written after the restart too.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    @Compat({"Java 4.3.1: admin: alter replica log dirs resumed after a restart",
            "Kafka tools 4.3.1: kafka-log-dirs --describe shows a future replica"})
    void aMoveInterruptedByAStopResumesAtTheNextStartAndFinishesWithEveryRecord() throws Exception {
        try (BrookFixture brook = slowMoves()) {
            File[] dirs;
            long sizeAtStop;
            Map<Long, String> acked;
            try (Admin admin = brook.admin()) {
                dirs = createTopic(admin);
                acked = new ConcurrentHashMap<>(fill(brook, SLOW_RECORDS, 0));
                admin.alterReplicaLogDirs(Map.of(new TopicPartitionReplica(TOPIC, 0, 1),
                        dirs[1].getAbsolutePath())).all().get(30, TimeUnit.SECONDS);
                sizeAtStop = awaitFuture(admin, dirs[1], 300 * 1024).size();
            }
            brook.stop(); // in the middle of the move
            File[] copies = dirs[1].listFiles((d, n) -> n.startsWith(TOPIC + "-0.") && n.endsWith("-future"));
            assertEquals(1, copies == null ? 0 : copies.length, "the copy stays on disk");
            brook.start();

            try (Admin admin = brook.admin()) {
                ReplicaInfo resumed = future(admin, dirs[1]);
                assertTrue(resumed != null && resumed.isFuture(), "the future replica is back: " + describe(admin));
                assertTrue(resumed.size() >= sizeAtStop, "resumed from its copy (" + sizeAtStop + " bytes at the "
                        + "stop), not from the start: " + resumed.size());
                assertTrue(admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS).get(1)
                        .get(dirs[0].getAbsolutePath()).replicaInfos().containsKey(TP), "the current replica serves");
                String described = KafkaAdminToolsTest.tool(LOG_DIRS, "--bootstrap-server", brook.bootstrap(),
                        "--describe", "--topic-list", TOPIC);
                JsonNode json = new ObjectMapper().readTree(described.substring(described.indexOf("{\"")));
                boolean shown = false;
                for (JsonNode dir : json.get("brokers").get(0).get("logDirs")) {
                    for (JsonNode partition : dir.get("partitions")) {
                        shown |= dir.get("logDir").asText().equals(dirs[1].getAbsolutePath())
                                && partition.get("isFuture").asBoolean();
                    }
                }
                assertTrue(shown || future(admin, dirs[1]) == null, "kafka-log-dirs shows the future replica: "
                        + described);

                acked.putAll(fill(brook, 500, acked.size())); // producers write on while it moves
                setRate(admin, Long.MAX_VALUE);
                awaitMovedTo(admin, dirs[1]);
                assertFalse(new File(dirs[0], TOPIC + "-0").exists(), "the old replica is gone");
                assertEquals(0, lost(acked, readAll(brook, end(acked))), "every record, of " + acked.size());
            }
        }
    }

    /**
     * kafka-reassign-partitions with {@code log_dirs} in its plan: the tool sends AlterReplicaLogDirs itself (and
     * sets {@code --replica-alter-log-dirs-throttle}); --verify sees the move complete and removes the throttle.
     */
    @Test
    @Compat("Kafka tools 4.3.1: kafka-reassign-partitions --execute with log_dirs")
    void kafkaReassignPartitionsMovesAReplicaToTheLogDirectoryOfItsPlan() throws Exception {
        try (BrookFixture brook = new BrookFixture(root, Map.of("log.dirs", twoDirs())); Admin admin = brook.admin()) {
            File[] dirs = createTopic(admin);
            Map<Long, String> acked = fill(brook, 200, 0);
            File plan = new File(root, "reassign.json");
            Files.writeString(plan.toPath(), "{\"version\":1,\"partitions\":[{\"topic\":\"" + TOPIC
                    + "\",\"partition\":0,\"replicas\":[1],\"log_dirs\":[\""
                    + dirs[1].getAbsolutePath() + "\"]}]}");
            String executed = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", brook.bootstrap(),
                    "--reassignment-json-file", plan.getPath(), "--execute",
                    "--replica-alter-log-dirs-throttle", "100000000");
            assertTrue(executed.contains("Successfully started moving log directory to " + dirs[1].getAbsolutePath()), executed);
            awaitMovedTo(admin, dirs[1]);
            String verified = "";
            long deadline = System.currentTimeMillis() + WAIT_MS;
            while (System.currentTimeMillis() < deadline) {
                verified = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", brook.bootstrap(),
                        "--reassignment-json-file", plan.getPath(), "--verify");
                if (verified.contains("Reassignment of replica " + TOPIC + "-0-1 completed successfully")) {
                    break;
                }
                Thread.sleep(500);
            }
            assertTrue(verified.contains("Reassignment of replica " + TOPIC + "-0-1 completed successfully"),
                    verified);
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, admin.describeConfigs(List.of(broker)).all()
                    .get(30, TimeUnit.SECONDS).get(broker).get(ALTER_LOG_DIRS_RATE).source(),
                    "--verify removed the throttle: " + verified);
            assertEquals(0, lost(acked, readAll(brook, end(acked))));
        }
    }

    private String twoDirs() {
        return new File(root, "disk1") + "," + new File(root, "disk2");
    }

    /** A node with two log directories whose moves copy at {@link #SLOW_RATE}, measured over two 1 s windows. */
    private BrookFixture slowMoves() throws Exception {
        return new BrookFixture(root, Map.of("log.dirs", twoDirs(), ALTER_LOG_DIRS_RATE, String.valueOf(SLOW_RATE),
                "replication.quota.window.num", "2", "replication.quota.window.size.seconds", "1"));
    }

    /** Creates the topic; returns the directory it is in and the other one. */
    private File[] createTopic(Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("segment.bytes", "262144"))))
                .all().get(30, TimeUnit.SECONDS);
        File first = new File(root, "disk1");
        File second = new File(root, "disk2");
        // CreateTopics answers once the topic is committed, before the log exists (as Kafka's): wait for it
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!new File(first, TOPIC + "-0").isDirectory() && !new File(second, TOPIC + "-0").isDirectory()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no log of " + TOPIC + "-0 in " + first + " or " + second);
            }
            Thread.sleep(20);
        }
        File from = new File(first, TOPIC + "-0").isDirectory() ? first : second;
        return new File[] {from, from.equals(first) ? second : first};
    }

    /** Writes {@code count} records of about 1 KiB (numbered from {@code from}); returns them by offset. */
    private static Map<Long, String> fill(BrookFixture brook, int count, int from) throws Exception {
        Map<Long, String> acked = new java.util.HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            List<String> values = new ArrayList<>();
            List<Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
            for (int i = from; i < from + count; i++) {
                String value = "record-" + i + "-" + "x".repeat(1_000);
                values.add(value);
                sent.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, value.getBytes(StandardCharsets.UTF_8))));
            }
            for (int i = 0; i < sent.size(); i++) {
                acked.put(sent.get(i).get(30, TimeUnit.SECONDS).offset(), values.get(i));
            }
        }
        return acked;
    }

    /** Sets the copy rate of moves as a dynamic config of broker 1. */
    private static void setRate(Admin admin, long bytesPerSecond) throws Exception {
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        admin.incrementalAlterConfigs(Map.of(broker, List.of(new AlterConfigOp(
                new ConfigEntry(ALTER_LOG_DIRS_RATE, String.valueOf(bytesPerSecond)), AlterConfigOp.OpType.SET))))
                .all().get(30, TimeUnit.SECONDS);
    }

    /** The future replica of the partition in {@code dir}, or null. */
    private static ReplicaInfo future(Admin admin, File dir) throws Exception {
        LogDirDescription description = describe(admin).get(dir.getAbsolutePath());
        ReplicaInfo info = description == null ? null : description.replicaInfos().get(TP);
        return info != null && info.isFuture() ? info : null;
    }

    /** Waits for the future replica in {@code dir} to hold at least {@code bytes}. */
    private static ReplicaInfo awaitFuture(Admin admin, File dir, long bytes) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            ReplicaInfo info = future(admin, dir);
            if (info != null && info.size() >= bytes) {
                return info;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no future replica of " + bytes + " bytes in " + dir + ": " + describe(admin));
    }

    private static void awaitMovedTo(Admin admin, File dir) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!movedTo(admin, dir) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(movedTo(admin, dir), "the replica is in " + dir + ": " + describe(admin));
    }

    /** The offset after the last acknowledged record. */
    private static long end(Map<Long, String> acked) {
        return acked.keySet().stream().mapToLong(Long::longValue).max().orElse(-1) + 1;
    }

    /** How many acknowledged records were not read back at their offset. */
    private static int lost(Map<Long, String> acked, Map<Long, String> read) {
        int lost = 0;
        for (Map.Entry<Long, String> e : acked.entrySet()) {
            if (!e.getValue().equals(read.get(e.getKey()))) {
                lost++;
            }
        }
        return lost;
    }

    /** Whether the partition's only replica is in {@code dir} (and no copy of it moves anywhere). */
    private static boolean movedTo(Admin admin, File dir) throws Exception {
        Map<String, LogDirDescription> dirs = describe(admin);
        int current = 0;
        boolean there = false;
        for (Map.Entry<String, LogDirDescription> e : dirs.entrySet()) {
            ReplicaInfo info = e.getValue().replicaInfos().get(TP);
            if (info != null) {
                current++;
                there |= e.getKey().equals(dir.getAbsolutePath()) && !info.isFuture();
            }
        }
        return there && current == 1;
    }

    private static Map<String, LogDirDescription> describe(Admin admin) throws Exception {
        return admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS).get(1);
    }

    private static void produce(BrookFixture brook, Map<Long, String> acked, AtomicBoolean stop,
                                AtomicReference<Exception> failed) {
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true, ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5))) {
            Semaphore unacked = new Semaphore(IN_FLIGHT);
            for (int i = 0; !stop.get() && failed.get() == null; i++) {
                if (!unacked.tryAcquire(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no acknowledgement in 30 s");
                }
                String value = "record-" + i + "-" + "x".repeat(1_000);
                producer.send(new ProducerRecord<>(TOPIC, 0, null, value.getBytes(StandardCharsets.UTF_8)),
                        (metadata, e) -> {
                            unacked.release();
                            if (e != null) {
                                failed.compareAndSet(null, e);
                            } else {
                                acked.put(metadata.offset(), value);
                            }
                        });
            }
            producer.flush();
        } catch (Exception e) {
            failed.compareAndSet(null, e);
        }
    }

    private static Map<Long, String> readAll(BrookFixture brook, long end) {
        Map<Long, String> read = new ConcurrentHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.position(TP) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read.put(r.offset(), new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return read;
    }
}
