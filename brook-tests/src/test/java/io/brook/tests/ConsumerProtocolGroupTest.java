package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer group protocol (KIP-848, {@code group.protocol=consumer}) with the Java 4.3.1
 * consumer: server-side assignment, one owner per partition, idle members beyond the partition
 * count, members joining and leaving, independent groups, regex subscriptions, and committed
 * offsets across a broker restart.
 */
class ConsumerProtocolGroupTest {
    /** One server for the class: every test has its own topics and groups; a restart leaves it serving. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of("group.consumer.heartbeat.interval.ms", "500",
            "group.consumer.session.timeout.ms", "6000"));
    BrookFixture brook;

    @BeforeEach
    void start() {
        brook = SHARED.brook();
    }

    private void createAndFill(String topic, int partitions, int records) throws Exception {
        try (Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, i % partitions, null, bytes(topic + "-" + i)));
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> member(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        return brook.consumer(props);
    }

    /** Polls every member (committing) until {@code expected} distinct records were seen; returns the counts. */
    private static Map<String, Integer> consume(List<KafkaConsumer<byte[], byte[]>> members, int expected) {
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (seen.size() < expected && System.currentTimeMillis() < deadline) {
            for (KafkaConsumer<byte[], byte[]> c : members) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
                c.commitSync();
            }
        }
        return seen;
    }

    /**
     * Polls until the members own {@code partitions} partitions between them, each once, spread as
     * evenly as the count allows (the uniform assignor's promise); fails if a partition ever has two owners.
     */
    private static void awaitOwners(List<KafkaConsumer<byte[], byte[]>> members, int partitions) {
        long deadline = System.currentTimeMillis() + 30_000;
        int most = (partitions + members.size() - 1) / members.size();
        int least = partitions / members.size();
        while (System.currentTimeMillis() < deadline) {
            members.forEach(c -> c.poll(Duration.ofMillis(50)));
            Set<TopicPartition> owned = new HashSet<>();
            int total = 0;
            boolean even = true;
            for (KafkaConsumer<byte[], byte[]> c : members) {
                owned.addAll(c.assignment());
                total += c.assignment().size();
                even &= c.assignment().size() >= least && c.assignment().size() <= most;
            }
            assertEquals(owned.size(), total, "a partition with two owners");
            if (owned.size() == partitions && even) {
                return;
            }
        }
        throw new AssertionError("the members never owned " + partitions + " partitions once each, evenly");
    }

    @Test
    @Compat({"Java 4.3.1: consumer group (KIP-848 protocol)"})
    void threePartitionsFourMembersOneIdleEveryRecordOnce() throws Exception {
        createAndFill("shared", 3, 300);
        List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                KafkaConsumer<byte[], byte[]> c = member("g");
                c.subscribe(List.of("shared"));
                members.add(c);
            }
            Map<String, Integer> seen = consume(members, 300);
            assertEquals(300, seen.size());
            assertTrue(seen.values().stream().allMatch(n -> n == 1), "every record exactly once");
            awaitOwners(members, 3);
            assertEquals(3, members.stream().filter(c -> !c.assignment().isEmpty()).count(), "one member idle");
            try (Admin admin = brook.admin()) {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("g")).all().get().get("g");
                assertEquals(GroupState.STABLE, group.groupState());
                assertEquals(GroupType.CONSUMER, group.type());
                assertEquals(4, group.members().size());
                assertEquals(3, group.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum());
                GroupListing listed = admin.listGroups().all().get().stream()
                        .filter(l -> l.groupId().equals("g")).findFirst().orElseThrow();
                assertEquals(java.util.Optional.of(GroupType.CONSUMER), listed.type());
                assertEquals(300L, admin.listConsumerGroupOffsets("g").partitionsToOffsetAndMetadata().get()
                        .values().stream().mapToLong(o -> o.offset()).sum());
            }
        } finally {
            members.forEach(KafkaConsumer::close);
        }
    }

    @Test
    void membersJoiningAndLeavingMovePartitionsWithoutDoubleOwnership() throws Exception {
        createAndFill("moving", 6, 60);
        List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
        try {
            KafkaConsumer<byte[], byte[]> first = member("m");
            first.subscribe(List.of("moving"));
            members.add(first);
            awaitOwners(members, 6);
            for (int i = 0; i < 2; i++) {
                KafkaConsumer<byte[], byte[]> c = member("m");
                c.subscribe(List.of("moving"));
                members.add(c);
            }
            awaitOwners(members, 6);
            assertTrue(members.stream().allMatch(c -> c.assignment().size() == 2), "uniform: two each");
            members.remove(0).close(); // leaves the group: its partitions go to the others
            awaitOwners(members, 6);
            assertTrue(members.stream().allMatch(c -> c.assignment().size() == 3));
        } finally {
            members.forEach(KafkaConsumer::close);
        }
    }

    @Test
    void twoGroupsReadIndependentlyAndARegexSubscriptionFollowsNewTopics() throws Exception {
        createAndFill("events-a", 2, 20);
        try (KafkaConsumer<byte[], byte[]> one = member("one"); KafkaConsumer<byte[], byte[]> two = member("two")) {
            one.subscribe(List.of("events-a"));
            two.subscribe(new SubscriptionPattern("events-.*")); // resolved by the coordinator (RE2J syntax)
            assertEquals(20, consume(List.of(one), 20).size());
            assertEquals(20, consume(List.of(two), 20).size(), "the second group reads everything too");
            createAndFill("events-b", 1, 5);
            assertEquals(5, consume(List.of(two), 5).size(), "the broker-side regex picked up the new topic");
        }
    }

    @Test
    void aKilledMemberLosesItsPartitionsAfterTheSessionTimeout() throws Exception {
        createAndFill("killed", 4, 4);
        Process child = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), GroupMemberApp.class.getName(), brook.bootstrap(),
                "k", "killed", "consumer").redirectErrorStream(true).start();
        try (KafkaConsumer<byte[], byte[]> survivor = member("k")) {
            new Processes.Lines(child).await("ASSIGNED", Duration.ofSeconds(60)); // joined, owns partitions
            survivor.subscribe(List.of("killed"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (survivor.assignment().size() != 2 && System.currentTimeMillis() < deadline) {
                survivor.poll(Duration.ofMillis(100));
            }
            assertEquals(2, survivor.assignment().size(), "two members share four partitions");
            Processes.kill(child); // SIGKILL: no leave heartbeat
            long killedAt = System.currentTimeMillis();
            while (survivor.assignment().size() != 4 && System.currentTimeMillis() < killedAt + 30_000) {
                survivor.poll(Duration.ofMillis(100));
            }
            assertEquals(4, survivor.assignment().size(), "the survivor took over after the session timeout");
            assertTrue(System.currentTimeMillis() - killedAt >= 5_000, "not before the 6 s session timeout");
        } finally {
            Processes.kill(child);
        }
    }

    @Test
    void aClassicMemberCannotJoinAConsumerProtocolGroupWithMembers() throws Exception {
        createAndFill("mixed", 1, 1);
        try (KafkaConsumer<byte[], byte[]> modern = member("mixed-group");
             KafkaConsumer<byte[], byte[]> classic = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                     "mixed-group"))) {
            modern.subscribe(List.of("mixed"));
            assertEquals(1, consume(List.of(modern), 1).size());
            classic.subscribe(List.of("mixed"));
            org.junit.jupiter.api.Assertions.assertThrows(
                    org.apache.kafka.common.errors.InconsistentGroupProtocolException.class,
                    () -> classic.poll(Duration.ofSeconds(10)));
        }
    }

    @Test
    @Compat({"Java 4.3.1: committed offsets survive a restart (KIP-848 protocol)"})
    void resumesAtTheCommittedOffsetAfterABrokerRestart() throws Exception {
        createAndFill("resume", 1, 10);
        try (KafkaConsumer<byte[], byte[]> c = member("r")) {
            c.subscribe(List.of("resume"));
            assertEquals(10, consume(List.of(c), 10).size());
        }
        brook.restart();
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            producer.send(new ProducerRecord<>("resume", bytes("after-restart"))).get();
        }
        try (KafkaConsumer<byte[], byte[]> c = member("r")) {
            c.subscribe(List.of("resume"));
            Map<String, Integer> seen = consume(List.of(c), 1);
            assertEquals(Set.of("after-restart"), seen.keySet(), "resumed at the committed offset");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
