package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One consumer group, three clients nobody here wrote, each in its own process or thread: the
 * Java consumer, librdkafka ({@code kcat -G}) and kafkajs. They agree on the "range" protocol
 * and share the topic's partitions, one owner each; then records are produced, and each is read
 * exactly once, by the owner of its partition (the group is stable before the first record, so no
 * rebalance may hand a partition over mid-way). kcat and kafkajs are required in CI.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MixedGroupTest {
    private static final File KAFKAJS = new File("../compat/kafkajs").getAbsoluteFile();
    private static final String GROUP = "mixed";
    private static final String TOPIC = "mixed-topic";
    private static final int PARTITIONS = 6;
    private static final int RECORDS = 600;

    @TempDir
    File dataDir;

    @Test
    @Compat({
            "Java 4.3.1: one group shared with other clients",
            "kcat: one group shared with other clients",
            "kafkajs 2.2.4: one group shared with other clients"})
    void javaKcatAndKafkajsShareOneGroupAndReadEachRecordOnce() throws Exception {
        boolean kafkajs = new File(KAFKAJS, "node_modules/kafkajs").isDirectory();
        if (!kafkajs && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(Processes.kcatAvailable() && kafkajs, "kcat or kafkajs missing");
        List<Process> processes = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        // what each member read, as record values ("p<partition>-<n>")
        Map<String, List<String>> read = Map.of("java-member", new CopyOnWriteArrayList<>(),
                "kcat-member", new CopyOnWriteArrayList<>(), "brook-kafkajs-member", new CopyOnWriteArrayList<>());
        AtomicInteger javaAssignments = new AtomicInteger();
        List<String> kafkajsAssignments = new CopyOnWriteArrayList<>();
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
            }
            Thread java = new Thread(() -> runJavaMember(brook, stop, read.get("java-member"), javaAssignments),
                    "java-member");
            java.start();
            Process kcat = new ProcessBuilder("kcat", "-b", brook.bootstrap(), "-G", GROUP, "-X",
                    "partition.assignment.strategy=range", "-X", "client.id=kcat-member", "-q", "-u", "-o", "beginning",
                    "-f", "%s\\n", TOPIC).redirectErrorStream(true).start();
            processes.add(kcat);
            follow(kcat, line -> read.get("kcat-member").add(line));
            ProcessBuilder nodeBuilder = new ProcessBuilder("node", "member.js", brook.bootstrap(), GROUP, TOPIC)
                    .directory(KAFKAJS).redirectErrorStream(true);
            nodeBuilder.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            Process node = nodeBuilder.start();
            processes.add(node);
            follow(node, line -> {
                if (line.startsWith("record ")) {
                    read.get("brook-kafkajs-member").add(line.substring("record ".length()));
                } else if (line.startsWith("assigned ")) {
                    kafkajsAssignments.add(line);
                }
            });

            ConsumerGroupDescription group = waitForThreeOwners(brook);
            Map<String, Set<Integer>> owner = new HashMap<>();
            Set<TopicPartition> owned = new HashSet<>();
            for (MemberDescription member : group.members()) {
                assertEquals(PARTITIONS / 3, member.assignment().topicPartitions().size(), member.toString());
                for (TopicPartition tp : member.assignment().topicPartitions()) {
                    assertTrue(owned.add(tp), "one owner per partition: " + group);
                    owner.computeIfAbsent(member.clientId(), c -> new HashSet<>()).add(tp.partition());
                }
            }
            assertEquals(PARTITIONS, owned.size());
            assertEquals(read.keySet(), owner.keySet());
            read.values().forEach(values -> assertTrue(values.isEmpty(), "nothing to read yet: " + read));
            int javaAssigned = javaAssignments.get();
            int kafkajsAssigned = kafkajsAssignments.size();

            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, null,
                            ("p" + i % PARTITIONS + "-" + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.values().stream().mapToInt(List::size).sum() < RECORDS) {
                assertTrue(System.currentTimeMillis() < deadline, "records not all read in time: " + read);
                Thread.sleep(100);
            }
            Thread.sleep(1_000); // room for a record read twice to show up

            Map<String, Integer> times = new HashMap<>();
            read.values().forEach(values -> values.forEach(v -> times.merge(v, 1, Integer::sum)));
            assertEquals(RECORDS, times.size(), "every record read: " + read);
            times.forEach((v, n) -> assertEquals(1, n, v + " read " + n + " times: " + read));
            read.forEach((client, values) -> values.forEach(v -> {
                int partition = Integer.parseInt(v.substring(1, v.indexOf('-')));
                assertTrue(owner.get(client).contains(partition), client + " read " + v + " of a partition it "
                        + "does not own: " + owner);
            }));
            read.forEach((client, values) -> assertEquals(RECORDS / 3, values.size(), client + " read its share"));

            try (Admin admin = brook.admin()) {
                ConsumerGroupDescription after = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
                assertEquals(members(group), members(after), "no rebalance during consumption");
            }
            assertEquals(javaAssigned, javaAssignments.get(), "no rebalance during consumption (Java member)");
            assertEquals(kafkajsAssigned, kafkajsAssignments.size(), "no rebalance during consumption: "
                    + kafkajsAssignments);
            stop.set(true);
            java.join(30_000);
        } finally {
            stop.set(true);
            for (Process p : processes) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** Each member's id with its partitions. */
    private static Map<String, Set<TopicPartition>> members(ConsumerGroupDescription group) {
        Map<String, Set<TopicPartition>> members = new HashMap<>();
        group.members().forEach(m -> members.put(m.consumerId(), m.assignment().topicPartitions()));
        return members;
    }

    /** Hands each line the process prints to {@code consumer}, on a daemon thread, until the process ends. */
    private static void follow(Process process, Consumer<String> consumer) {
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                out.lines().forEach(consumer);
            } catch (IOException | UncheckedIOException ended) {
                // the process was stopped
            }
        }, "member-output");
        reader.setDaemon(true);
        reader.start();
    }

    private static ConsumerGroupDescription waitForThreeOwners(BrookFixture brook) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        ConsumerGroupDescription group = null;
        try (Admin admin = brook.admin()) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    group = admin.describeConsumerGroups(List.of(GROUP)).all().get(30, TimeUnit.SECONDS).get(GROUP);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                    Thread.sleep(200); // no member has joined yet (the clients are still starting)
                    continue;
                }
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

    private static void runJavaMember(BrookFixture brook, AtomicBoolean stop, List<String> read,
                                      AtomicInteger assignments) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "java-member",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.RangeAssignor",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true))) {
            consumer.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assignments.incrementAndGet();
                }
            });
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
    }
}
