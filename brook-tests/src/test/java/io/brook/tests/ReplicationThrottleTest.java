package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dynamic broker configs and the follower replication throttle (KIP-73) on three Brook processes, driven by
 * Kafka's own {@code kafka-configs} tool: a cluster-wide {@code follower.replication.throttled.rate} and a topic's
 * {@code follower.replication.throttled.replicas} slow a restarted follower's catch-up to about the rate; removing
 * the rate lets it catch up at once. Every node describes the dynamic values with Kafka's sources, a static config
 * is refused, and a per-broker value survives its broker's restart (it is in the metadata log). The leader's side
 * ({@code leader.replication.throttled.rate} / {@code .replicas}) holds a catching-up follower the same way.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicationThrottleTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    private static final String TOPIC = "throttled";
    private static final String CONFIGS = "kafka.admin.ConfigCommand";
    /** The follower's throttle: 3 MB take about 12 s at this rate; unthrottled, well under a second. */
    private static final long RATE = 250_000;
    private static final int RECORD_BYTES = 1000;
    private static final int RECORDS = 3000;
    /** How long the throttled follower is watched: it may copy at most about RATE bytes per second of it. */
    private static final long WATCH_MS = 5_000;

    /** The fork's replication cluster (shared with other classes), whole at the start of each test. */
    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-configs --entity-type brokers (per broker and --entity-default)"})
    void aThrottledFollowerCatchesUpAtTheRateAndAtOnceWhenTheThrottleGoes() throws Exception {
        // replication.quota.window.num=2 there: the measured rate reacts within seconds
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        int controller = cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(TOPIC, 3, CATCH_UP);
        int leader = cluster.leaderOf(TOPIC, 0, ELECTION);
        // the follower to stop is not the active controller either: a controller failover is not what is tested
        int follower = cluster.nodeIds().stream().filter(id -> id != leader && id != controller).findFirst()
                .orElseThrow();
        int other = cluster.nodeIds().stream().filter(id -> id != leader && id != follower).findFirst().orElseThrow();

        // a per-broker value on the follower (sent to it by the tool), kept across its restart
        configs(cluster.bootstrap(follower), "--entity-type", "brokers", "--entity-name", String.valueOf(follower),
                "--alter", "--add-config", "leader.replication.throttled.rate=123456789");
        // a static config and an unknown one are refused as Kafka refuses them
        ExecutionException refused = assertThrows(ExecutionException.class, () -> cluster.admin(
                cluster.bootstrap(leader)).incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.BROKER,
                String.valueOf(leader)), List.of(new AlterConfigOp(new ConfigEntry("num.io.threads", "4"),
                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(InvalidRequestException.class, refused.getCause());
        assertTrue(refused.getCause().getMessage().contains("Cannot update these configs dynamically: "
                + "[num.io.threads]"), refused.getCause().getMessage());

        cluster.stop(follower); // controlled shutdown: out of the ISR at once
        configs(cluster.bootstrap(leader, other), "--entity-type", "brokers", "--entity-default", "--alter",
                "--add-config", "follower.replication.throttled.rate=" + RATE);
        configs(cluster.bootstrap(leader, other), "--entity-type", "topics", "--entity-name", TOPIC, "--alter",
                "--add-config", "follower.replication.throttled.replicas=0:" + follower);
        String defaults = configs(cluster.bootstrap(leader, other), "--entity-type", "brokers", "--entity-default",
                "--describe");
        assertTrue(defaults.contains("follower.replication.throttled.rate=" + RATE), defaults);
        for (int id : List.of(leader, other)) {
            assertSource(id, "follower.replication.throttled.rate", String.valueOf(RATE),
                    ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            assertSource(id, "leader.replication.throttled.rate", String.valueOf(Long.MAX_VALUE),
                    ConfigEntry.ConfigSource.DEFAULT_CONFIG); // the follower's own value is its own
        }

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(leader, other),
                Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, new byte[RECORD_BYTES]));
            }
            producer.flush();
        }
        long leaderBytes = replicaBytes(admin, leader);
        assertTrue(leaderBytes >= (long) RECORDS * RECORD_BYTES, "the leader holds " + leaderBytes);

        cluster.start(follower);
        assertSource(follower, "leader.replication.throttled.rate", "123456789",
                ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
        assertSource(follower, "follower.replication.throttled.rate", String.valueOf(RATE),
                ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
        // throttled: it copies, but at about the rate (loose: 1.5 x the rate, with 2 s for a burst and the start)
        long from = System.nanoTime();
        long copied = cluster.await("the throttled follower copying", CATCH_UP, () -> {
            long b = replicaBytes(admin, follower);
            return b > 0 ? b : null;
        });
        Thread.sleep(WATCH_MS);
        copied = replicaBytes(admin, follower);
        long watchedMs = (System.nanoTime() - from) / 1_000_000;
        long allowed = RATE * 3 / 2 * (watchedMs + 2_000) / 1000; // 1.5 x the rate, over 2 s more
        assertTrue(copied > 0 && copied <= allowed, "the throttled follower copied " + copied + " of " + leaderBytes
                + " bytes in " + watchedMs + " ms; at most " + allowed + " allowed");
        assertTrue(copied < leaderBytes, "caught up despite the throttle: " + copied);
        assertEquals(2, admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC)
                .partitions().get(0).isr().size(), "still out of the ISR");

        // the throttle goes: it catches up and joins the ISR
        configs(cluster.bootstrap(leader, other), "--entity-type", "brokers", "--entity-default", "--alter",
                "--delete-config", "follower.replication.throttled.rate");
        long unthrottled = System.nanoTime();
        cluster.awaitInSync(TOPIC, 3, CATCH_UP);
        long catchUpMs = (System.nanoTime() - unthrottled) / 1_000_000;
        assertSource(follower, "follower.replication.throttled.rate", String.valueOf(Long.MAX_VALUE),
                ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        System.out.printf("throttled at %d B/s: %d of %d bytes copied in %d ms; unthrottled, in sync %d ms later%n",
                RATE, copied, leaderBytes, watchedMs, catchUpMs);
    }

    /**
     * The leader's side of the same throttle: the leader's {@code leader.replication.throttled.rate} (set on that
     * broker, so no value of an earlier test wins over it) and the topic's {@code leader.replication.throttled.replicas}
     * naming the leader's replica hold back what the leader sends a catching-up follower, which is not in the ISR;
     * removing the rate lets it catch up and rejoin the ISR.
     */
    @Test
    void aLeaderThrottledFollowerCatchesUpAtTheLeadersRateAndAtOnceWhenTheThrottleGoes() throws Exception {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        int controller = cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin();
        String topic = "leader-throttled";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(topic, 3, CATCH_UP);
        int leader = cluster.leaderOf(topic, 0, ELECTION);
        int follower = cluster.nodeIds().stream().filter(id -> id != leader && id != controller).findFirst()
                .orElseThrow();
        int other = cluster.nodeIds().stream().filter(id -> id != leader && id != follower).findFirst().orElseThrow();

        cluster.stop(follower); // out of the ISR at once
        configs(cluster.bootstrap(leader, other), "--entity-type", "brokers", "--entity-name", String.valueOf(leader),
                "--alter", "--add-config", "leader.replication.throttled.rate=" + RATE);
        configs(cluster.bootstrap(leader, other), "--entity-type", "topics", "--entity-name", topic, "--alter",
                "--add-config", "leader.replication.throttled.replicas=0:" + leader);
        long leaderBytes;
        long copied;
        long watchedMs;
        try {
            assertSource(leader, "leader.replication.throttled.rate", String.valueOf(RATE),
                    ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
            try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(leader, other),
                    Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, new byte[RECORD_BYTES]));
                }
                producer.flush();
            }
            leaderBytes = replicaBytes(admin, topic, leader);
            assertTrue(leaderBytes >= (long) RECORDS * RECORD_BYTES, "the leader holds " + leaderBytes);

            cluster.start(follower);
            long from = System.nanoTime();
            cluster.await("the follower copying from its throttled leader", CATCH_UP, () -> {
                long b = replicaBytes(admin, topic, follower);
                return b > 0 ? b : null;
            });
            Thread.sleep(WATCH_MS);
            copied = replicaBytes(admin, topic, follower);
            watchedMs = (System.nanoTime() - from) / 1_000_000;
            long allowed = RATE * 3 / 2 * (watchedMs + 2_000) / 1000; // 1.5 x the rate, over 2 s more
            assertTrue(copied > 0 && copied <= allowed, "the follower copied " + copied + " of " + leaderBytes
                    + " bytes from its throttled leader in " + watchedMs + " ms; at most " + allowed + " allowed");
            assertEquals(2, admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().get(0).isr().size(), "still out of the ISR");
        } finally { // the shared cluster's next tests run unthrottled whatever happened here
            configs(cluster.bootstrap(leader, other), "--entity-type", "brokers", "--entity-name",
                    String.valueOf(leader), "--alter", "--delete-config", "leader.replication.throttled.rate");
        }
        long unthrottled = System.nanoTime();
        cluster.awaitInSync(topic, 3, CATCH_UP);
        System.out.printf("leader-throttled at %d B/s: %d of %d bytes copied in %d ms; unthrottled, in sync %d ms "
                + "later%n", RATE, copied, leaderBytes, watchedMs, (System.nanoTime() - unthrottled) / 1_000_000);
    }

    /** Runs Kafka's kafka-configs against {@code bootstrap}; returns its output. */
    private static String configs(String bootstrap, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-server";
        all[1] = bootstrap;
        System.arraycopy(args, 0, all, 2, args.length);
        return KafkaAdminToolsTest.tool(CONFIGS, all);
    }

    /** Broker {@code id} describes {@code name} with {@code value} from {@code source} (asked of that broker). */
    private void assertSource(int id, String name, String value, ConfigEntry.ConfigSource source) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(id));
        Config config = cluster.admin(cluster.bootstrap(id)).describeConfigs(List.of(resource)).all()
                .get(30, TimeUnit.SECONDS).get(resource);
        ConfigEntry entry = config.get(name);
        assertEquals(value, entry.value(), "broker " + id + ": " + entry);
        assertEquals(source, entry.source(), "broker " + id + ": " + entry);
        assertTrue(!entry.isReadOnly(), "a dynamic config is not read-only: " + entry);
    }

    /** The size of broker {@code id}'s replica of the topic's partition (DescribeLogDirs). */
    private static long replicaBytes(Admin admin, int id) throws Exception {
        return replicaBytes(admin, TOPIC, id);
    }

    /** The size of broker {@code id}'s replica of partition 0 of {@code topic} (DescribeLogDirs). */
    private static long replicaBytes(Admin admin, String topic, int id) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        return admin.describeLogDirs(List.of(id)).allDescriptions().get(30, TimeUnit.SECONDS).get(id).values()
                .stream().map(dir -> dir.replicaInfos().get(tp)).filter(r -> r != null)
                .mapToLong(ReplicaInfo::size).sum();
    }
}
