package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.record.MetadataRecords;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KIP-966's promise, on random schedules with eligible leader replicas on and {@code min.insync.replicas=2}: writes
 * committed (only while the ISR is at least the minimum, R10), ISR shrinks and expansions from the leader, fences,
 * unfences, controlled shutdowns, and restarts after a clean or an unclean shutdown, each decision applied as the
 * metadata log would. A model tracks, per partition, the brokers known to hold every committed record: those in the
 * ISR when a write committed, those the leader added back to the ISR (caught up with it), minus any that restarted
 * uncleanly. After every step, for every partition:
 * <ul>
 *   <li>every ISR and ELR member holds every committed record, and so does a leader elected cleanly;</li>
 *   <li>a leader that may not (RECOVERING) was elected only as the last known leader (ISR and ELR empty) or, on the
 *   topic that allows it, uncleanly; the ISR is then the leader alone;</li>
 *   <li>the ELR is empty while the ISR is at least the minimum, and never shares a member with the ISR;</li>
 *   <li>the leader is -1 or a usable ISR member; the leader epoch moves exactly with the leader.</li>
 * </ul>
 */
class ElrPropertyTest {
    private static final int BROKERS = 4;
    private static final int PARTITIONS = 3;
    private static final int MIN_ISR = 2;

    sealed interface Op {
    }

    /** A write committed to {@code partition} of topic {@code topic}, if its ISR allows one. */
    record Commit(int topic, int partition) implements Op {
    }

    /** The leader asks for the ISR of the replicas in {@code mask} (itself always included). */
    record Alter(int topic, int partition, int mask) implements Op {
    }

    record Fence(int broker) implements Op {
    }

    record Unfence(int broker) implements Op {
    }

    record ShutDown(int broker) implements Op {
    }

