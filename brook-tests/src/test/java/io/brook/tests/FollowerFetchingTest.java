package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Follower fetching (KIP-392) on three Brook processes in racks r1, r2 and r3 with Kafka's rack-aware
 * {@code replica.selector.class}: a topic led by node 1 (r1) and replicated to all three. The leader sends a consumer
 * of rack r2 to node 2 ({@code preferred_read_replica}, no records); node 2 serves consumers up to its own high
 * watermark (last stable offset under read_committed), with Kafka's errors for what it cannot serve; the Java
 * consumer and kcat with {@code client.rack=r2} read every record exactly once, in order, the Java consumer's bytes
 * coming from node 2; when node 2 is killed the consumer falls back to the leader and still reads everything.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FollowerFetchingTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOPIC = "racked";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final int VALUE_BYTES = 1_000;
    private static final int FIRST = 300;
    private static final int IN_TRANSACTION = 5;
    private static final int AFTER_KILL = 100;
    private static final int FETCH_VERSION = 12; // topic names, rack id, current leader epoch
    private static final int UNKNOWN_EPOCH = 1_000;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    @AfterEach
    void stopTheCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Compat({"Java 4.3.1: consumer with client.rack reads from the follower of its rack (KIP-392)",
            "kcat: consumer with client.rack reads from the follower of its rack (KIP-392)"})
    void aConsumerReadsFromTheFollowerOfItsRackAndFallsBackToTheLeaderWhenItDies() throws Exception {
        cluster = BrookCluster.combined(work, Map.of(
                        "replica.selector.class", "org.apache.kafka.common.replica.RackAwareReplicaSelector",
                        // a killed follower is fenced, and leaves the ISR, within seconds
                        "broker.session.timeout.ms", "4000", "broker.heartbeat.interval.ms", "1000",
                        "replica.lag.time.max.ms", "6000"),
                Map.of(1, Map.of("broker.rack", "r1"), 2, Map.of("broker.rack", "r2"),
                        3, Map.of("broker.rack", "r3")));
        logsOnFailure.watch(cluster);
        cluster.startAll();
        cluster.awaitActiveController(WAIT);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2, 3))))).all()
                .get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(TOPIC, 3, WAIT);
        assertEquals(1, cluster.leaderOf(TOPIC, 0, WAIT), "node 1 (r1), the first replica, leads");

        KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
        produce(producer, 0, FIRST);

        protocolOfAFollowerRead();
        readCommittedStopsAtTheFollowersLastStableOffset();
        int written = FIRST + IN_TRANSACTION;

        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(1), Map.of(
                ConsumerConfig.CLIENT_RACK_CONFIG, "r2", ConsumerConfig.CLIENT_ID_CONFIG, "rack-r2"));
        consumer.assign(List.of(TP));
        consumer.seekToBeginning(List.of(TP));
        List<String> read = new ArrayList<>();
        readUntil(consumer, read, written);
        long fromFollower = incomingBytes(consumer, 2);
        long fromLeader = incomingBytes(consumer, 1);
        long recordBytes = (long) written * VALUE_BYTES;
        assertTrue(fromFollower >= recordBytes, "the records came from node 2: " + fromFollower + " bytes from it, "
                + recordBytes + " bytes of values");
        assertTrue(fromLeader < recordBytes / 2, "not from the leader: " + fromLeader + " bytes from it");

        kcatReadsFromTheFollowerOfItsRack(written);

        cluster.kill(2);
        produce(producer, written, AFTER_KILL);
        long leaderBefore = incomingBytes(consumer, 1);
        readUntil(consumer, read, written + AFTER_KILL);
        assertTrue(incomingBytes(consumer, 1) - leaderBefore >= (long) AFTER_KILL * VALUE_BYTES,
                "after node 2's death the records came from the leader");
    }

    /** What node 2, a follower, answers a consumer, and how the leader points a consumer of rack r2 to it. */
    private void protocolOfAFollowerRead() throws Exception {
        try (RawConnection follower = new RawConnection(cluster.node(2).bootstrap());
             RawConnection leader = new RawConnection(cluster.node(1).bootstrap())) {
            // the follower learns the high watermark from its next fetch responses
            FetchResponseData.PartitionData served = cluster.await("node 2 serving all " + FIRST + " records", WAIT,
                    () -> {
                        FetchResponseData.PartitionData p = fetch(follower, FETCH_VERSION, "r2", 0, -1,
                                IsolationLevel.READ_UNCOMMITTED);
                        return p.errorCode() == 0 && p.highWatermark() == FIRST ? p : null;
                    });
            List<String> values = values(served);
            assertEquals(value(0), values.get(0));
            assertEquals(-1, served.preferredReadReplica());

            FetchResponseData.PartitionData pointed = fetch(leader, FETCH_VERSION, "r2", 0, -1,
                    IsolationLevel.READ_UNCOMMITTED);
            assertEquals(Errors.NONE.code(), pointed.errorCode());
            assertEquals(2, pointed.preferredReadReplica(), "the leader points rack r2 to node 2");
            assertEquals(0, pointed.records().sizeInBytes(), "and gives no records with it");
            assertEquals(FIRST, pointed.highWatermark());
            FetchResponseData.PartitionData own = fetch(leader, FETCH_VERSION, "r1", 0, -1,
                    IsolationLevel.READ_UNCOMMITTED);
            assertEquals(-1, own.preferredReadReplica(), "rack r1 is the leader's: served there");
            assertEquals(value(0), values(own).get(0));
            assertEquals(-1, fetch(leader, FETCH_VERSION, "", 0, -1, IsolationLevel.READ_UNCOMMITTED)
                    .preferredReadReplica(), "no rack: the leader");
            assertEquals(-1, fetch(leader, FETCH_VERSION, "r9", 0, -1, IsolationLevel.READ_UNCOMMITTED)
                    .preferredReadReplica(), "a rack without a replica: the leader");

            assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), fetch(follower, 10, "", 0, -1,
                    IsolationLevel.READ_UNCOMMITTED).errorCode(), "before v11 consumers read from leaders only");
            assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), fetch(follower, FETCH_VERSION, "r2", FIRST + 1_000, -1,
                    IsolationLevel.READ_UNCOMMITTED).errorCode(), "past the follower's log end");
            assertEquals(Errors.UNKNOWN_LEADER_EPOCH.code(), fetch(follower, FETCH_VERSION, "r2", 0, UNKNOWN_EPOCH,
                    IsolationLevel.READ_UNCOMMITTED).errorCode(), "a leader epoch the follower does not know yet");
            FetchResponseData.PartitionData atEnd = fetch(follower, FETCH_VERSION, "r2", FIRST, -1,
                    IsolationLevel.READ_UNCOMMITTED);
            assertEquals(Errors.NONE.code(), atEnd.errorCode());
            assertEquals(0, atEnd.records().sizeInBytes(), "nothing at the high watermark yet");

            ListOffsetsResponseData offsets = (ListOffsetsResponseData) follower.call(ApiKeys.LIST_OFFSETS,
                    (short) 7, new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(new ListOffsetsTopic()
                            .setName(TOPIC).setPartitions(List.of(new ListOffsetsPartition().setPartitionIndex(0)
                                    .setTimestamp(-1L))))));
            assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(),
                    offsets.topics().get(0).partitions().get(0).errorCode(), "ListOffsets stays with the leader");
        }
    }

    /**
     * An open transaction holds node 2's last stable offset at its first record: a read_committed consumer gets
     * nothing from there until the commit marker reaches the follower's high watermark.
     */
    private void readCommittedStopsAtTheFollowersLastStableOffset() throws Exception {
        KafkaProducer<byte[], byte[]> transactional = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "racked-txn", ProducerConfig.ACKS_CONFIG, "all"));
        transactional.initTransactions();
        transactional.beginTransaction();
        for (int i = FIRST; i < FIRST + IN_TRANSACTION; i++) {
            transactional.send(new ProducerRecord<>(TOPIC, 0, null, value(i).getBytes(StandardCharsets.UTF_8)));
        }
        transactional.flush();
        try (RawConnection follower = new RawConnection(cluster.node(2).bootstrap())) {
            FetchResponseData.PartitionData open = cluster.await("node 2's high watermark past the open "
                    + "transaction", WAIT, () -> {
                        FetchResponseData.PartitionData p = fetch(follower, FETCH_VERSION, "r2", FIRST, -1,
                                IsolationLevel.READ_COMMITTED);
                        return p.errorCode() == 0 && p.highWatermark() == FIRST + IN_TRANSACTION ? p : null;
                    });
            assertEquals(FIRST, open.lastStableOffset());
            assertEquals(0, open.records().sizeInBytes(), "read_committed stops at the last stable offset");
            assertEquals(IN_TRANSACTION, values(fetch(follower, FETCH_VERSION, "r2", FIRST, -1,
                    IsolationLevel.READ_UNCOMMITTED)).size(), "read_uncommitted reads to the high watermark");
            transactional.commitTransaction();
            FetchResponseData.PartitionData committed = cluster.await("the commit on node 2", WAIT, () -> {
                FetchResponseData.PartitionData p = fetch(follower, FETCH_VERSION, "r2", FIRST, -1,
                        IsolationLevel.READ_COMMITTED);
                return p.errorCode() == 0 && p.lastStableOffset() > FIRST + IN_TRANSACTION ? p : null;
            });
            assertEquals(IN_TRANSACTION, values(committed).size());
        }
        transactional.close(Duration.ofSeconds(10));
    }

    /** kcat (librdkafka) with client.rack=r2 is pointed to node 2 and reads every record once, in order. */
    private void kcatReadsFromTheFollowerOfItsRack(int written) throws Exception {
        if (!Processes.kcatAvailable()) {
            return;
        }
        Processes.Output out = Processes.exec(new ProcessBuilder("kcat", "-b", cluster.node(1).bootstrap(), "-C",
                "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-f", "%s\\n", "-X", "client.rack=r2",
                "-X", "debug=topic,fetch"), null, Duration.ofSeconds(60));
        assertEquals(0, out.exitCode(), out.all());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < written; i++) {
            expected.add(value(i));
        }
        assertEquals(expected, out.stdout().lines().toList(), "kcat read every record once, in order");
        assertTrue(out.stderr().contains("migrating from broker 1 to 2 (leader is 1): preferred replica updated"),
                "the leader pointed librdkafka to node 2:\n" + out.stderr());
        // librdkafka's fetch debug: "[thrd:<host:port>/2]: <host:port>/2: Enqueue 306 message(s) ..." per response
        Matcher enqueued = Pattern.compile("/(\\d+): Enqueue (\\d+) message").matcher(out.stderr());
        Map<Integer, Integer> fetchedFrom = new java.util.TreeMap<>();
        while (enqueued.find()) {
            fetchedFrom.merge(Integer.parseInt(enqueued.group(1)), Integer.parseInt(enqueued.group(2)), Integer::sum);
        }
        assertTrue(fetchedFrom.getOrDefault(2, 0) >= written && fetchedFrom.getOrDefault(1, 0) == 0,
                "kcat fetched the records from node 2, none from the leader: " + fetchedFrom);
    }

    private static void produce(KafkaProducer<byte[], byte[]> producer, int from, int count) throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            sent.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, value(i).getBytes(StandardCharsets.UTF_8))));
        }
        for (java.util.concurrent.Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    /** Record {@code i}'s value: its number, padded to {@link #VALUE_BYTES}. */
    private static String value(int i) {
        String head = String.format("record-%05d-", i);
        return head + "x".repeat(VALUE_BYTES - head.length());
    }

    /** Polls until {@code read} holds {@code count} values; every value must be the next one expected. */
    private void readUntil(KafkaConsumer<byte[], byte[]> consumer, List<String> read, int count) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (read.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                String v = new String(r.value(), StandardCharsets.UTF_8);
                assertEquals(value(read.size()), v, "record at offset " + r.offset() + " (exactly once, in order)");
                read.add(v);
            }
        }
        assertEquals(count, read.size(), "records read\n" + cluster.logTails());
    }

    /** The bytes the consumer received from broker {@code node} ({@code consumer-node-metrics}). */
    private static long incomingBytes(KafkaConsumer<byte[], byte[]> consumer, int node) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName name = e.getKey();
            if (name.name().equals("incoming-byte-total") && name.group().equals("consumer-node-metrics")
                    && ("node-" + node).equals(name.tags().get("node-id"))) {
                return (long) ((Double) e.getValue().metricValue()).doubleValue();
            }
        }
        return 0;
    }

    private static FetchResponseData.PartitionData fetch(RawConnection c, int version, String rack, long offset,
                                                         int leaderEpoch, IsolationLevel isolation) throws Exception {
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                .setMaxBytes(1 << 20).setIsolationLevel(isolation.id()).setSessionId(0).setSessionEpoch(-1)
                .setTopics(List.of(new FetchTopic().setTopic(TOPIC).setPartitions(List.of(new FetchPartition()
                        .setPartition(0).setFetchOffset(offset).setCurrentLeaderEpoch(leaderEpoch)
                        .setPartitionMaxBytes(1 << 20)))));
        if (version >= 11) {
            request.setRackId(rack);
        }
        FetchResponseData response = (FetchResponseData) c.call(ApiKeys.FETCH, (short) version, request);
        assertEquals(Errors.NONE.code(), response.errorCode(), response.toString());
        return response.responses().get(0).partitions().get(0);
    }

    /** The values of the data records of a fetched partition (control records skipped). */
    private static List<String> values(FetchResponseData.PartitionData p) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : ((MemoryRecords) p.records()).batches()) {
            if (batch.isControlBatch()) {
                continue;
            }
            for (Record r : batch) {
                values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
            }
        }
        return values;
    }
}
