package io.brook.coordinator.group;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeat;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeatResult;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consumer group protocol (KIP-848) state machine, driven by hand and by random event sequences. */
class ConsumerGroupProtocolTest {
    static final int SESSION_MS = 45_000;
    // jqwik shares one instance across the tries of a property: each try resets these
    ManualTimer timer;
    GroupCoordinator coordinator;
    MemoryOffsetStore store;
    Map<String, Integer> topics;

    ConsumerGroupProtocolTest() {
        reset();
    }

    private void reset() {
        timer = new ManualTimer();
        store = new MemoryOffsetStore();
        coordinator = newCoordinator();
        topics = new HashMap<>(Map.of("t", 6));
    }

    private GroupCoordinator newCoordinator() {
        return new GroupCoordinator(new GroupConfig(6000, 300_000, 0, 10, 4096, SESSION_MS, 5000, 100,
                List.of("uniform", "range")), store, timer, timer::now);
    }

    /** The group's partition of the offsets topic gets a new leader: the next coordinator loads what was stored. */
    private void moveCoordinator() {
        coordinator.unload(group -> true);
        coordinator = newCoordinator();
        store.replayConsumerGroupsInto(coordinator);
    }

    /** A client's view of its membership, as the Java consumer keeps it. */
    static final class Client {
        final String id;
        int epoch;
        Set<TopicPartition> owned = new HashSet<>();

        Client(String id) {
            this.id = id;
        }
    }

