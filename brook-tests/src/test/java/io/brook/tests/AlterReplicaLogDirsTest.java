package io.brook.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
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
import org.apache.kafka.common.errors.LogDirNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
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
 * and every acknowledged record is read back at its offset afterwards.
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
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)
                    .configs(Map.of("segment.bytes", "262144")))).all().get(30, TimeUnit.SECONDS);
            File from = new File(first, TOPIC + "-0").isDirectory() ? first : second;
            File to = from.equals(first) ? second : first;

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
