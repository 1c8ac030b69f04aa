package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker SIGKILLed ({@link BrookFixture#kill()}) and started again on the same port and data,
 * while a consumer group commits offsets, while transactions are open, and while the log cleaner
 * compacts: committed offsets, transaction outcomes and the latest value of every key survive, and
 * the Java clients carry on.
 */
@Timeout(300)
class CrashRecoveryTest {
    @TempDir
    File dataDir;

    // ------------------------------------------------------------------ a consumer group

    @Test
    void aGroupsCommittedOffsetsSurviveASigkillAndItsMembersContinueFromThem() throws Exception {
        String topic = "group-crash";
        int partitions = 4;
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin();
             KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            Map<String, Object> member = Map.of(ConsumerConfig.GROUP_ID_CONFIG, "crash-group",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7,
                    ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500); // members learn of a rebalance sooner
            try (KafkaConsumer<byte[], byte[]> first = brook.consumer(member);
                 KafkaConsumer<byte[], byte[]> second = brook.consumer(member)) {
                List<KafkaConsumer<byte[], byte[]>> group = List.of(first, second);
                group.forEach(c -> c.subscribe(List.of(topic)));
                awaitBothAssigned(group, partitions);

                produce(producer, topic, partitions, 0, 200);
                Map<TopicPartition, Set<Long>> read = new HashMap<>();
                Map<TopicPartition, Long> committed = new HashMap<>();
                long deadline = System.currentTimeMillis() + 30_000;
                while (count(read) < 100 && System.currentTimeMillis() < deadline) {
                    for (KafkaConsumer<byte[], byte[]> consumer : group) {
                        committed.putAll(pollAndCommit(consumer, read, null));
                    }
                }
                assertTrue(count(read) >= 100, "read before the kill: " + count(read));
                assertTrue(count(read) < 200, "some records are left for after the restart");

                brook.kill();
                brook.start();

                Map<TopicPartition, Long> stored = new HashMap<>();
                admin.listConsumerGroupOffsets("crash-group").partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).forEach((tp, o) -> stored.put(tp, o.offset()));
                assertEquals(committed, stored, "the offsets committed before the kill, exactly");

                produce(producer, topic, partitions, 200, 300);
                Map<TopicPartition, List<Long>> readAfter = new HashMap<>();
                deadline = System.currentTimeMillis() + 40_000;
                // members are not kept across a restart (docs/design/server.md): they rejoin one by one
                while ((count(read) < 300 || !shareThePartitions(group, partitions))
                        && System.currentTimeMillis() < deadline) {
                    for (KafkaConsumer<byte[], byte[]> consumer : group) {
                        pollAndCommit(consumer, read, readAfter);
                    }
                }
                assertEquals(300, count(read), "every record is read at least once");
                for (TopicPartition tp : readAfter.keySet()) {
                    long from = committed.getOrDefault(tp, 0L);
                    assertEquals(from, readAfter.get(tp).stream().mapToLong(Long::longValue).min().orElseThrow(),
                            tp + ": after the restart the group goes on from the committed offset, "
                                    + "re-reading nothing before it: " + readAfter.get(tp));
                }
                assertTrue(shareThePartitions(group, partitions),
                        "both members are in the group: " + first.assignment() + " " + second.assignment());
            }
        }
    }

    private static void awaitBothAssigned(List<KafkaConsumer<byte[], byte[]>> group, int partitions) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (KafkaConsumer<byte[], byte[]> consumer : group) {
                assertEquals(0, consumer.poll(Duration.ofMillis(100)).count(), "the topic is still empty");
            }
            if (shareThePartitions(group, partitions)) {
                return;
            }
        }
        throw new AssertionError("the two members did not share the partitions within 30 s");
    }

    /** Whether every member holds some partitions and together they hold all. */
    private static boolean shareThePartitions(List<KafkaConsumer<byte[], byte[]>> group, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        for (KafkaConsumer<byte[], byte[]> consumer : group) {
            if (consumer.assignment().isEmpty()) {
                return false;
            }
            all.addAll(consumer.assignment());
        }
        return all.size() == partitions;
    }

    /**
     * Polls once, records what was read (into {@code after} too, in order, when given) and commits the
     * position after the last record of each partition read; returns what it committed (nothing when
     * the commit was refused because the group rebalanced).
     */
    private static Map<TopicPartition, Long> pollAndCommit(KafkaConsumer<byte[], byte[]> consumer,
            Map<TopicPartition, Set<Long>> read, Map<TopicPartition, List<Long>> after) {
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            assertEquals("value-" + tp.partition() + "-" + r.offset(), string(r.value()));
            read.computeIfAbsent(tp, k -> new TreeSet<>()).add(r.offset());
            if (after != null) {
                after.computeIfAbsent(tp, k -> new ArrayList<>()).add(r.offset());
            }
            next.put(tp, r.offset() + 1);
        }
        if (!next.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            next.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
            try {
                consumer.commitSync(commit, Duration.ofSeconds(15));
            } catch (CommitFailedException | RebalanceInProgressException e) {
                return Map.of(); // a rebalance (membership is not kept across a restart): the next owner re-reads them
            }
        }
        return next;
    }

    /** Sends records {@code from} until {@code to} round robin over the partitions; values name partition, offset. */
    private static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, int from, int to)
            throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            int partition = i % partitions;
            sent.add(producer.send(new ProducerRecord<>(topic, partition, null,
                    bytes("value-" + partition + "-" + i / partitions))));
        }
        for (int i = from; i < to; i++) {
            assertEquals(i / partitions, sent.get(i - from).get(30, TimeUnit.SECONDS).offset());
        }
    }

    private static int count(Map<TopicPartition, Set<Long>> read) {
        return read.values().stream().mapToInt(Set::size).sum();
    }

    // ------------------------------------------------------------------ open transactions

    @Test
    void openTransactionsAreAbortedAfterASigkillAndReadCommittedSeesExactlyTheCommittedOnes() throws Exception {
        String topic = "txn-crash";
        List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        Map<String, String> settings = Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "200");
        try (BrookFixture brook = new BrookFixture(dataDir, settings); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
            Map<TopicPartition, List<String>> committed = new HashMap<>();

            KafkaProducer<byte[], byte[]> committer = brook.producer(transactional("committer", 60_000));
            KafkaProducer<byte[], byte[]> aborter = brook.producer(transactional("aborter", 60_000));
            KafkaProducer<byte[], byte[]> timedOut = brook.producer(transactional("timed-out", 15_000));
            KafkaProducer<byte[], byte[]> fenced = brook.producer(transactional("fenced", 60_000));
            try {
                for (KafkaProducer<byte[], byte[]> p : List.of(committer, aborter, timedOut, fenced)) {
                    p.initTransactions();
                }
                transaction(committer, topic, "committed-1", committed);
                committer.commitTransaction();
                transaction(aborter, topic, "aborted", null);
                aborter.abortTransaction();
                transaction(timedOut, topic, "timed-out", null); // open until its timeout
                transaction(fenced, topic, "fenced", null); // open until a new instance fences it
                transaction(committer, topic, "committed-2", committed);
                committer.commitTransaction();
                Map<TopicPartition, List<String>> visibleBefore = new HashMap<>();
                committed.forEach((tp, values) -> visibleBefore.put(tp, values.subList(0, 5)));
                assertEquals(visibleBefore, readCommitted(brook, tps, 10), "before the kill: the first commit only");

                brook.kill();
            } finally {
                for (KafkaProducer<byte[], byte[]> p : List.of(aborter, timedOut, fenced)) {
                    p.close(Duration.ZERO);
                }
            }
            brook.start();

            Map<TopicPartition, Long> end = endOffsets(brook, tps, "read_uncommitted");
            Map<TopicPartition, Long> stable = endOffsets(brook, tps, "read_committed");
            for (TopicPartition tp : tps) {
                // 5 records per transaction and partition, a marker per ended one (and one more if the
                // timed-out transaction was aborted already)
                assertTrue(end.get(tp) == 28 || end.get(tp) == 29, "all of it survived the kill: " + end);
                assertTrue(stable.get(tp) < end.get(tp), "the undecided transactions hold the LSO back: " + stable);
            }
            Map<TopicPartition, List<String>> visibleBefore = new HashMap<>();
            committed.forEach((tp, values) -> visibleBefore.put(tp, values.subList(0, 5)));
            assertEquals(visibleBefore, readCommitted(brook, tps, 10),
                    "after the restart, while the open transactions are undecided: the first commit only");

            try (KafkaProducer<byte[], byte[]> newInstance = brook.producer(transactional("fenced", 60_000))) {
                newInstance.initTransactions(); // fences the open transaction of the old instance
            }
            try {
                transaction(committer, topic, "committed-3", committed);
                committer.commitTransaction();
            } finally {
                committer.close(Duration.ofSeconds(10));
            }

            long deadline = System.currentTimeMillis() + 30_000;
            Map<TopicPartition, Long> expectedEnd = Map.of(tps.get(0), 36L, tps.get(1), 36L);
            while (!(end = endOffsets(brook, tps, "read_uncommitted")).equals(expectedEnd)
                    || !endOffsets(brook, tps, "read_committed").equals(end)) {
                assertTrue(System.currentTimeMillis() < deadline, "the LSO reaches the log end (timeout, fencing): "
                        + endOffsets(brook, tps, "read_committed") + " of " + end);
                Thread.sleep(200);
            }
            assertEquals(committed, readCommitted(brook, tps, 30), "exactly the committed transactions, in order");
        }
    }

    private static Map<String, Object> transactional(String id, int timeoutMs) {
        return Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
    }

    /** Begins a transaction and sends 5 records to each of the two partitions, acknowledged; does not end it. */
    private static void transaction(KafkaProducer<byte[], byte[]> producer, String topic, String name,
            Map<TopicPartition, List<String>> committed) throws Exception {
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String value = name + "-" + i;
            sent.add(producer.send(new ProducerRecord<>(topic, i % 2, null, bytes(value))));
            if (committed != null) {
                committed.computeIfAbsent(new TopicPartition(topic, i % 2), k -> new ArrayList<>()).add(value);
            }
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    /** A read_committed consumer from the start: until {@code expected} records came, then 500 ms more. */
    private static Map<TopicPartition, List<String>> readCommitted(BrookFixture brook, List<TopicPartition> tps,
            int expected) {
        Map<TopicPartition, List<String>> values = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            int count = 0;
            long deadline = System.currentTimeMillis() + 15_000;
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    values.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>())
                            .add(string(r.value()));
                    count++;
                }
                if (count >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.currentTimeMillis() + 500;
                }
            }
        }
        return values;
    }

    private static Map<TopicPartition, Long> endOffsets(BrookFixture brook, List<TopicPartition> tps,
            String isolation) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
            return consumer.endOffsets(tps, Duration.ofSeconds(15));
        }
    }

    // ------------------------------------------------------------------ durable mode

    /**
     * A topic with {@code brook.durable.append}: produce answers come from the log directory's
     * flusher after the fsync, with acks=1 and acks=all, idempotent and transactional (its markers
     * and the coordinator's writes wait for their fsync too); every acknowledged record is there
     * after a SIGKILL, once, and read_committed sees the committed transaction.
     */
    @Test
    void durableModeAnswersAfterTheFsyncAndKeepsEveryAcknowledgedRecordThroughASigkill() throws Exception {
        String topic = "durable-crash";
        List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of(
                    "brook.durable.append", "true")))).all().get();
            Map<TopicPartition, List<String>> committed = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> acksAll = brook.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all"));
                 KafkaProducer<byte[], byte[]> acksOne = brook.producer(Map.of(ProducerConfig.ACKS_CONFIG, "1",
                         ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
                 KafkaProducer<byte[], byte[]> txn = brook.producer(transactional("durable-txn", 60_000))) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    KafkaProducer<byte[], byte[]> producer = i % 2 == 0 ? acksAll : acksOne;
                    String value = "plain-" + i;
                    sent.add(producer.send(new ProducerRecord<>(topic, i % 2, null, bytes(value))));
                    committed.computeIfAbsent(tps.get(i % 2), k -> new ArrayList<>()).add(value);
                }
                for (Future<RecordMetadata> f : sent) {
                    f.get(30, TimeUnit.SECONDS);
                }
                txn.initTransactions();
                transaction(txn, topic, "committed", committed);
                txn.commitTransaction();
            }
            brook.kill();
            brook.start();
            Map<TopicPartition, List<String>> read = readCommitted(brook, tps, 310);
            for (TopicPartition tp : tps) {
                List<String> expected = new ArrayList<>(committed.get(tp));
                List<String> got = new ArrayList<>(read.getOrDefault(tp, List.of()));
                expected.sort(null);
                got.sort(null);
                assertEquals(expected, got, tp + ": every acknowledged record, once");
            }
        }
    }

    // ------------------------------------------------------------------ compaction

    @Test
    void killsWhileTheCleanerCompactsLoseNoLatestValueAndKeepOffsetsConsistent() throws Exception {
        long seed = Long.getLong("brook.crash.seed", System.nanoTime());
        System.out.println("CrashRecoveryTest compaction seed " + seed + " (-Dbrook.crash.seed to repeat)");
        Random random = new Random(seed);
        int keys = 300;
        int rounds = Integer.getInteger("brook.crash.rounds", 3);
        Map<String, String> cleaner = Map.of(
                "log.cleaner.backoff.ms", "20",
                "log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024),
                // slow enough that a cleaning spans most of the time between kills
                "log.cleaner.io.max.bytes.per.second", "100000");
        String topic = "compacted-crash";
        TopicPartition tp = new TopicPartition(topic, 0);
        File partitionDir = new File(dataDir, topic + "-0");
        try (BrookFixture brook = new BrookFixture(dataDir, cleaner)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                        "cleanup.policy", "compact", "segment.bytes", "16384",
                        "min.cleanable.dirty.ratio", "0.01")))).all().get();
            }
            Map<Long, String> written = new TreeMap<>(); // offset -> key=value
            Map<String, String> latest = new TreeMap<>();
            int killsWhileCleaning = 0;
            for (int round = 0; round < rounds; round++) {
                try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                    List<Future<RecordMetadata>> sent = new ArrayList<>();
                    List<String> entries = new ArrayList<>();
                    // the first round writes every key, later ones random keys: the latest values end
                    // up spread over the log, so cleanings move them into new segments
                    int writes = round == 0 ? keys : 2 * keys;
                    for (int i = 0; i < writes; i++) {
                        String key = "key-" + (round == 0 ? i : random.nextInt(keys));
                        String value = "round-" + round + "-" + "v".repeat(random.nextInt(100));
                        sent.add(producer.send(new ProducerRecord<>(topic, 0, bytes(key), bytes(value))));
                        entries.add(key + "=" + value);
                        latest.put(key, value);
                    }
                    for (int i = 0; i < sent.size(); i++) {
                        written.put(sent.get(i).get(30, TimeUnit.SECONDS).offset(), entries.get(i));
                    }
                }
                // kill once a cleaning is under way, at a random moment of it (or just after it)
                long deadline = System.currentTimeMillis() + 10_000;
                while (!cleaning(partitionDir) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(5);
                }
                boolean lastChance = round == rounds - 1 && killsWhileCleaning == 0;
                Thread.sleep(lastChance ? 0 : random.nextInt(300));
                brook.kill();
                if (cleaning(partitionDir)) {
                    killsWhileCleaning++;
                }
                brook.start();
                assertConsistent(brook, tp, written, latest, "after kill " + (round + 1));
            }
            System.out.println("CrashRecoveryTest compaction: " + killsWhileCleaning + " of " + rounds
                    + " kills left a cleaning unfinished");
            assertTrue(killsWhileCleaning > 0, "no kill hit the cleaner at work; the test did not test anything");
            int readBack = assertConsistent(brook, tp, written, latest, "at the end");
            assertTrue(readBack < written.size(), "the cleaner did compact: " + readBack + " of " + written.size());
        }
    }

    /** Whether the cleaner is writing or swapping in a segment of the partition. */
    private static boolean cleaning(File partitionDir) {
        String[] files = partitionDir.list((d, n) -> n.endsWith(".cleaned") || n.endsWith(".swap"));
        return files != null && files.length > 0;
    }

    /**
     * Reads the partition from the start to its end: offsets only grow, each record is the one
     * written at its offset, and the last record of each key is its latest value. Returns how many
     * records were read.
     */
    private static int assertConsistent(BrookFixture brook, TopicPartition tp, Map<Long, String> written,
            Map<String, String> latest, String when) {
        Map<String, String> last = new LinkedHashMap<>();
        int read = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(15)).get(tp);
            long previous = -1;
            long deadline = System.currentTimeMillis() + 20_000;
            while (consumer.position(tp, Duration.ofSeconds(15)) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    assertTrue(r.offset() > previous, when + ": offset " + r.offset() + " after " + previous);
                    previous = r.offset();
                    String entry = string(r.key()) + "=" + string(r.value());
                    assertEquals(written.get(r.offset()), entry, when + ": the record at offset " + r.offset());
                    last.put(string(r.key()), string(r.value()));
                    read++;
                }
            }
            assertEquals(end, consumer.position(tp, Duration.ofSeconds(15)), when + ": read to the end");
        }
        List<String> wrong = new ArrayList<>();
        latest.forEach((key, value) -> {
            if (!value.equals(last.get(key))) {
                wrong.add(key + " is " + last.get(key) + ", latest " + value);
            }
        });
        assertEquals(List.of(), wrong, when + ": the latest value of every key, " + wrong.size() + " wrong");
        assertEquals(latest.keySet(), new TreeSet<>(last.keySet()), when + ": no other key");
        return read;
    }

    // ------------------------------------------------------------------ a topic created just before the kill

    /**
     * CreateTopics is answered once the topic is in the durable metadata log, while the files of its partitions
     * are still being created off the controller's thread: a SIGKILL right after the answer loses none of them,
     * and every partition takes a record at offset 0 after the restart. A topic described right after its
     * creation was answered is described whole (the broker answers once it hosts what was committed before).
     */
    @Test
    void aTopicCreatedRightBeforeASigkillHasEveryPartitionAfterTheRestart() throws Exception {
        String topic = "created-before-kill";
        int partitions = 2000;
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(120, TimeUnit.SECONDS);
            brook.kill();
            long dirsAtKill = partitionDirs(topic);
            brook.start();

            assertEquals(partitions, admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS)
                    .get(topic).partitions().size(), "partitions after the restart");
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, p, null, bytes("p" + p))));
                }
                for (int p = 0; p < partitions; p++) {
                    assertEquals(0, sent.get(p).get(60, TimeUnit.SECONDS).offset(), "partition " + p);
                }
            }
            assertEquals(partitions, partitionDirs(topic), "partition directories after the restart");
            System.out.println("CrashRecoveryTest created topic: " + dirsAtKill + " of " + partitions
                    + " partition directories existed at the kill");

            // read your writes: a topic described right after CreateTopics answered is there with every partition,
            // though its files are still being made when the answer comes
            String next = "described-right-after";
            admin.createTopics(List.of(new NewTopic(next, partitions, (short) 1))).all().get(120, TimeUnit.SECONDS);
            assertEquals(partitions, admin.describeTopics(List.of(next)).allTopicNames().get(60, TimeUnit.SECONDS)
                    .get(next).partitions().size(), "partitions described right after the creation");
        }
    }

    /** The directories of {@code topic}'s partitions under the data directory. */
    private long partitionDirs(String topic) throws java.io.IOException {
        try (var found = java.nio.file.Files.find(dataDir.toPath(), 3, (path, attributes) -> attributes.isDirectory()
                && path.getFileName().toString().matches(java.util.regex.Pattern.quote(topic) + "-\\d+"))) {
            return found.count();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
