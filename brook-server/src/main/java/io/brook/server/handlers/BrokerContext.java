package io.brook.server.handlers;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.coordinator.CoordinatorLoader;
import io.brook.server.coordinator.CoordinatorTopics;
import io.brook.server.coordinator.RemoteTransactionVerifier;
import io.brook.server.coordinator.LocalMarkerWriter;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.coordinator.OffsetsTopic;
import io.brook.server.coordinator.TransactionTopic;
import io.brook.server.config.BrokerConfig;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.partition.ProducerIdManager;
import io.brook.server.security.acl.BrokerAuthorizer;

import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.Map;

/**
 * What request handlers share: this node's identity and config, its partitions, the way to the
 * active controller, delayed operations (parked fetches and produces), producer ids, the group and transaction coordinators and the writer
 * of transaction markers, the produce-time check of transactions other nodes coordinate (null on a single node),
 * and the authorizer every handler asks before acting. One per node; no global state.
 */
public record BrokerContext(int nodeId, String clusterId, BrokerConfig config, String advertisedHost,
                            int advertisedPort, ReplicaManager replicas, ControllerChannel controller,
                            DelayedOperations delayed, ProducerIdManager producerIds, GroupCoordinator groups,
                            OffsetsTopic offsetsTopic, TransactionTopic transactionTopic,
                            CoordinatorTopics coordinatorTopics, TransactionCoordinator transactions,
                            LocalMarkerWriter markers, CoordinatorLoader coordinatorLoads,
                            RemoteTransactionVerifier remoteTransactions,
                            Map<String, InetSocketAddress> advertisedListeners,
                            IntSupplier activeController, BrokerAuthorizer authorizer) {

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

    /** The brokers to tell a client that came in on {@code listenerName} about (see {@link ClusterBrokers}). */
    public List<ClusterBrokers.Broker> liveBrokers(String listenerName) {
        return ClusterBrokers.live(replicas.image().cluster(), self(listenerName), listenerName);
    }

    /** As {@link #liveBrokers}, with the fenced brokers too (marked) when {@code includeFenced}. */
    public List<ClusterBrokers.Broker> listedBrokers(String listenerName, boolean includeFenced) {
        return ClusterBrokers.listed(replicas.image().cluster(), self(listenerName), listenerName, includeFenced);
    }

    /** Broker {@code id} on {@code listenerName}, if clients may be sent to it. */
    public Optional<ClusterBrokers.Broker> broker(int id, String listenerName) {
        return ClusterBrokers.find(replicas.image().cluster(), self(listenerName), listenerName, id);
    }

    /** The controller id to report to clients among {@code live} brokers. */
    public int controllerId(List<ClusterBrokers.Broker> live) {
        return ClusterBrokers.controllerId(live, activeController.getAsInt());
    }

    /**
     * The node that coordinates a group or a transactional id: the leader of the key's partition of
     * {@code __consumer_offsets} or {@code __transaction_state}, as Kafka places coordinators; -1 when that
     * partition has no leader (or the topic is not there yet).
     */
    public int coordinatorNode(String key, CoordinatorType type) {
        String topic = type == CoordinatorType.GROUP ? Topic.GROUP_METADATA_TOPIC_NAME
                : Topic.TRANSACTION_STATE_TOPIC_NAME;
        int partition = type == CoordinatorType.GROUP ? offsetsTopic.partitionFor(key)
                : transactionTopic.partitionFor(key);
        TopicImage image = replicas.image().topic(topic);
        PartitionImage p = image == null ? null : image.partitions().get(partition);
        return p == null ? -1 : p.leader();
    }

    /** Whether this node coordinates {@code key} (else its requests are answered NOT_COORDINATOR). */
    public boolean coordinates(String key, CoordinatorType type) {
        return coordinatorNode(key, type) == nodeId;
    }

    /**
     * The error requests naming group {@code groupId} get before the coordinator sees them: NOT_COORDINATOR when
     * another node coordinates it (or none, while its partition has no leader), so the client looks the
     * coordinator up again; COORDINATOR_LOAD_IN_PROGRESS while this node leads its partition but is still reading
     * it ({@link CoordinatorLoader}); NONE when this node serves it. A null or empty id is left to the coordinator,
     * which refuses it as invalid: Kafka checks the id before the coordinator.
     */
    public Errors groupCoordinatorError(String groupId) {
        if (groupId == null || groupId.isEmpty()) {
            return Errors.NONE;
        }
        return coordinatorLoads.status(groupId, CoordinatorType.GROUP);
    }

    /** As {@link #groupCoordinatorError} for a transactional id. */
    public Errors transactionCoordinatorError(String transactionalId) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return Errors.NONE;
        }
        return coordinatorLoads.status(transactionalId, CoordinatorType.TRANSACTION);
    }

    /** Whether requests naming group {@code groupId} are refused ({@link #groupCoordinatorError} is not NONE). */
    public boolean notGroupCoordinator(String groupId) {
        return groupCoordinatorError(groupId) != Errors.NONE;
    }

    /** As {@link #notGroupCoordinator} for a transactional id. */
    public boolean notTransactionCoordinator(String transactionalId) {
        return transactionCoordinatorError(transactionalId) != Errors.NONE;
    }

    private ClusterBrokers.Broker self(String listenerName) {
        return ClusterBrokers.self(nodeId, advertised(listenerName), config.getString("broker.rack"));
    }
}
