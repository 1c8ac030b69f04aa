package io.brook.server.handlers;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.coordinator.LocalMarkerWriter;
import io.brook.server.coordinator.OffsetsTopic;
import io.brook.server.config.BrokerConfig;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.partition.ProducerIdManager;
import io.brook.server.security.acl.BrokerAuthorizer;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * What request handlers share: this node's identity and config, its partitions, the way to the
 * active controller, delayed operations (parked fetches and produces), producer ids, the group and transaction coordinators and the writer
 * of transaction markers, and the authorizer every handler asks before acting. One per node; no global state.
 */
public record BrokerContext(int nodeId, String clusterId, BrokerConfig config, String advertisedHost,
                            int advertisedPort, ReplicaManager replicas, ControllerChannel controller,
                            DelayedOperations delayed, ProducerIdManager producerIds, GroupCoordinator groups,
                            OffsetsTopic offsetsTopic, TransactionCoordinator transactions,
                            LocalMarkerWriter markers, Map<String, InetSocketAddress> advertisedListeners,
                            BrokerAuthorizer authorizer) {

    public BrokerContext {
        advertisedListeners = Map.copyOf(advertisedListeners);
    }

    /**
     * The address (unresolved) to tell a client that came in on {@code listenerName}: that listener's
     * advertised address, as Kafka answers per listener; the first broker listener's for any other.
     */
    public InetSocketAddress advertised(String listenerName) {
        InetSocketAddress address = advertisedListeners.get(listenerName);
        return address != null ? address : InetSocketAddress.createUnresolved(advertisedHost, advertisedPort);
    }

    /** The brokers of the cluster: this node alone until replication lands. */
    public List<Integer> brokerIds() {
        return List.of(nodeId);
    }
}