    ConsumerHeartbeatResult beat(Client c, boolean join) {
        ConsumerHeartbeatResult r = coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", c.id, join ? 0 : c.epoch,
                null, null, 30_000, join ? List.of("t") : null, null, null, Set.copyOf(c.owned), "client",
                "/127.0.0.1"), topics).getNow(null);
        if (r.error() == Errors.NONE) {
            c.epoch = r.memberEpoch();
            if (r.assignment() != null) {
                c.owned = new HashSet<>(r.assignment()); // revoke what is gone, take what is new
            }
        } else if (r.error() == Errors.UNKNOWN_MEMBER_ID || r.error() == Errors.FENCED_MEMBER_EPOCH) {
            c.owned.clear(); // the partitions are lost, as the Java consumer's onPartitionsLost says
        }
        return r;
    }

    @Test
    void aJoiningMemberGetsPartitionsOnlyAfterTheOwnerGaveThemUp() {
        Client a = new Client("a");
        beat(a, true);
        assertEquals(6, a.owned.size());
        Client b = new Client("b");
        ConsumerHeartbeatResult joined = beat(b, true);
        assertEquals(Set.of(), joined.assignment(), "a still owns everything");
        assertEquals(2, b.epoch, "b is at the new assignment epoch, waiting for its partitions");
        Set<TopicPartition> before = Set.copyOf(a.owned);
        beat(a, false); // a is told to give up three partitions
        assertEquals(3, a.owned.size());
        assertTrue(before.containsAll(a.owned));
        assertEquals(1, a.epoch, "a stays at its epoch until it confirms");
        beat(b, false);
        assertEquals(0, b.owned.size(), "not yet released");
        beat(a, false); // confirms by reporting what it owns now
        assertEquals(2, a.epoch);
        beat(b, false);
        assertEquals(3, b.owned.size());
        Set<TopicPartition> all = new HashSet<>(a.owned);
        all.addAll(b.owned);
        assertEquals(6, all.size());
        assertEquals("Stable", coordinator.describeConsumerGroup("g").state());
    }

    @Test
    void staleEpochsAndUnknownMembersAreFenced() {
        Client a = new Client("a");
        beat(a, true);
        Client ghost = new Client("ghost");
        ghost.epoch = 1;
        assertEquals(Errors.UNKNOWN_MEMBER_ID, beat(ghost, false).error());
        a.epoch = 7;
        assertEquals(Errors.FENCED_MEMBER_EPOCH, beat(a, false).error());
        assertEquals(Errors.UNSUPPORTED_ASSIGNOR, coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "x", 0,
                null, null, 30_000, List.of("t"), null, "sticky", Set.of(), "c", "h"), topics).getNow(null).error());
    }

    ConsumerHeartbeatResult beatStatic(String memberId, int epoch, String instanceId) {
        return coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", memberId, epoch, instanceId, null, 30_000,
                epoch == 0 ? List.of("t") : null, null, null, epoch == 0 ? Set.of() : null, "c", "h"), topics).getNow(null);
    }

    @Test
    void aStaticMemberThatLeavesForAWhileGetsItsPartitionsBackWithoutARebalance() {
        ConsumerHeartbeatResult first = beatStatic("a1", 0, "instance-a");
        Client b = new Client("b");
        beat(b, true);
        beatStatic("a1", first.memberEpoch(), "instance-a");
        beatStatic("a1", 1, "instance-a");
        beat(b, false);
        GroupCoordinator.ConsumerMemberDescription a = coordinator.describeConsumerGroup("g").members().stream()
                .filter(m -> m.memberId().equals("a1")).findFirst().orElseThrow();
        Set<TopicPartition> aOwned = a.assignment();
        assertEquals(3, aOwned.size());
        int groupEpoch = coordinator.describeConsumerGroup("g").groupEpoch();

        assertEquals(Errors.NONE, beatStatic("a1", -2, "instance-a").error()); // a restart begins
        ConsumerHeartbeatResult back = beatStatic("a2", 0, "instance-a");
        assertEquals(Errors.NONE, back.error());
        assertEquals(aOwned, back.assignment(), "the new instance gets the same partitions");
        assertTrue(back.memberEpoch() >= a.memberEpoch(), "and its epoch, not a new member's");
        assertEquals(Errors.UNRELEASED_INSTANCE_ID, beatStatic("a4", 0, "instance-a").error(),
                "the instance id is taken while its member is active");
        assertEquals(groupEpoch, coordinator.describeConsumerGroup("g").groupEpoch(), "no rebalance");
    }

    @Test
    void badHeartbeatsAndCommitsGetKafkasErrors() {
        assertEquals(Errors.INVALID_REQUEST, coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "x", 0, null,
                null, 30_000, null, null, null, Set.of(), "c", "h"), topics).getNow(null).error(),
                "a join without a subscription");
        assertEquals(Errors.INVALID_REGULAR_EXPRESSION, coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "x",
                0, null, null, 30_000, null, "(", null, Set.of(), "c", "h"), topics).getNow(null).error());
        coordinator.join(new GroupCoordinator.JoinRequest("classic", "", null, "c", "h", 10_000, 30_000, "consumer",
                List.of(new GroupCoordinator.Protocol("range", new byte[0])), false)).join();
        assertEquals(Errors.GROUP_ID_NOT_FOUND, coordinator.consumerHeartbeat(new ConsumerHeartbeat("classic", "x",
                0, null, null, 30_000, List.of("t"), null, null, Set.of(), "c", "h"), topics).getNow(null).error(),
                "a classic group with members");

        Client a = new Client("a");
        beat(a, true);
        beat(new Client("b"), true); // moves the group to epoch 2; a follows on its next heartbeat
        beat(a, false);
        beat(a, false);
        assertEquals(2, a.epoch);
        TopicPartition tp = new TopicPartition("t", 0);
        CommittedOffset offset = new CommittedOffset(1, -1, "", 0);
        assertEquals(Map.of(tp, Errors.STALE_MEMBER_EPOCH), coordinator.commit("g", 1, "a", null, Map.of(tp, offset)).join());
        assertEquals(Map.of(tp, Errors.FENCED_MEMBER_EPOCH), coordinator.commit("g", 3, "a", null, Map.of(tp, offset)).join());
        assertEquals(Map.of(tp, Errors.UNKNOWN_MEMBER_ID), coordinator.commit("g", 2, "z", null, Map.of(tp, offset)).join());
        assertEquals(Map.of(tp, Errors.NONE), coordinator.commit("g", 2, "a", null, Map.of(tp, offset)).join());
    }

    /**
     * Random joins, leaves, heartbeats (with or without confirming), topic growth, session
     * timeouts and coordinator moves: no partition ever has two owners among the clients, a move
     * fences no one (every member goes on in its epoch), and once everyone has heartbeated a few
     * times with nothing changing, every partition has exactly one owner.
     */
    @Property(tries = 200)
    void noPartitionEverHasTwoOwners(@ForAll long seed) {
        reset();
        Random random = new Random(seed);
        List<Client> clients = new ArrayList<>();
        int next = 0;
        for (int step = 0; step < 80; step++) {
            int choice = random.nextInt(100);
            if (clients.isEmpty() || choice < 15) {
                Client c = new Client("m" + next++);
                if (beat(c, true).error() == Errors.NONE) {
                    clients.add(c);
                }
            } else if (choice < 22) {
                Client c = clients.remove(random.nextInt(clients.size()));
                c.epoch = -1;
                coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", c.id, -1, null, null, -1, null, null, null,
                        null, "c", "h"), topics).getNow(null);
            } else if (choice < 25) {
                topics.merge("t", 1, Integer::sum); // partitions added
            } else if (choice < 31) {
                var before = coordinator.describeConsumerGroup("g");
                Map<String, Integer> epochs = new HashMap<>();
                before.members().forEach(m -> epochs.put(m.memberId(), m.memberEpoch()));
                moveCoordinator();
                assertEquals(before, coordinator.describeConsumerGroup("g"), "the group as the next coordinator has it");
                for (Client c : List.copyOf(clients)) {
                    ConsumerHeartbeatResult r = beat(c, false);
                    if (epochs.containsKey(c.id)) { // a member: goes on in its epoch, or moves forward
                        assertEquals(Errors.NONE, r.error(), c.id + " after the coordinator moved: " + r.message());
                        assertTrue(c.epoch >= epochs.get(c.id), c.id + "'s epoch went back to " + c.epoch);
                    } else if (r.error() != Errors.NONE) { // removed before the move, it had not heard yet
                        clients.remove(c);
                    }
                }
            } else if (choice < 34) {
                clients.remove(random.nextInt(clients.size())); // crashes: its session ends
                for (int half = 0; half < 2; half++) {
                    timer.advance(SESSION_MS / 2 + 1);
                    clients.forEach(o -> beat(o, false)); // the others stay alive meanwhile
                }
            } else {
                Client c = clients.get(random.nextInt(clients.size()));
                if (beat(c, false).error() != Errors.NONE) {
                    clients.remove(c); // fenced: a real client would rejoin with a new epoch 0
                    Client again = new Client(c.id);
                    if (beat(again, true).error() == Errors.NONE) {
                        clients.add(again);
                    }
                }
            }
            assertDisjoint(clients);
        }
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < clients.size(); i++) {
                Client c = clients.get(i);
                if (beat(c, false).error() != Errors.NONE) { // lost its membership: rejoins, as the consumer does
                    Client again = new Client(c.id);
                    assertEquals(Errors.NONE, beat(again, true).error());
                    clients.set(i, again);
                }
            }
            assertDisjoint(clients);
        }
        if (!clients.isEmpty()) {
            Set<TopicPartition> owned = new HashSet<>();
            clients.forEach(c -> owned.addAll(c.owned));
            assertEquals(topics.get("t"), owned.size(), "every partition has an owner: "
                    + coordinator.describeConsumerGroup("g") + " clients " + clients.stream()
                    .map(c -> c.id + "@" + c.epoch + c.owned).toList());
            assertEquals("Stable", coordinator.describeConsumerGroup("g").state());
        }
    }

    private static void assertDisjoint(List<Client> clients) {
        Set<TopicPartition> seen = new HashSet<>();
        for (Client c : clients) {
            for (TopicPartition tp : c.owned) {
                assertTrue(seen.add(tp), tp + " has two owners");
            }
        }
    }
}
