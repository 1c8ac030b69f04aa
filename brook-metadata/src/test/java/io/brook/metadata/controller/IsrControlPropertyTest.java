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
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of AlterPartition requests (from the leader or another broker, with current,
 * stale or future epochs, any subset of the replicas, stale member epochs, recovery states), fences,
 * unfences, controlled shutdowns and restarts (new incarnations), on a topic that allows unclean
 * leader election and one that does not, each decision applied as the metadata log would. After
 * every step, for every partition:
 * <ul>
 *   <li>the ISR is never empty and holds only distinct replicas; the leader is -1 or a usable member of it;</li>
 *   <li>a partition that changed has a strictly higher partition epoch, one that did not the same;</li>
 *   <li>the leader epoch changes exactly when the leader does, and only upwards;</li>
 *   <li>RECOVERING only with the leader alone in the ISR;</li>
 *   <li>an accepted AlterPartition answers exactly what the image then says; a refused one changes nothing.</li>
 * </ul>
 */
class IsrControlPropertyTest {
    private static final int BROKERS = 4;
    private static final int PARTITIONS = 3;

    sealed interface Op {
    }

    /**
     * AlterPartition for {@code partition} of topic {@code topic}: ISR = the replicas picked by
     * {@code mask}; {@code sender} 0 = the leader, else that broker; epoch skews -1/0/+1 (mostly 0).
     */
    record Alter(int topic, int partition, int mask, int sender, int leaderEpochSkew, int partitionEpochSkew,
                 boolean staleMemberEpoch, boolean recovered) implements Op {
    }

    record Fence(int broker) implements Op {
    }

    record Unfence(int broker) implements Op {
    }

    record ShutDown(int broker) implements Op {
    }

