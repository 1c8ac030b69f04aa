package io.brook.tests;

import io.brook.tests.StreamsExactlyOnceTest.Target;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Kafka Streams 4.3.1 with exactly_once_v2 across the death of a partition leader: the application of
 * {@link StreamsExactlyOnceTest} (a word count through a repartition topic and a changelog, a stream-table join) runs
 * against three Brook processes, every topic with three replicas and {@code min.insync.replicas=2} (its internal
 * topics take the cluster's default of three); half-way through the input the leader of an output partition is
 * SIGKILLed, a follower from the ISR takes over while the application keeps running, and the killed node returns.
 * The output read with read_committed holds every word's count updates 1, 2, ... n exactly once and in order, and
 * every order joined exactly once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StreamsFailoverTest {
    /** Fencing a killed broker takes its session timeout; a loaded machine adds to it. */
    private static final Duration FAILOVER = Duration.ofSeconds(90);

    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    @TempDir
    File stateDir;

    @Test
    void countsAndJoinsAreExactAcrossTheKillOfAnOutputPartitionsLeader() throws Exception {
        BrookCluster cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        StreamsExactlyOnceTest.runKeepingCount(target(cluster), stateDir, app -> {
            int leader = cluster.leaderOf("counts", 0, FAILOVER);
            cluster.kill(leader);
            int next = cluster.leaderOf("counts", 0, FAILOVER); // a live one: a follower took over
            System.out.printf("Streams failover: node %d (leader of counts-0) SIGKILLed, node %d leads it%n",
                    leader, next);
            cluster.start(leader);
            cluster.awaitInSync("counts", 3, FAILOVER);
            return app;
        });
    }

    private static Target target(BrookCluster cluster) {
        return new Target() {
            public String bootstrap() {
                return cluster.bootstrap();
            }

            public Admin admin() {
                return cluster.admin();
            }

            public KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
                return cluster.producer(cluster.bootstrap(), extra);
            }

            public KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
                return cluster.consumer(cluster.bootstrap(), extra);
            }

            public short replicationFactor() {
                return 3;
            }
        };
    }
}
