package io.brook.server.fetch;

import io.brook.server.config.BrokerConfig;
import io.brook.server.fetch.ReplicaSelector.ReplicaView;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka's rack-aware selection rules (KIP-392) and how {@code replica.selector.class} is read. */
class RackAwareReplicaSelectorTest {
    private final ReplicaSelector selector = new RackAwareReplicaSelector();
    private final ReplicaView leader = new ReplicaView(1, "r1", 100, 0);

    private int select(String clientRack, ReplicaView... followers) {
        List<ReplicaView> replicas = new java.util.ArrayList<>(List.of(leader));
        replicas.addAll(List.of(followers));
        return selector.select(clientRack, leader, replicas).orElseThrow().brokerId();
    }

    @Test
    void aClientWithoutARackReadsFromTheLeader() {
        ReplicaView r2 = new ReplicaView(2, "r2", 100, 0);
        assertEquals(1, select(null, r2));
        assertEquals(1, select("", r2));
    }

    @Test
    void aClientInTheLeadersRackReadsFromTheLeaderEvenWhenAFollowerThereIsAhead() {
        assertEquals(1, select("r1", new ReplicaView(2, "r1", 120, 0)));
    }

    @Test
    void aClientInAFollowersRackReadsFromThatFollower() {
        assertEquals(2, select("r2", new ReplicaView(2, "r2", 90, 500), new ReplicaView(3, "r3", 100, 0)));
    }

    @Test
    void noReplicaInTheClientsRackLeavesItOnTheLeader() {
        assertEquals(1, select("r9", new ReplicaView(2, "r2", 100, 0), new ReplicaView(3, null, 100, 0)));
    }

    @Test
    void amongFollowersOfTheRackTheHighestLogEndThenTheMostRecentlyCaughtUpWins() {
        assertEquals(3, select("r2", new ReplicaView(2, "r2", 90, 0), new ReplicaView(3, "r2", 95, 9_000)));
        assertEquals(2, select("r2", new ReplicaView(2, "r2", 95, 10), new ReplicaView(3, "r2", 95, 20)));
        assertEquals(3, select("r2", new ReplicaView(2, "r2", 95, 20), new ReplicaView(3, "r2", 95, 10)));
    }

    @Test
    void theSettingTakesKafkasRackAwareSelectorByNameAndRefusesAnyOtherClass() {
        assertEquals(Optional.empty(), ReplicaSelector.forClassName(null));
        assertEquals(Optional.empty(), ReplicaSelector.forClassName(" "));
        assertInstanceOf(RackAwareReplicaSelector.class,
                ReplicaSelector.forClassName(ReplicaSelector.RACK_AWARE).orElseThrow());
        ConfigException refused = assertThrows(ConfigException.class,
                () -> ReplicaSelector.forClassName("com.example.MySelector"));
        assertTrue(refused.getMessage().contains("replica.selector.class"), refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"), "one line: " + refused.getMessage());

        assertTrue(BrokerConfig.fromMap(Map.of()).replicaSelector().isEmpty());
        BrokerConfig rackAware = BrokerConfig.fromMap(Map.of("replica.selector.class", ReplicaSelector.RACK_AWARE));
        assertTrue(rackAware.replicaSelector().isPresent());
        assertTrue(rackAware.warnings().isEmpty(), "the setting has effect: " + rackAware.warnings());
        assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(Map.of("replica.selector.class",
                "org.apache.kafka.common.replica.LeaderSelector")));
    }
}