    /** A new incarnation: registered fenced, its leaderships and ISR places go. */
    record Restart(int broker) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> broker = Arbitraries.integers().between(1, BROKERS);
        Arbitrary<Integer> skew = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.just(-1)), Tuple.of(1, Arbitraries.just(1)));
        Arbitrary<Op> alter = Combinators.combine(Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, PARTITIONS - 1), Arbitraries.integers().between(0, 7),
                Arbitraries.of(0, 0, 0, 0, 0, 0, 0, 1, 2, 3), skew, skew,
                Arbitraries.of(false, false, false, false, false, false, false, true),
                Arbitraries.of(true, true, true, true, true, true, true, false))
                .as(Alter::new);
        return Arbitraries.frequencyOf(
                Tuple.of(12, alter),
                Tuple.of(2, broker.map(Fence::new)),
                Tuple.of(3, broker.map(Unfence::new)),
                Tuple.of(1, broker.map(ShutDown::new)),
                Tuple.of(1, broker.map(Restart::new)))
                .list().ofMinSize(20).ofMaxSize(80);
    }

    @Property(tries = 300)
    void isrChangesKeepTheirInvariants(@ForAll("ops") List<Op> ops) {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        ClusterHarness h = new ClusterHarness();
        for (int id = 1; id <= BROKERS; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        Uuid[] topics = {new Uuid(1, 1), new Uuid(2, 2)};
        h.apply(List.of(MetadataRecords.topic("clean", topics[0]), MetadataRecords.topic("unclean", topics[1]),
                MetadataRecords.topicConfig("unclean", "unclean.leader.election.enable", "true")));
        for (Uuid topic : topics) {
            for (int p = 0; p < PARTITIONS; p++) {
                List<Integer> replicas = List.of(1 + p % BROKERS, 1 + (p + 1) % BROKERS, 1 + (p + 2) % BROKERS);
                h.apply(List.of(MetadataRecords.partition(topic, p, replicas, replicas, replicas.get(0), 0, 0)));
            }
        }
        int accepted = 0;
        int shrinks = 0;
        int expansions = 0;
        int uncleanElections = 0;
        int recoveries = 0;
        long now = 1;
        for (Op op : ops) {
            MetadataImage before = h.image;
            now++;
            if (op instanceof Alter a) {
                AlterPartitionResponseData.PartitionData answer = alter(h, topics[a.topic()], a);
                if (answer != null && answer.errorCode() == Errors.NONE.code()) {
                    accepted++;
                    PartitionImage was = before.topic(topics[a.topic()]).partitions().get(a.partition());
                    PartitionImage now0 = h.partition(topics[a.topic()], a.partition());
                    assertEquals(List.of(now0.leader(), now0.leaderEpoch(), now0.partitionEpoch()),
                            List.of(answer.leaderId(), answer.leaderEpoch(), answer.partitionEpoch()), "the answer");
                    assertEquals(now0.isr(), answer.isr());
                    assertEquals(now0.leaderRecoveryState(), answer.leaderRecoveryState());
                    shrinks += now0.isr().size() < was.isr().size() ? 1 : 0;
                    expansions += now0.isr().size() > was.isr().size() ? 1 : 0;
                    recoveries += was.leaderRecoveryState() != now0.leaderRecoveryState() ? 1 : 0;
                } else if (answer != null) {
                    assertEquals(before, h.image, "a refused AlterPartition changes nothing");
                }
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
                h.register(control, r.broker(), Uuid.randomUuid(), null, now + 100_000); // the old session is over
            }
            uncleanElections += check(before, h.image, op);
        }
        Statistics.label("accepted AlterPartitions").collect(Math.min(accepted, 5));
        Statistics.label("an ISR shrank and grew back").collect(shrinks > 0 && expansions > 0);
        Statistics.label("an unclean election").collect(uncleanElections > 0);
        Statistics.label("a leader reported RECOVERED").collect(recoveries > 0);
        Statistics.label("an ISR shrank and grew back").coverage(c -> c.check(true).percentage(pc -> pc > 12));
        Statistics.label("an unclean election").coverage(c -> c.check(true).percentage(pc -> pc > 20));
        Statistics.label("a leader reported RECOVERED").coverage(c -> c.check(true).percentage(pc -> pc > 1));
    }

    /** Sends the AlterPartition {@code a} describes; null when its sender is not registered. */
    private static AlterPartitionResponseData.PartitionData alter(ClusterHarness h, Uuid topic, Alter a) {
        PartitionImage p = h.partition(topic, a.partition());
        int sender = a.sender() == 0 ? p.leader() : a.sender();
        if (sender < 0 || h.cluster.broker(sender) == null) {
            return null;
        }
        AlterPartitionRequestData.PartitionData data = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(a.partition()).setLeaderEpoch(p.leaderEpoch() + a.leaderEpochSkew())
                .setPartitionEpoch(p.partitionEpoch() + a.partitionEpochSkew())
                .setLeaderRecoveryState(a.recovered() ? PartitionImage.RECOVERED : PartitionImage.RECOVERING);
        List<Integer> isr = new ArrayList<>();
        for (int i = 0; i < p.replicas().size(); i++) {
            if ((a.mask() & (1 << i)) != 0 || p.replicas().get(i) == p.leader()) {
                isr.add(p.replicas().get(i));
            }
        }
        if (a.mask() == 0) {
            isr.remove(Integer.valueOf(p.leader())); // sometimes without the leader
        }
        for (int member : isr) {
            long epoch = h.cluster.broker(member) == null ? 7 : h.cluster.broker(member).epoch();
            data.newIsrWithEpochs().add(new BrokerState().setBrokerId(member)
                    .setBrokerEpoch(a.staleMemberEpoch() ? epoch - 1 : epoch));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(sender)
                .setBrokerEpoch(h.cluster.broker(sender).epoch());
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(topic)
                .setPartitions(new ArrayList<>(List.of(data))));
        try {
            ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image, request);
            if (result.response().topics().get(0).partitions().get(0).errorCode() != Errors.NONE.code()) {
                assertEquals(List.of(), result.records());
            }
            h.apply(result);
            return result.response().topics().get(0).partitions().get(0);
        } catch (StaleBrokerEpochException e) {
            fail("the sender's own epoch was current: " + e);
            return null;
        }
    }

    private static void beat(ClusterControl control, ClusterHarness h, int broker, boolean wantFence,
                             boolean wantShutDown, long now) {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(wantFence).setWantShutDown(wantShutDown), now));
    }

    /** Checks every partition's invariants after {@code op}; returns how many unclean elections it made. */
    private static int check(MetadataImage before, MetadataImage after, Op op) {
        int unclean = 0;
        for (TopicImage topic : after.topicsById().values()) {
            for (PartitionImage p : topic.partitions().values()) {
                PartitionImage was = before.topic(topic.id()).partitions().get(p.partition());
                String where = op + ": " + topic.name() + "-" + p.partition() + " " + was + " -> " + p;
                assertTrue(!p.isr().isEmpty(), "an empty ISR after " + where);
                assertEquals(p.isr().size(), p.isr().stream().distinct().count(), "ISR members twice after " + where);
                assertTrue(p.replicas().containsAll(p.isr()), "an ISR member not a replica after " + where);
                assertTrue(p.leader() == -1 || (p.isr().contains(p.leader()) && after.cluster().usable(p.leader())),
                        "the leader is not a usable ISR member after " + where);
                boolean changed = !p.equals(was);
                if (changed) {
                    assertTrue(p.partitionEpoch() > was.partitionEpoch(), "partition epoch not bumped: " + where);
                } else {
                    assertEquals(was.partitionEpoch(), p.partitionEpoch());
                }
                boolean leaderChanged = p.leader() != was.leader();
                assertEquals(leaderChanged, p.leaderEpoch() != was.leaderEpoch(),
                        "the leader epoch must change exactly with the leader: " + where);
                assertTrue(p.leaderEpoch() >= was.leaderEpoch(), "the leader epoch went down: " + where);
                if (p.leaderRecoveryState() == PartitionImage.RECOVERING) {
                    assertEquals(List.of(p.leader() == -1 ? p.isr().get(0) : p.leader()), p.isr(),
                            "recovering with more than the leader in the ISR: " + where);
                    assertEquals("unclean", topic.name(), "an unclean election where it is not allowed: " + where);
                }
                if (p.leaderRecoveryState() == PartitionImage.RECOVERING
                        && was.leaderRecoveryState() == PartitionImage.RECOVERED) {
                    unclean++;
                }
            }
        }
        return unclean;
    }
}
