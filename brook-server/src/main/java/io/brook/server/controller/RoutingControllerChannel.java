package io.brook.server.controller;

import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import io.brook.metadata.controller.AclControl.AclDeletion;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link ControllerChannel} of a node in a quorum of several controllers: each call runs on this
 * node's {@code local} channel while this node is the active controller, and is forwarded to the
 * active controller otherwise. Leadership that moves between the check and the decision makes the
 * local call fail with NOT_CONTROLLER (retriable), as Kafka's controller answers then.
 *
 * <p>Thread-safety: stateless; callable from any thread.
 */
public final class RoutingControllerChannel implements ControllerChannel {
    private final MetadataController controller;
    private final ControllerChannel local;
    private final ControllerChannel forwarding;

    public RoutingControllerChannel(MetadataController controller, ControllerChannel local,
                                    ControllerChannel forwarding) {
        this.controller = controller;
        this.local = local;
        this.forwarding = forwarding;
    }

    private ControllerChannel route() {
        return controller.isActive() ? local : forwarding;
    }

    @Override
    public CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly) {
        return route().createTopic(topic, validateOnly);
    }

    @Override
    public CompletableFuture<DeletedTopic> deleteTopic(String name, Uuid id) {
        return route().deleteTopic(name, id);
    }

    @Override
    public CompletableFuture<Void> createPartitions(String topic, int newCount, List<List<Integer>> assignments,
                                                    boolean validateOnly) {
        return route().createPartitions(topic, newCount, assignments, validateOnly);
    }

    @Override
    public CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides,
                                                     boolean validateOnly) {
        return route().alterTopicConfigs(topic, overrides, validateOnly);
    }

    @Override
    public CompletableFuture<Void> alterBrokerConfigs(String resourceName, Map<String, String> configs,
                                                      boolean validateOnly) {
        return route().alterBrokerConfigs(resourceName, configs, validateOnly);
    }

    @Override
    public CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId) {
        return route().allocateProducerIds(brokerId);
    }

    @Override
    public CompletableFuture<QuorumDescription> describeQuorum() {
        return route().describeQuorum();
    }

    @Override
    public CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request) {
        return route().registerBroker(request);
    }

    @Override
    public CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request) {
        return route().brokerHeartbeat(request);
    }

    @Override
    public CompletableFuture<Void> unregisterBroker(int brokerId) {
        return route().unregisterBroker(brokerId);
    }

    @Override
    public CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request) {
        return route().alterPartition(request);
    }

    @Override
    public CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(
            AssignReplicasToDirsRequestData request) {
        return route().assignReplicasToDirs(request);
    }

    // ---- leader elections (issue 19) ----

    @Override
    public CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request) {
        return route().electLeaders(request);
    }

    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponseData> alterPartitionReassignments(
            AlterPartitionReassignmentsRequestData request) {
        return route().alterPartitionReassignments(request);
    }

    @Override
    public CompletableFuture<ListPartitionReassignmentsResponseData> listPartitionReassignments(
            ListPartitionReassignmentsRequestData request) {
        return route().listPartitionReassignments(request);
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request) {
        return route().alterUserScramCredentials(request);
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponseData> alterClientQuotas(AlterClientQuotasRequestData request) {
        return route().alterClientQuotas(request);
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> updateFeatures(UpdateFeaturesRequestData request) {
        return route().updateFeatures(request);
    }

    @Override
    public CompletableFuture<List<ApiError>> createAcls(List<AclBinding> bindings) {
        return route().createAcls(bindings);
    }

    @Override
    public CompletableFuture<List<AclDeletion>> deleteAcls(List<AclBindingFilter> filters) {
        return route().deleteAcls(filters);
    }
}
