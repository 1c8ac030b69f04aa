package io.brook.tests;

import io.brook.cli.BrookCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partition administration against three Brook processes, judged by Kafka's own tools: while the preferred leader
 * of a replicated partition is dead, {@code kafka-topics.sh --describe --under-replicated-partitions} and
 * {@code brook topics describe --under-replicated-partitions} list the partition (and the unavailable-partitions
 * filters do not), {@code kafka-leader-election.sh} refuses the preferred election; once the broker is back in the
 * ISR the tool moves leadership back to it, and {@code Admin.electLeaders} then finds nothing to do.
 * {@code auto.leader.rebalance.enable} is off there so that only the tool can move the leader; with it on (checked
 * every second) the active controller moves leadership back to the restarted preferred replica by itself.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LeaderElectionToolTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    private static final String TOPIC = "elected";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final String LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand";
    private static final String TOPICS = "org.apache.kafka.tools.TopicCommand";

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
    @Compat({"Kafka tools 4.3.1: kafka-leader-election", "Kafka tools 4.3.1: kafka-topics --under-replicated-partitions"})
    void thePreferredLeaderIsElectedBackByTheToolAndUnderReplicationIsVisibleMeanwhile() throws Exception {
        cluster = BrookCluster.combined(work, Map.of("replica.lag.time.max.ms", "6000",
                "auto.leader.rebalance.enable", "false"));
        logsOnFailure.watch(cluster);
        cluster.startAll();
        cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        TopicPartitionInfo created = awaitPartition(admin, "three in-sync replicas led by the first", CATCH_UP,
                p -> p.isr().size() == 3 && p.leader() != null && p.leader().id() == p.replicas().get(0).id());
        int preferred = created.replicas().get(0).id();

        cluster.kill(preferred);
        String live = cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray());
        Admin survivors = cluster.admin(live);
        awaitPartition(survivors, "another leader, the dead broker out of the ISR", FAILOVER,
                p -> p.leader() != null && p.leader().id() != preferred && p.isr().size() == 2);

        // DescribeTopicPartitions (what Kafka 4 admin clients describe topics with) names the offline replica,
        // as Metadata does (asked until the node asked has the fencing: the leader above may have come from the
        // other survivor, whose image can be a moment ahead)
        try (RawConnection raw = new RawConnection(cluster.node(cluster.liveNodes().get(0)).bootstrap())) {
            DescribeTopicPartitionsRequestData request = new DescribeTopicPartitionsRequestData()
                    .setResponsePartitionLimit(100);
            request.topics().add(new DescribeTopicPartitionsRequestData.TopicRequest().setName(TOPIC));
            List<Integer> offline = new ArrayList<>();
            cluster.await("the killed broker named as an offline replica", FAILOVER, () -> {
                DescribeTopicPartitionsResponseData response = (DescribeTopicPartitionsResponseData) raw.call(
                        ApiKeys.DESCRIBE_TOPIC_PARTITIONS, (short) 0, request);
                offline.clear();
                offline.addAll(response.topics().find(TOPIC).partitions().get(0).offlineReplicas());
                return !offline.isEmpty();
            });
            assertEquals(List.of(preferred), offline);
        }
        String under = KafkaAdminToolsTest.tool(TOPICS, "--bootstrap-server", live, "--describe",
                "--under-replicated-partitions");
        assertTrue(under.contains("Topic: " + TOPIC) && under.contains("Partition: 0"), under);
        String unavailable = KafkaAdminToolsTest.tool(TOPICS, "--bootstrap-server", live, "--describe",
                "--unavailable-partitions");
        assertFalse(unavailable.contains("Topic: " + TOPIC), "it has a leader: " + unavailable);
        String brookUnder = brook("topics", "describe", "--under-replicated-partitions", "--bootstrap-server=" + live);
        assertTrue(brookUnder.contains("Topic: " + TOPIC) && brookUnder.contains("Offline: " + preferred), brookUnder);
        assertFalse(brook("topics", "describe", "--unavailable-partitions", "--bootstrap-server=" + live)
                .contains("Topic: " + TOPIC));
        int[] health = clusterHealth(live);
        assertTrue(health[0] == 0 && health[1] >= 1, "brook cluster: offline " + health[0] + ", under-replicated "
                + health[1]);

        Processes.Output refused = Processes.exec(KafkaAdminToolsTest.toolCommand(LEADER_ELECTION,
                "--bootstrap-server", live,
                "--election-type", "preferred", "--topic", TOPIC, "--partition", "0"), null, Duration.ofSeconds(120));
        assertNotEquals(0, refused.exitCode(), "the preferred replica is dead: " + refused.all());
        assertTrue(refused.all().contains(TOPIC + "-0"), refused.all());

        cluster.start(preferred);
        TopicPartitionInfo back = awaitPartition(admin, "the preferred replica back in the ISR", CATCH_UP,
                p -> p.isr().stream().map(Node::id).toList().contains(preferred) && p.isr().size() == 3);
        assertNotEquals(preferred, back.leader().id(), "nothing but the tool moves the leader: " + back);
        assertFalse(brook("topics", "describe", "--under-replicated-partitions",
                "--bootstrap-server=" + cluster.bootstrap()).contains("Topic: " + TOPIC), "in sync again");

        String elected = KafkaAdminToolsTest.tool(LEADER_ELECTION, "--bootstrap-server", cluster.bootstrap(),
                "--election-type", "preferred", "--topic", TOPIC, "--partition", "0");
        assertTrue(elected.contains("Successfully completed leader election (PREFERRED) for partitions " + TOPIC
                + "-0"), elected);
        awaitPartition(admin, "the preferred replica leading again", FAILOVER,
                p -> p.leader() != null && p.leader().id() == preferred);

        // the Admin API: every partition (none needs it now), then the partition by name
        Map<TopicPartition, Optional<Throwable>> all = admin.electLeaders(ElectionType.PREFERRED, null).partitions()
                .get(30, TimeUnit.SECONDS);
        assertFalse(all.containsKey(TP), "not needed: left out of the answer for every partition: " + all);
        ExecutionException notNeeded = assertThrows(ExecutionException.class, () -> admin.electLeaders(
                ElectionType.PREFERRED, Set.of(TP)).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(ElectionNotNeededException.class, notNeeded.getCause());
    }

    @Test
    void theActiveControllerMovesLeadershipBackToTheRestartedPreferredReplicaByItself() throws Exception {
        // checked every second; one partition of one preferred broker led elsewhere is 100% > 10%
        cluster = BrookCluster.combined(work, Map.of("replica.lag.time.max.ms", "6000",
                "leader.imbalance.check.interval.seconds", "1"));
        logsOnFailure.watch(cluster);
        cluster.startAll();
        cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        TopicPartitionInfo created = awaitPartition(admin, "three in-sync replicas led by the first", CATCH_UP,
                p -> p.isr().size() == 3 && p.leader() != null && p.leader().id() == p.replicas().get(0).id());
        int preferred = created.replicas().get(0).id();

        cluster.kill(preferred);
        Admin survivors = cluster.admin(cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray()));
        awaitPartition(survivors, "another leader", FAILOVER,
                p -> p.leader() != null && p.leader().id() != preferred);
        cluster.start(preferred);
        TopicPartitionInfo back = awaitPartition(admin, "the preferred replica leading again, by the rebalance",
                CATCH_UP, p -> p.leader() != null && p.leader().id() == preferred);
        assertEquals(3, back.isr().size(), "only an in-sync preferred replica is made leader: " + back);
    }

    /**
     * Unclean elections, with the last in-sync replica stopped and only an out-of-sync one back (three controllers,
     * brokers 4 and 5): the partitions stay leaderless while {@code unclean.leader.election.enable} is false (the
     * default); Kafka's {@code kafka-leader-election.sh --election-type unclean} elects the out-of-sync replica for one
     * partition, {@code brook partitions elect-leaders --type unclean} for another, and the controller elects it by
     * itself for a topic that sets {@code unclean.leader.election.enable=true}. What only the old leader had is gone
     * once it is back (truncated to the new leader's log), what both had is kept: the trade Kafka's unclean election
     * makes.
     */
    @Test
    @Compat({"Kafka tools 4.3.1: kafka-leader-election --election-type unclean"})
    void anOutOfSyncReplicaLeadsOnlyThroughAnUncleanElection() throws Exception {
        cluster = BrookCluster.separated(work, 2, Map.of("replica.lag.time.max.ms", "6000",
                "auto.leader.rebalance.enable", "false"));
        logsOnFailure.watch(cluster);
        cluster.startAll();
        cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin(cluster.bootstrap(4, 5));
        admin.createTopics(List.of(new NewTopic("forced", Map.of(0, List.of(4, 5), 1, List.of(4, 5))),
                new NewTopic("allowed", Map.of(0, List.of(4, 5))).configs(Map.of("unclean.leader.election.enable",
                        "true")))).all().get(30, TimeUnit.SECONDS);
        List<TopicPartition> all = List.of(new TopicPartition("forced", 0), new TopicPartition("forced", 1),
                new TopicPartition("allowed", 0));
        awaitPartitions(admin, all, "both replicas in sync, 4 leading", CATCH_UP,
                p -> p.isr().size() == 2 && p.leader() != null && p.leader().id() == 4);
        int kept = 100;
        produce(cluster.bootstrap(4, 5), all, kept);
        cluster.kill(5);
        awaitPartitions(admin, all, "5 out of the ISR", FAILOVER, p -> ids(p.isr()).equals(List.of(4)));
        produce(cluster.bootstrap(4), all, 50); // acknowledged by 4 alone (min.insync.replicas 1)
        cluster.stop(4);
        cluster.start(5);
        awaitPartitions(admin, List.of(all.get(2)), "5 elected by the controller, the topic allowing it", FAILOVER,
                p -> p.leader() != null && p.leader().id() == 5);
        awaitPartitions(admin, all.subList(0, 2), "no leader: 5 is not in sync", FAILOVER,
                p -> p.leader() == null || p.leader().id() < 0);

        String bootstrap = cluster.bootstrap(4, 5);
        int[] health = clusterHealth(bootstrap);
        assertTrue(health[0] >= 2 && health[1] >= 1, "brook cluster: offline " + health[0] + " (forced-0 and -1), "
                + "under-replicated " + health[1] + " (allowed-0)");
        Processes.Output unclean = Processes.exec(KafkaAdminToolsTest.toolCommand(LEADER_ELECTION,
                "--bootstrap-server", bootstrap, "--election-type", "unclean", "--topic", "forced", "--partition", "0"),
                null, Duration.ofSeconds(120));
        assertTrue(unclean.exitCode() == 0 && unclean.all().contains(
                "Successfully completed leader election (UNCLEAN) for partitions forced-0"), unclean.all());
        String elected = brook("partitions", "elect-leaders", "--type", "unclean", "--topic", "forced",
                "--partition", "1", "--bootstrap-server=" + bootstrap);
        assertTrue(elected.contains("Elected") && elected.contains("forced-1"), elected);
        awaitPartitions(admin, all, "5 leading all three", FAILOVER, p -> p.leader() != null && p.leader().id() == 5);

        cluster.start(4);
        awaitPartitions(admin, all, "4 back in sync", CATCH_UP, p -> p.isr().size() == 2);
        try (var consumer = cluster.consumer(bootstrap, Map.of())) {
            Map<TopicPartition, Long> ends = consumer.endOffsets(all, Duration.ofSeconds(30));
            for (TopicPartition tp : all) {
                assertEquals(kept, ends.get(tp), tp + ": the records both replicas had, not the 50 only 4 had");
            }
        }
    }

    /** {@code brook cluster}'s counts: {offline partitions, under-replicated partitions}. */
    private static int[] clusterHealth(String bootstrap) {
        String view = brook("cluster", "--bootstrap-server=" + bootstrap);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Offline: (\\d+)\tUnder-replicated: (\\d+)")
                .matcher(view);
        assertTrue(m.find(), view);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private static void produce(String bootstrap, List<TopicPartition> partitions, int each) throws Exception {
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(Map.of(
                "bootstrap.servers", bootstrap, "acks", "all"),
                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                for (int i = 0; i < each; i++) {
                    sent.add(producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(tp.topic(),
                            tp.partition(), null, ("r" + i).getBytes())));
                }
            }
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private void awaitPartitions(Admin admin, List<TopicPartition> partitions, String what, Duration timeout,
                                 Predicate<TopicPartitionInfo> check) throws Exception {
        List<TopicPartitionInfo> seen = new ArrayList<>();
        Set<String> topics = new java.util.TreeSet<>();
        partitions.forEach(tp -> topics.add(tp.topic()));
        cluster.await(partitions + ": " + what, timeout, () -> {
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
                    .get(10, TimeUnit.SECONDS);
            seen.clear();
            for (TopicPartition tp : partitions) {
                seen.add(described.get(tp.topic()).partitions().get(tp.partition()));
            }
            return seen.stream().allMatch(check) ? true : null;
        }, () -> "last seen " + seen);
    }

    /** {@code bin/brook} in this JVM; fails unless it exits with 0. Returns what it printed. */
    private static String brook(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertEquals(0, code, "brook " + String.join(" ", args) + ": " + out + err);
        return out.toString();
    }

    private TopicPartitionInfo awaitPartition(Admin admin, String what, Duration timeout,
                                              Predicate<TopicPartitionInfo> check) throws Exception {
        TopicPartitionInfo[] last = new TopicPartitionInfo[1];
        return cluster.await(what, timeout, () -> {
            TopicDescription d = admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(TOPIC);
            last[0] = d.partitions().get(0);
            return check.test(last[0]) ? last[0] : null;
        }, () -> "last seen: " + last[0]);
    }
}