    /** A new incarnation, after a clean shutdown (it names its last epoch) or a crash. */
    record Restart(int broker, boolean clean) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> broker = Arbitraries.integers().between(1, BROKERS);
        Arbitrary<Integer> topic = Arbitraries.integers().between(0, 1);
        Arbitrary<Integer> partition = Arbitraries.integers().between(0, PARTITIONS - 1);
        Arbitrary<Op> commit = Combinators.combine(topic, partition).as(Commit::new);
        Arbitrary<Op> alter = Combinators.combine(topic, partition, Arbitraries.integers().between(0, 7))
                .as(Alter::new);
        Arbitrary<Op> restart = Combinators.combine(broker, Arbitraries.of(true, false)).as(Restart::new);
        return Arbitraries.frequencyOf(
                Tuple.of(6, commit),
                Tuple.of(6, alter),
                Tuple.of(3, broker.map(Fence::new)),
                Tuple.of(4, broker.map(Unfence::new)),
                Tuple.of(1, broker.map(ShutDown::new)),
                Tuple.of(2, restart))
                .list().ofMinSize(20).ofMaxSize(100);
    }

    @Property(tries = 500)
    void everyEligibleOrCleanlyElectedReplicaHoldsEveryCommittedRecord(@ForAll("ops") List<Op> ops) {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        ClusterHarness h = new ClusterHarness();
        for (int id = 1; id <= BROKERS; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        Uuid[] topics = {new Uuid(1, 1), new Uuid(2, 2)};
        h.apply(List.of(MetadataRecords.featureLevel(MetadataImage.ELR_FEATURE, (short) 1),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "min.insync.replicas",
                        String.valueOf(MIN_ISR)),
                MetadataRecords.topic("clean", topics[0]), MetadataRecords.topic("unclean", topics[1]),
                MetadataRecords.topicConfig("unclean", "unclean.leader.election.enable", "true")));
        Map<String, Set<Integer>> holdAll = new HashMap<>();
        for (Uuid topic : topics) {
            for (int p = 0; p < PARTITIONS; p++) {
                List<Integer> replicas = List.of(1 + p % BROKERS, 1 + (p + 1) % BROKERS, 1 + (p + 2) % BROKERS);
                h.apply(List.of(MetadataRecords.partition(topic, p, replicas, replicas, replicas.get(0), 0, 0)));
                holdAll.put(topic + "-" + p, new HashSet<>(replicas));
            }
        }
        int commits = 0;
        int elrElections = 0;
        int lastKnownElections = 0;
        long now = 1;
        for (Op op : ops) {
            MetadataImage before = h.image;
            now++;
            if (op instanceof Commit c) {
                PartitionImage p = h.partition(topics[c.topic()], c.partition());
                if (p.leader() >= 0 && p.isr().size() >= MIN_ISR) { // R10: the high watermark moves only then
                    holdAll.put(topics[c.topic()] + "-" + c.partition(), new HashSet<>(p.isr()));
                    commits++;
                }
            } else if (op instanceof Alter a) {
                alter(h, topics[a.topic()], a, holdAll.get(topics[a.topic()] + "-" + a.partition()));
            } else if (op instanceof Fence f) {
                if (!h.cluster.broker(f.broker()).fenced()) {
                    beat(control, h, f.broker(), true, false, now);
                }
            } else if (op instanceof Unfence u) {
                if (!h.cluster.broker(u.broker()).inControlledShutdown()) {
                    beat(control, h, u.broker(), false, false, now);
                }
            } else if (op instanceof ShutDown s) {
                beat(control, h, s.broker(), false, true, now);
            } else if (op instanceof Restart r) {
                long epoch = h.cluster.broker(r.broker()).epoch();
                h.apply(control.register(h.cluster, h.image, ClusterHarness.registration(r.broker(),
                        Uuid.randomUuid(), null).setPreviousBrokerEpoch(r.clean() ? epoch : -1),
                        h.image.offset() + 1, Map.of(), now + 100_000)); // the old session is over
                if (!r.clean()) { // it may have lost what it had not flushed
                    holdAll.values().forEach(brokers -> brokers.remove(r.broker()));
                }
            }
            for (TopicImage topic : h.image.topicsById().values()) {
                for (PartitionImage p : topic.partitions().values()) {
                    PartitionImage was = before.topic(topic.id()).partitions().get(p.partition());
                    String key = topic.id() + "-" + p.partition();
                    String where = op + ": " + topic.name() + "-" + p.partition() + " " + was + " -> " + p
                            + ", holding every committed record: " + holdAll.get(key);
                    if (p.leader() != was.leader() && p.leader() >= 0
                            && p.leaderRecoveryState() == PartitionImage.RECOVERING) {
                        // the last known leader (R5), named by the partition before this change
                        boolean lastKnown = was.lastKnownElr().equals(List.of(p.leader()));
                        assertTrue(lastKnown || topic.name().equals("unclean"),
                                "an unclean election where only the last known leader may lead: " + where);
                        lastKnownElections += lastKnown ? 1 : 0;
                        holdAll.put(key, new HashSet<>(List.of(p.leader()))); // what it has is committed now
                    } else if (p.leader() != was.leader() && p.leader() >= 0 && !was.isr().contains(p.leader())) {
                        elrElections++;
                    }
                    check(h.image, p, holdAll.get(key), where);
                }
            }
        }
        Statistics.label("commits").collect(Math.min(commits, 3));
        Statistics.label("a leader elected from the ELR").collect(elrElections > 0);
        Statistics.label("a last known leader elected").collect(lastKnownElections > 0);
        Statistics.label("a leader elected from the ELR").coverage(cov -> cov.check(true).percentage(pc -> pc > 5));
    }

    private static void check(MetadataImage image, PartitionImage p, Set<Integer> holdAll, String where) {
        assertTrue(holdAll.containsAll(p.isr()), "an ISR member may miss a committed record: " + where);
        assertTrue(holdAll.containsAll(p.elr()), "an eligible replica may miss a committed record: " + where);
        if (p.leader() >= 0 && p.leaderRecoveryState() == PartitionImage.RECOVERED) {
            assertTrue(holdAll.contains(p.leader()), "a clean leader may miss a committed record: " + where);
        }
        if (p.leaderRecoveryState() == PartitionImage.RECOVERING && p.leader() >= 0) {
            assertEquals(List.of(p.leader()), p.isr(), "recovering with more than the leader in the ISR: " + where);
        }
        assertTrue(p.isr().size() < MIN_ISR || p.elr().isEmpty(), "an ELR beside an ISR at the minimum: " + where);
        assertTrue(p.elr().stream().noneMatch(p.isr()::contains), "in both ISR and ELR: " + where);
        assertTrue(p.leader() == -1 || p.isr().contains(p.leader()) && image.cluster().usable(p.leader()),
                "the leader is not a usable ISR member: " + where);
    }

    /** The leader's AlterPartition at current epochs; an expansion brings the new members up to the leader. */
    private static void alter(ClusterHarness h, Uuid topic, Alter a, Set<Integer> holdAll) {
        PartitionImage p = h.partition(topic, a.partition());
        if (p.leader() < 0 || h.cluster.broker(p.leader()) == null) {
            return;
        }
        List<Integer> isr = new ArrayList<>();
        for (int i = 0; i < p.replicas().size(); i++) {
            int replica = p.replicas().get(i);
            if (((a.mask() & (1 << i)) != 0 && h.cluster.broker(replica) != null) || replica == p.leader()) {
                isr.add(replica);
            }
        }
        AlterPartitionRequestData.PartitionData data = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(a.partition()).setLeaderEpoch(p.leaderEpoch())
                .setPartitionEpoch(p.partitionEpoch()).setLeaderRecoveryState(PartitionImage.RECOVERED);
        for (int member : isr) {
            data.newIsrWithEpochs().add(new BrokerState().setBrokerId(member)
                    .setBrokerEpoch(h.cluster.broker(member).epoch()));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(p.leader())
                .setBrokerEpoch(h.cluster.broker(p.leader()).epoch());
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(topic)
                .setPartitions(new ArrayList<>(List.of(data))));
        ClusterResult<?> result = IsrControl.alterPartition(h.image, request);
        h.apply(result);
        PartitionImage after = h.partition(topic, a.partition());
        var answer = ((org.apache.kafka.common.message.AlterPartitionResponseData) result.response()).topics().get(0)
                .partitions().get(0);
        if (answer.errorCode() == Errors.NONE.code() && holdAll.contains(p.leader())) {
            holdAll.addAll(after.isr()); // the members it added had caught up with it
        }
    }

    private static void beat(ClusterControl control, ClusterHarness h, int broker, boolean wantFence,
                             boolean wantShutDown, long now) {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(wantFence).setWantShutDown(wantShutDown), now));
    }
}
