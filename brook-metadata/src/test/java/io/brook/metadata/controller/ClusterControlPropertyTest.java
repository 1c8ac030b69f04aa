package io.brook.metadata.controller;

import io.brook.metadata.controller.ReplicaPlacer.Load;
import io.brook.metadata.controller.ReplicaPlacer.UsableBroker;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of broker events on a fake clock (registrations with new or repeated
 * incarnations, heartbeats caught up or behind, asking to be fenced or to shut down, with stale
 * epochs, clock advances landing on and around the session timeout, fence passes,
 * unregistrations, placements of new topics, a new active controller) through {@link ClusterControl} and
 * {@link ReplicaPlacer}, each decision applied as the metadata log would. After every step:
 * <ul>
 *   <li>no fenced or shutting-down broker leads a partition, and every leader is in its ISR or -1;
 *       no ISR is ever emptied or holds a broker outside the replicas;</li>
 *   <li>a fence pass fences exactly the unfenced brokers silent for longer than the session timeout
 *       (so never one silent for the timeout or less), and no other decision fences a broker other
 *       than the one it is about;</li>
 *   <li>a refused request changes nothing;</li>
 *   <li>a placement puts the replicas of a partition on distinct usable brokers, spans
 *       min(RF, racks) racks, leaves leader counts within 1 (from an empty load) or no further apart
 *       than they were (from the image's load), and fails with INVALID_REPLICATION_FACTOR exactly when
 *       fewer brokers are usable than the factor asks.</li>
 * </ul>
 */
class ClusterControlPropertyTest {
    private static final long TIMEOUT = 1_000;
    private static final int BROKERS = 5;
    private static final List<Long> STEPS = List.of(0L, 1L, TIMEOUT / 4, TIMEOUT - 1, TIMEOUT, TIMEOUT + 1);

    sealed interface Op {
    }

    record Register(int broker, boolean newIncarnation) implements Op {
    }

    record Heartbeat(int broker, boolean caughtUp, boolean wantFence, boolean wantShutDown, boolean staleEpoch)
            implements Op {
    }

    record Advance(long ms) implements Op {
    }

    record FencePass() implements Op {
    }

    record Unregister(int broker) implements Op {
    }

    record Place(int partitions, int replicationFactor, long seed) implements Op {
    }

    /** Another controller becomes active: soft state starts afresh from the image. */
    record Failover() implements Op {
    }

    private static Optional<String> rack(int broker) {
        return broker == BROKERS ? Optional.empty() : Optional.of("r" + (broker + 1) / 2);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> broker = Arbitraries.integers().between(1, BROKERS);
        Arbitrary<Op> register = Combinators.combine(broker, Arbitraries.of(true, true, false))
                .as(Register::new);
        Arbitrary<Op> heartbeat = Combinators.combine(broker, Arbitraries.of(true, true, true, false),
                Arbitraries.of(false, false, false, false, false, true),
                Arbitraries.of(false, false, false, false, true),
                Arbitraries.of(false, false, false, false, false, true))
                .as(Heartbeat::new);
        Arbitrary<Op> advance = Arbitraries.of(STEPS).map(Advance::new);
        Arbitrary<Op> pass = Arbitraries.just(new FencePass());
        Arbitrary<Op> unregister = broker.map(Unregister::new);
        Arbitrary<Op> place = Combinators.combine(Arbitraries.integers().between(1, 7),
                Arbitraries.integers().between(1, 4), Arbitraries.longs()).as(Place::new);
        return Arbitraries.frequencyOf(
                Tuple.of(4, register), Tuple.of(10, heartbeat),
                Tuple.of(5, advance), Tuple.of(4, pass),
                Tuple.of(1, unregister), Tuple.of(3, place), Tuple.of(1, Arbitraries.just(new Failover())))
                .list().ofMinSize(10).ofMaxSize(60);
    }

    /** The test's own record of when each registered broker last made accepted contact. */
    private final Map<Integer, Long> lastContact = new HashMap<>();

    @Property(tries = 400)
    void clusterDecisionsKeepTheirInvariants(@ForAll @IntRange(min = 0, max = BROKERS) int started,
                                             @ForAll("ops") List<Op> ops) {
        lastContact.clear();
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, TIMEOUT);
        ClusterHarness h = new ClusterHarness();
        long now = 0;
        int failovers = 0;
        int topics = 0;
        // most runs start from a working cluster, so the random events meet leaders to move
        List<Op> all = new ArrayList<>();
        for (int broker = 1; broker <= started; broker++) {
            all.add(new Register(broker, true));
            all.add(new Heartbeat(broker, true, false, false, false));
        }
        if (started > 0) {
            all.add(new Place(2 * started, Math.min(started, 3), started));
        }
        all.addAll(ops);
        boolean passFenced = false;
        boolean leaderMovedAway = false;
        boolean shutDown = false;
        boolean leaderBack = false;
        for (Op op : all) {
            ClusterImage clusterBefore = h.cluster;
            MetadataImage imageBefore = h.image;
            Set<Integer> fencedBefore = fenced(h.cluster);
            if (op instanceof Register r) {
                register(control, h, r, now);
            } else if (op instanceof Heartbeat b) {
                heartbeat(control, h, b, now);
            } else if (op instanceof Advance a) {
                now += a.ms();
            } else if (op instanceof FencePass) {
                Set<Integer> expected = new TreeSet<>();
                for (BrokerRegistration broker : h.cluster.brokers().values()) {
                    if (!broker.fenced() && now - lastContact.get(broker.id()) > TIMEOUT) {
                        expected.add(broker.id());
                    }
                }
                List<Integer> fencedNow = h.apply(control.fenceStaleBrokers(h.cluster, h.image, now));
                assertEquals(List.copyOf(expected), fencedNow, "fenced at " + now + ", last contacts " + lastContact);
                passFenced |= !fencedNow.isEmpty();
            } else if (op instanceof Unregister u) {
                try {
                    h.apply(control.unregister(h.cluster, h.image, u.broker()));
                    lastContact.remove(u.broker());
                } catch (BrokerIdNotRegisteredException e) {
                    assertSame(null, clusterBefore.broker(u.broker()));
                }
            } else if (op instanceof Place p) {
                place(h, p, "t" + topics++);
            } else if (op instanceof Failover) {
                control = new ClusterControl(ClusterHarness.CLUSTER_ID, TIMEOUT);
                control.activate(h.cluster, now);
                for (int broker : h.cluster.brokers().keySet()) {
                    lastContact.put(broker, now); // a full session for everyone registered
                }
                failovers++;
            }
            if (!(op instanceof FencePass)) {
                Set<Integer> newlyFenced = new TreeSet<>(fenced(h.cluster));
                newlyFenced.removeAll(fencedBefore);
                newlyFenced.removeAll(registeredIn(h.cluster, clusterBefore));
                int about = op instanceof Heartbeat b ? b.broker() : op instanceof Register r ? r.broker() : -1;
                newlyFenced.remove(about);
                assertEquals(Set.of(), newlyFenced, op + " fenced brokers it is not about");
            }
            checkLeaders(h, op);
            leaderMovedAway |= leadersMoved(imageBefore, h.image);
            leaderBack |= leadersBack(imageBefore, h.image);
            shutDown |= h.cluster.brokers().values().stream().anyMatch(BrokerRegistration::inControlledShutdown);
            if (h.image.offset() < imageBefore.offset()) {
                fail("the log went backwards");
            }
        }
        Statistics.label("a fence pass fenced a broker").collect(passFenced);
        Statistics.label("a leader moved to another broker or to -1").collect(leaderMovedAway);
        Statistics.label("a broker entered controlled shutdown").collect(shutDown);
        Statistics.label("topics placed").collect(Math.min(topics, 3));
        Statistics.label("controller failovers").collect(Math.min(failovers, 2));
        Statistics.label("a leaderless partition got a leader back").collect(leaderBack);
        // the runs must reach the states the invariants are about (far below the rates seen: no flakiness)
        Statistics.label("a fence pass fenced a broker").coverage(c -> c.check(true).percentage(pc -> pc > 15));
        Statistics.label("a leader moved to another broker or to -1")
                .coverage(c -> c.check(true).percentage(pc -> pc > 40));
        Statistics.label("a broker entered controlled shutdown").coverage(c -> c.check(true).percentage(pc -> pc > 10));
        Statistics.label("a leaderless partition got a leader back")
                .coverage(c -> c.check(true).percentage(pc -> pc > 5));
    }

    /** Whether some partition leaderless in {@code before} has a leader in {@code after}. */
    private static boolean leadersBack(MetadataImage before, MetadataImage after) {
        for (TopicImage topic : before.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.leader() == -1
                        && after.topic(topic.id()).partitions().get(partition.partition()).leader() >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether some partition led in {@code before} has another leader (or none) in {@code after}. */
    private static boolean leadersMoved(MetadataImage before, MetadataImage after) {
        for (TopicImage topic : before.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                PartitionImage now = after.topic(topic.id()).partitions().get(partition.partition());
                if (partition.leader() >= 0 && now.leader() != partition.leader()) {
                    return true;
                }
            }
        }
        return false;
    }

    private void register(ClusterControl control, ClusterHarness h, Register r, long now) {
        BrokerRegistration existing = h.cluster.broker(r.broker());
        Uuid incarnation = existing != null && !r.newIncarnation() ? existing.incarnationId() : Uuid.randomUuid();
        boolean alive = lastContact.containsKey(r.broker()) && now - lastContact.get(r.broker()) <= TIMEOUT;
        boolean refused = existing != null && !existing.incarnationId().equals(incarnation) && !existing.fenced()
                && alive;
        ClusterImage before = h.cluster;
        MetadataImage imageBefore = h.image;
        try {
            h.register(control, r.broker(), incarnation, rack(r.broker()).orElse(null), now);
            lastContact.put(r.broker(), now);
            assertTrue(!refused, "a new incarnation replaced an unfenced one whose session lived: " + r);
            BrokerRegistration registered = h.cluster.broker(r.broker());
            if (existing != null && existing.incarnationId().equals(incarnation)) {
                assertEquals(existing.fenced(), registered.fenced(), "an amended registration keeps its state");
                assertEquals(existing.inControlledShutdown(), registered.inControlledShutdown());
            } else {
                assertTrue(registered.fenced() && !registered.inControlledShutdown(), "a new incarnation starts fenced");
            }
        } catch (ApiException e) {
            assertTrue(refused, "refused " + r + ": " + e);
            assertSame(before, h.cluster);
            assertSame(imageBefore, h.image);
        }
    }

    private void heartbeat(ClusterControl control, ClusterHarness h, Heartbeat b, long now) {
        BrokerRegistration broker = h.cluster.broker(b.broker());
        long epoch = broker == null ? 0 : broker.epoch() - (b.staleEpoch() ? 1 : 0);
        long offset = b.caughtUp() ? h.image.offset() : epoch - 1;
        BrokerHeartbeatRequestData request = new BrokerHeartbeatRequestData().setBrokerId(b.broker())
                .setBrokerEpoch(epoch).setCurrentMetadataOffset(offset).setWantFence(b.wantFence())
                .setWantShutDown(b.wantShutDown());
        ClusterImage before = h.cluster;
        MetadataImage imageBefore = h.image;
        try {
            h.apply(control.heartbeat(h.cluster, h.image, request, now));
            lastContact.put(b.broker(), now);
            assertTrue(broker != null && !b.staleEpoch(), "accepted " + b);
        } catch (StaleBrokerEpochException | BrokerIdNotRegisteredException e) {
            assertTrue(broker == null || b.staleEpoch(), "refused " + b + ": " + e);
            assertSame(before, h.cluster);
            assertSame(imageBefore, h.image);
        }
    }

    private static void place(ClusterHarness h, Place p, String topic) {
        List<UsableBroker> usable = ReplicaPlacer.usableBrokers(h.cluster);
        if (usable.size() < p.replicationFactor()) {
            try {
                ReplicaPlacer.place(p.partitions(), p.replicationFactor(), usable, Load.NONE, p.seed());
                fail("placed " + p + " on " + usable);
            } catch (InvalidReplicationFactorException expected) {
                return;
            }
        }
        Set<Integer> usableIds = new HashSet<>();
        Set<Optional<String>> racks = new HashSet<>();
        for (UsableBroker broker : usable) {
            usableIds.add(broker.id());
            racks.add(broker.rack());
        }
        List<List<Integer>> fresh = ReplicaPlacer.place(p.partitions(), p.replicationFactor(), usable, Load.NONE,
                p.seed());
        checkPlacement(fresh, p, usableIds, Math.min(p.replicationFactor(), racks.size()));
        Map<Integer, Integer> freshLeaders = leaderCounts(usableIds, fresh, Map.of());
        assertTrue(spread(freshLeaders) <= 1, "leaders " + freshLeaders + " of " + fresh);

        Load load = ReplicaPlacer.loadOf(h.image);
        List<List<Integer>> placed = ReplicaPlacer.place(p.partitions(), p.replicationFactor(), usable, load,
                p.seed());
        checkPlacement(placed, p, usableIds, Math.min(p.replicationFactor(), racks.size()));
        int before = spread(leaderCounts(usableIds, List.of(), load.leaders()));
        Map<Integer, Integer> after = leaderCounts(usableIds, placed, load.leaders());
        assertTrue(spread(after) <= Math.max(1, before), "leaders " + after + " were " + load.leaders());
        h.createTopic(topic, placed);
    }

    private static void checkPlacement(List<List<Integer>> placement, Place p, Set<Integer> usable, int racks) {
        assertEquals(p.partitions(), placement.size());
        for (List<Integer> replicas : placement) {
            assertEquals(p.replicationFactor(), new HashSet<>(replicas).size(), "distinct brokers: " + replicas);
            assertTrue(usable.containsAll(replicas), replicas + " on usable brokers " + usable);
            Set<Optional<String>> spanned = new HashSet<>();
            replicas.forEach(b -> spanned.add(rack(b)));
            assertEquals(racks, spanned.size(), "racks spanned by " + replicas);
        }
    }

    private static Map<Integer, Integer> leaderCounts(Set<Integer> usable, List<List<Integer>> placement,
                                                      Map<Integer, Integer> existing) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int broker : usable) {
            counts.put(broker, existing.getOrDefault(broker, 0));
        }
        for (List<Integer> replicas : placement) {
            counts.merge(replicas.get(0), 1, Integer::sum);
        }
        return counts;
    }

    private static int spread(Map<Integer, Integer> counts) {
        if (counts.isEmpty()) {
            return 0;
        }
        return counts.values().stream().mapToInt(Integer::intValue).max().getAsInt()
                - counts.values().stream().mapToInt(Integer::intValue).min().getAsInt();
    }

    private static Set<Integer> fenced(ClusterImage cluster) {
        Set<Integer> fenced = new TreeSet<>();
        for (BrokerRegistration broker : cluster.brokers().values()) {
            if (broker.fenced()) {
                fenced.add(broker.id());
            }
        }
        return fenced;
    }

    /** Brokers whose registration in {@code after} is not the one in {@code before} (new or re-registered). */
    private static Set<Integer> registeredIn(ClusterImage after, ClusterImage before) {
        Set<Integer> ids = new TreeSet<>();
        for (BrokerRegistration broker : after.brokers().values()) {
            BrokerRegistration old = before.broker(broker.id());
            if (old == null || old.epoch() != broker.epoch()) {
                ids.add(broker.id());
            }
        }
        return ids;
    }

    private static void checkLeaders(ClusterHarness h, Op op) {
        for (TopicImage topic : h.image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                assertTrue(!partition.isr().isEmpty() && partition.replicas().containsAll(partition.isr()),
                        "after " + op + ": ISR empty or outside the replicas in " + partition);
                int leader = partition.leader();
                if (leader == -1) {
                    continue;
                }
                assertTrue(partition.isr().contains(leader), "after " + op + ": leader outside its ISR in "
                        + topic.name() + " " + partition);
                assertTrue(h.cluster.usable(leader), "after " + op + ": " + topic.name() + " " + partition
                        + " is led by " + h.cluster.broker(leader));
            }
        }
    }
}
