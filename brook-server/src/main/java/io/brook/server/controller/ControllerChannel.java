package io.brook.server.controller;

import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import io.brook.metadata.controller.AclControl.AclDeletion;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How a broker asks the active controller for a metadata change. Every operation completes once
 * the controller has committed its records (or with the {@link org.apache.kafka.common.errors.ApiException}
 * that refused it, carrying Kafka's error code and message); {@code validateOnly} decides the same
 * way without writing. The broker learns the change itself by following the metadata log.
 *
 * <p>On a node that is the active controller the call runs locally ({@link LocalControllerChannel});
 * elsewhere it is forwarded to the leader in Kafka's own request data ({@link ForwardingControllerChannel}).
 *
 * <p>Thread-safety: implementations may be called from any thread.
 */
public interface ControllerChannel {

    CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly);

    /** Deletes a topic named by {@code name}, or by {@code id} when the name is null. */
    CompletableFuture<DeletedTopic> deleteTopic(String name, Uuid id);

    /** Grows {@code topic} to {@code newCount} partitions; {@code assignments} (or null) places the new ones. */
    CompletableFuture<Void> createPartitions(String topic, int newCount, List<List<Integer>> assignments,
                                             boolean validateOnly);

    /** Replaces every config override of {@code topic} with {@code overrides}. */
    CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides, boolean validateOnly);

    /**
     * Replaces every dynamic config of a broker resource ({@code resourceName} a broker id, or "" for the
     * cluster-wide default) with {@code configs} (Kafka's ConfigRecords of resource type BROKER). The caller has
     * validated names and values.
     */
    CompletableFuture<Void> alterBrokerConfigs(String resourceName, Map<String, String> configs,
                                               boolean validateOnly);

    /** Reserves a block of producer ids for {@code brokerId}; completes with the block. */
    CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId);

    /** The metadata quorum as the active controller sees it (every voter's progress), for DescribeQuorum. */
    CompletableFuture<QuorumDescription> describeQuorum();
    // ---- broker lifecycle (issue 18): KRaft's BrokerRegistration, BrokerHeartbeat, UnregisterBroker ----

    /**
     * Registers a broker (a new incarnation replaces the old registration); completes with its broker
     * epoch once the registration is committed. Refusals: INCONSISTENT_CLUSTER_ID,
     * DUPLICATE_BROKER_REGISTRATION, UNSUPPORTED_VERSION (see {@code ClusterControl}).
     */
    CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request);

    /**
     * A broker's heartbeat: renews its session, reports its applied metadata offset, asks to be
     * (un)fenced or to shut down; completes with whether it is caught up, fenced and may shut down.
     * Refusals: BROKER_ID_NOT_REGISTERED, STALE_BROKER_EPOCH.
     */
    CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request);

    /** Removes a broker's registration (its leaderships move first). Refusal: BROKER_ID_NOT_REGISTERED. */
    CompletableFuture<Void> unregisterBroker(int brokerId);

    /**
     * A partition leader's AlterPartition (Kafka's API 56, version 3: topic ids, ISR members with their
     * broker epochs; decided by {@link io.brook.metadata.controller.IsrControl}). Completes, once any
     * change is committed, with the response: per partition an error code, or the partition's leader,
     * leader epoch, ISR, leader recovery state and partition epoch after the change. Refusal of the
     * whole request: STALE_BROKER_EPOCH (the sender is not registered with that epoch), NOT_CONTROLLER.
     */
    CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request);

    /**
     * A broker's AssignReplicasToDirs (Kafka's API 73, KIP-858): which of its log directories holds each replica named
     * (decided by {@link io.brook.metadata.controller.ClusterControl#assignReplicasToDirs}). Completes, once any change
     * is committed, with per-partition error codes. Refusal of the whole request: STALE_BROKER_EPOCH,
     * BROKER_ID_NOT_REGISTERED, NOT_CONTROLLER.
     */
    CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(AssignReplicasToDirsRequestData request);

    // ---- leader elections (issue 19) ----

    /**
     * Kafka's ElectLeaders (API 43; decided by {@link io.brook.metadata.controller.LeaderElection}): PREFERRED
     * or UNCLEAN elections for the partitions named (null: every partition). Completes, once the new
     * leaders are committed, with one result per partition (errors such as ELECTION_NOT_NEEDED or
     * PREFERRED_LEADER_NOT_AVAILABLE stay in the response). Refusal of the whole request: INVALID_REQUEST
     * (an unknown election type), NOT_CONTROLLER.
     */
    CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request);

    // ---- partition reassignments (issue 19, KIP-455) ----

    /**
     * Kafka's AlterPartitionReassignments (API 45; decided by {@link io.brook.metadata.controller.Reassignments}):
     * starts, replaces or (null replicas) cancels reassignments. Completes, once the changes are committed, with one
     * result per partition (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS,
     * INVALID_REPLICATION_FACTOR stay in the response). Refusal of the whole request: NOT_CONTROLLER.
     */
    CompletableFuture<AlterPartitionReassignmentsResponseData> alterPartitionReassignments(
            AlterPartitionReassignmentsRequestData request);

    /**
     * Kafka's ListPartitionReassignments (API 46): the reassignments in progress, from the active controller's image
     * (every one, or those of the partitions named). Refusal of the whole request: NOT_CONTROLLER.
     */
    CompletableFuture<ListPartitionReassignmentsResponseData> listPartitionReassignments(
            ListPartitionReassignmentsRequestData request);

    /** Creates ACLs; completes with one result per binding, in order (each succeeds or fails alone). */
    CompletableFuture<List<ApiError>> createAcls(List<AclBinding> bindings);

    /** Deletes the ACLs each filter matches; completes with one result per filter, in order. */
    CompletableFuture<List<AclDeletion>> deleteAcls(List<AclBindingFilter> filters);

    /**
     * Adds, replaces and deletes SCRAM credentials (Kafka's AlterUserScramCredentials, decided by
     * {@link io.brook.metadata.controller.ScramControl}); completes with the per-user results once written.
     */
    CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request);

    /**
     * Sets and removes client quotas (Kafka's AlterClientQuotas, decided by
     * {@link io.brook.metadata.controller.ClientQuotaControl}; {@code validateOnly} in the request writes nothing);
     * completes with the per-entity results once written.
     */
    CompletableFuture<AlterClientQuotasResponseData> alterClientQuotas(AlterClientQuotasRequestData request);

    /**
     * Changes finalized feature levels (Kafka's UpdateFeatures, decided by
     * {@link io.brook.metadata.controller.FeatureControl}; {@code validateOnly} in the request writes nothing);
     * completes with the answer once written.
     */
    CompletableFuture<UpdateFeaturesResponseData> updateFeatures(UpdateFeaturesRequestData request);

    /** A deleted topic's name and id. */
    record DeletedTopic(String name, Uuid id) {
    }

    /** Producer ids {@code [firstId, firstId + size)}, handed out to one broker. */
    record ProducerIdBlock(long firstId, int size) {
    }
}
