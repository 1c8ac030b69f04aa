package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Consumer groups (classic protocol) with the Java consumer in subscribe mode. */
class ConsumerGroupTest {
    /** One server for the class: every test has its own topic and group; a restart leaves it serving. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());
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
                producer.send(new ProducerRecord<>(topic, i % partitions, null,
                        String.valueOf(i).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> member(String group, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        props.putAll(extra);
        return brook.consumer(props);
    }

    @Test
    @Compat({"Java 4.3.1: consumer group (classic protocol)"})
    void threePartitionsFourMembersOneIdleEveryRecordOnce() throws Exception {
        createAndFill("shared", 3, 300);
        List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            KafkaConsumer<byte[], byte[]> c = member("g", Map.of());
            c.subscribe(List.of("shared"));
            members.add(c);
        }
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (seen.size() < 300 && System.currentTimeMillis() < deadline) {
            for (KafkaConsumer<byte[], byte[]> c : members) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
                c.commitSync();
            }
        }
        assertEquals(300, seen.size());
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "every record exactly once");
        for (int round = 0; round < 5; round++) {
            members.forEach(c -> c.poll(Duration.ofMillis(50)));
        }
        int active = 0;
        Set<TopicPartition> owned = new HashSet<>();
        for (KafkaConsumer<byte[], byte[]> c : members) {
            if (!c.assignment().isEmpty()) {
                active++;
            }
            for (TopicPartition tp : c.assignment()) {
                assertTrue(owned.add(tp), "one owner per partition");
            }
        }
        assertEquals(3, active, "three members own a partition each, one is idle");
        assertEquals(3, owned.size());
        try (Admin admin = brook.admin()) {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("g")).all().get().get("g");
            assertEquals(GroupState.STABLE, group.groupState());
            assertEquals(4, group.members().size());
            assertEquals(300L, admin.listConsumerGroupOffsets("g").partitionsToOffsetAndMetadata().get().values()
                    .stream().mapToLong(OffsetAndMetadata::offset).sum());
        }
        members.forEach(KafkaConsumer::close);
    }

    /**
     * Each client-side assignor the Java consumer ships, eager and cooperative: members join one
     * by one and one leaves; at every step each partition has one owner, the load is even, and
     * every record is read exactly once across the group.
     */
    @ParameterizedTest
    @ValueSource(strings = {"org.apache.kafka.clients.consumer.RangeAssignor",
            "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            "org.apache.kafka.clients.consumer.StickyAssignor",
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"})
    @Compat({"Java 4.3.1: assignor {0}"})
    void everyClientAssignorSharesThePartitions(String assignor) throws Exception {
        String topic = "assigned-" + assignor.substring(assignor.lastIndexOf('.') + 1);
        String group = "group-" + topic;
        createAndFill(topic, 6, 600);
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
        for (int size = 1; size <= 3; size++) {
            KafkaConsumer<byte[], byte[]> joining = member(group,
                    Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor));
            // what was read is committed before partitions move, so nothing is read twice
            joining.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                    joining.commitSync();
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                }
            });
            members.add(joining);
            pollUntilBalanced(members, 6, seen);
        }
        members.remove(0).close(); // leaves the group; the other two take over its partitions
        pollUntilBalanced(members, 6, seen);
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            for (int i = 600; i < 900; i++) {
                producer.send(new ProducerRecord<>(topic, i % 6, null, String.valueOf(i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (seen.size() < 900 && System.currentTimeMillis() < deadline) {
            pollAll(members, seen);
        }
        assertEquals(900, seen.size(), assignor);
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "every record exactly once with " + assignor);
        members.forEach(KafkaConsumer::close);
    }

    /** Polls (and commits) until all partitions are owned, once each, evenly across the members. */
    private static void pollUntilBalanced(List<KafkaConsumer<byte[], byte[]>> members, int partitions,
                                          Map<String, Integer> seen) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            pollAll(members, seen);
            Set<TopicPartition> owned = new HashSet<>();
            boolean even = true;
            int total = 0;
            for (KafkaConsumer<byte[], byte[]> c : members) {
                owned.addAll(c.assignment());
                total += c.assignment().size();
                even &= c.assignment().size() == partitions / members.size();
            }
            if (owned.size() == partitions && total == partitions && even) {
                return;
            }
        }
        throw new AssertionError("the group never spread " + partitions + " partitions over " + members.size()
                + " members");
    }

    private static void pollAll(List<KafkaConsumer<byte[], byte[]>> members, Map<String, Integer> seen) {
        for (KafkaConsumer<byte[], byte[]> c : members) {
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
            try {
                c.commitSync();
            } catch (org.apache.kafka.common.errors.RebalanceInProgressException e) {
                // a cooperative rebalance is under way: the next poll completes it, then we commit
            }
        }
    }

    @Test
    void aCrashedMemberLosesItsPartitionsAfterTheSessionTimeout() throws Exception {
        createAndFill("failover", 2, 0);
        KafkaConsumer<byte[], byte[]> survivor = member("f", Map.of());
        KafkaConsumer<byte[], byte[]> crasher = member("f", Map.of("internal.leave.group.on.close", false));
        survivor.subscribe(List.of("failover"));
        crasher.subscribe(List.of("failover"));
        long deadline = System.currentTimeMillis() + 30_000;
        while ((survivor.assignment().size() != 1 || crasher.assignment().size() != 1)
                && System.currentTimeMillis() < deadline) {
            survivor.poll(Duration.ofMillis(100));
            crasher.poll(Duration.ofMillis(100));
        }
        assertEquals(1, survivor.assignment().size());
        crasher.close(Duration.ZERO); // no LeaveGroup: the coordinator must notice the silence
        deadline = System.currentTimeMillis() + 30_000;
        while (survivor.assignment().size() != 2 && System.currentTimeMillis() < deadline) {
            survivor.poll(Duration.ofMillis(200));
        }
        assertEquals(2, survivor.assignment().size(), "the survivor took over both partitions");
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            producer.send(new ProducerRecord<>("failover", 0, null, "after".getBytes())).get();
            producer.send(new ProducerRecord<>("failover", 1, null, "after".getBytes())).get();
        }
        int got = 0;
        deadline = System.currentTimeMillis() + 15_000;
        while (got < 2 && System.currentTimeMillis() < deadline) {
            got += survivor.poll(Duration.ofMillis(200)).count();
        }
        assertEquals(2, got, "records keep flowing");
        survivor.close();
    }

    /**
     * KIP-345 with the Java consumer: a static member (group.instance.id) that restarts within its session comes back
     * under a new member id into its old place, with its old partitions, and the group does not rebalance (the other
     * member stays in its generation).
     */
    @Test
    @Compat({"Java 4.3.1: a restarted static member rejoins without a rebalance (KIP-345)"})
    void aRestartedStaticMemberGetsItsPartitionsBackWithoutARebalance() throws Exception {
        createAndFill("statics", 4, 0);
        Map<String, Object> staticMember = Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "s-1",
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
        KafkaConsumer<byte[], byte[]> dynamic = member("st", Map.of());
        KafkaConsumer<byte[], byte[]> before = member("st", staticMember);
        dynamic.subscribe(List.of("statics"));
        before.subscribe(List.of("statics"));
        long deadline = System.currentTimeMillis() + 30_000;
        while ((dynamic.assignment().size() != 2 || before.assignment().size() != 2)
                && System.currentTimeMillis() < deadline) {
            dynamic.poll(Duration.ofMillis(100));
            before.poll(Duration.ofMillis(100));
        }
        assertEquals(2, before.assignment().size(), "the static member's share");
        Set<TopicPartition> itsPartitions = new HashSet<>(before.assignment());
        int generation = dynamic.groupMetadata().generationId();
        String oldMemberId = before.groupMetadata().memberId();
        before.close(Duration.ofSeconds(5)); // a static member sends no LeaveGroup: its place waits for it

        KafkaConsumer<byte[], byte[]> after = member("st", staticMember);
        after.subscribe(List.of("statics"));
        deadline = System.currentTimeMillis() + 30_000;
        while (after.assignment().isEmpty() && System.currentTimeMillis() < deadline) {
            after.poll(Duration.ofMillis(100));
            dynamic.poll(Duration.ofMillis(100));
        }
        for (int i = 0; i < 10; i++) { // a few heartbeats: a rebalance would show in the generation
            dynamic.poll(Duration.ofMillis(100));
            after.poll(Duration.ofMillis(100));
        }
        assertEquals(itsPartitions, after.assignment(), "its old partitions");
        assertTrue(!after.groupMetadata().memberId().equals(oldMemberId), "under a new member id");
        assertEquals(generation, after.groupMetadata().generationId(), "in the same generation");
        assertEquals(generation, dynamic.groupMetadata().generationId(), "the other member did not rebalance");
        assertEquals(2, dynamic.assignment().size());
        after.close();
        dynamic.close();
    }

    @Test
    void twoGroupsReadTheSameTopicIndependently() throws Exception {
        createAndFill("both", 2, 100);
        for (String group : List.of("a", "b")) {
            try (KafkaConsumer<byte[], byte[]> c = member(group, Map.of())) {
                c.subscribe(List.of("both"));
                int count = 0;
                long deadline = System.currentTimeMillis() + 30_000;
                while (count < 100 && System.currentTimeMillis() < deadline) {
                    count += c.poll(Duration.ofMillis(200)).count();
                }
                assertEquals(100, count, "group " + group + " reads everything");
                c.commitSync();
            }
        }
    }

    @Test
    @Compat({"Java 4.3.1: committed offsets survive a restart"})
    void resumesAtTheCommittedOffsetAfterABrokerRestart() throws Exception {
        createAndFill("resume", 1, 50);
        try (KafkaConsumer<byte[], byte[]> c = member("r", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20))) {
            c.subscribe(List.of("resume"));
            int count = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (count < 20 && System.currentTimeMillis() < deadline) {
                count += c.poll(Duration.ofMillis(200)).count();
            }
            assertEquals(20, count);
            c.commitSync(Map.of(new TopicPartition("resume", 0), new OffsetAndMetadata(20, "half-way")));
        }
        brook.restart();
        try (KafkaConsumer<byte[], byte[]> c = member("r", Map.of())) {
            c.subscribe(List.of("resume"));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (records.size() < 30 && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            assertEquals(20, records.get(0).offset(), "resumed exactly at the committed offset");
            assertEquals(30, records.size());
            assertEquals("half-way", c.committed(Set.of(new TopicPartition("resume", 0)))
                    .get(new TopicPartition("resume", 0)).metadata());
        }
    }

    @Test
    void listsDescribesAndDeletesGroups() throws Exception {
        createAndFill("admin", 1, 10);
        try (KafkaConsumer<byte[], byte[]> c = member("busy", Map.of());
             Admin admin = brook.admin()) {
            c.subscribe(List.of("admin"));
            TopicPartition tp = new TopicPartition("admin", 0);
            int consumed = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumed < 10 && System.currentTimeMillis() < deadline) {
                consumed += c.poll(Duration.ofMillis(100)).count();
            }
            assertEquals(10, consumed);
            c.commitSync();
            assertTrue(admin.listConsumerGroups().all().get().stream().anyMatch(g -> g.groupId().equals("busy")));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.deleteConsumerGroups(List.of("busy")).all().get());

            assertInstanceOf(GroupNotEmptyException.class, e.getCause());
            e = assertThrows(ExecutionException.class,
                    () -> admin.deleteConsumerGroupOffsets("busy", Set.of(tp)).all().get());
            assertInstanceOf(GroupSubscribedToTopicException.class, e.getCause());
            c.close();
            assertEquals(10L, admin.listConsumerGroupOffsets("busy").partitionsToOffsetAndMetadata().get()
                    .get(tp).offset());
            admin.deleteConsumerGroupOffsets("busy", Set.of(tp)).all().get();
            assertTrue(admin.listConsumerGroupOffsets("busy").partitionsToOffsetAndMetadata().get().isEmpty());
            admin.deleteConsumerGroups(List.of("busy")).all().get();
            assertTrue(admin.listConsumerGroups().all().get().stream().noneMatch(g -> g.groupId().equals("busy")));
        }
    }
}
