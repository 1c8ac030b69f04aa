package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One consumer group, three clients nobody here wrote, each in its own process or thread: the
 * Java consumer, librdkafka ({@code kcat -G}) and kafkajs. They agree on the "range" protocol
 * and share the topic's partitions, one owner each. kcat and kafkajs are required in CI.
 */
class MixedGroupTest {
    private static final File KAFKAJS = new File("../compat/kafkajs").getAbsoluteFile();
    private static final String GROUP = "mixed";
    private static final String TOPIC = "mixed-topic";
    private static final int PARTITIONS = 6;

    @TempDir
    File dataDir;

    @Test
    @Compat({
            "Java 4.3.1: one group shared with other clients",
            "kcat: one group shared with other clients",
            "kafkajs 2.2.4: one group shared with other clients"})
    void javaKcatAndKafkajsShareOneGroup() throws Exception {
        boolean kafkajs = new File(KAFKAJS, "node_modules/kafkajs").isDirectory();
        if (!kafkajs && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(Processes.kcatAvailable() && kafkajs, "kcat or kafkajs missing");
        List<Process> processes = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int i = 0; i < 60; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            Thread java = new Thread(() -> runJavaMember(brook, stop), "java-member");
            java.start();
            processes.add(new ProcessBuilder("kcat", "-b", brook.bootstrap(), "-G", GROUP, "-X",
                    "partition.assignment.strategy=range", "-X", "client.id=kcat-member", "-q", "-o", "beginning",
                    TOPIC).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            ProcessBuilder node = new ProcessBuilder("node", "member.js", brook.bootstrap(), GROUP, TOPIC)
                    .directory(KAFKAJS).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            node.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            processes.add(node.start());

            ConsumerGroupDescription group = waitForThreeOwners(brook);
            Set<TopicPartition> owned = new HashSet<>();
            Set<String> clients = new HashSet<>();
            for (MemberDescription member : group.members()) {
                assertEquals(PARTITIONS / 3, member.assignment().topicPartitions().size(), member.toString());
                for (TopicPartition tp : member.assignment().topicPartitions()) {
                    assertTrue(owned.add(tp), "one owner per partition: " + group);
                }
                clients.add(member.clientId());
            }
            assertEquals(PARTITIONS, owned.size());
            assertEquals(Set.of("java-member", "kcat-member", "brook-kafkajs-member"), clients);
            stop.set(true);
            java.join(30_000);
        } finally {
            stop.set(true);
            for (Process p : processes) {
                p.destroy();
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static ConsumerGroupDescription waitForThreeOwners(BrookFixture brook) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        ConsumerGroupDescription group = null;
        try (Admin admin = brook.admin()) {
            while (System.currentTimeMillis() < deadline) {
                group = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
                boolean spread = group.members().size() == 3 && group.members().stream()
                        .allMatch(m -> m.assignment().topicPartitions().size() == PARTITIONS / 3);
                if (group.groupState() == GroupState.STABLE && spread) {
                    return group;
                }
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the three clients never shared the group: " + group);
    }

    private static void runJavaMember(BrookFixture brook, AtomicBoolean stop) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "java-member",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.RangeAssignor",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true))) {
            consumer.subscribe(List.of(TOPIC));
            while (!stop.get()) {
                consumer.poll(Duration.ofMillis(100));
            }
        }
    }
}
