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
import java.util.function.Supplier;

/**
 * Read-your-writes for admin clients: the replica manager applies committed metadata on its own thread, after the
 * controller answered, so a handler that answered a write and then a read of the same client from this broker's
 * image could miss it (DescribeClientQuotas right after AlterClientQuotas, DescribeConfigs right after
 * IncrementalAlterConfigs). Each admin write through this channel but CreateTopics completes only once
 * {@code applied} does: the broker has applied every change committed when the write completed (bounded by the
 * caller's wait). Broker lifecycle calls (registration,
 * heartbeats, AlterPartition) and reads pass through untouched: the broker's own machinery must never wait on its
 * own publisher.
 *
 * <p>Thread-safety: stateless; callable from any thread.
 */
public final class AppliedWritesChannel implements ControllerChannel {
    private final ControllerChannel channel;
    private final Supplier<CompletableFuture<Void>> applied;

    /**
     * @param applied completes once this broker has applied every metadata change committed before the call (or
     *                its wait ran out): never on the thread that applies them
     */
    public AppliedWritesChannel(ControllerChannel channel, Supplier<CompletableFuture<Void>> applied) {
        this.channel = channel;
        this.applied = applied;
    }

    private <T> CompletableFuture<T> visible(CompletableFuture<T> write) {
        return write.thenCompose(result -> applied.get().thenApply(ignored -> result));
    }

    /**
     * At commit, as Kafka's CreateTopics: creating thousands of partition logs must not hold the answer (nor time the
     * client out). Metadata, DescribeTopicPartitions and the admin APIs that read topics wait for them instead
     * ({@code AfterCatchUp}).
     */
    @Override
    public CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly) {
        return channel.createTopic(topic, validateOnly);
    }

    @Override
    public CompletableFuture<DeletedTopic> deleteTopic(String name, Uuid id) {
        return visible(channel.deleteTopic(name, id));
    }

    @Override
    public CompletableFuture<Void> createPartitions(String topic, int newCount, List<List<Integer>> assignments,
                                                    boolean validateOnly) {
        return visible(channel.createPartitions(topic, newCount, assignments, validateOnly));
    }

    @Override
    public CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides,
                                                     boolean validateOnly) {
        return visible(channel.alterTopicConfigs(topic, overrides, validateOnly));
    }

    @Override
    public CompletableFuture<Void> alterBrokerConfigs(String resourceName, Map<String, String> configs,
                                                      boolean validateOnly) {
        return visible(channel.alterBrokerConfigs(resourceName, configs, validateOnly));
    }

    @Override
    public CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId) {
        return channel.allocateProducerIds(brokerId);
    }

    @Override
    public CompletableFuture<QuorumDescription> describeQuorum() {
        return channel.describeQuorum();
    }

    @Override
    public CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request) {
        return channel.registerBroker(request);
    }

    @Override
    public CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request) {
        return channel.brokerHeartbeat(request);
    }

    @Override
    public CompletableFuture<Void> unregisterBroker(int brokerId) {
        return channel.unregisterBroker(brokerId);
    }

    @Override
    public CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request) {
        return channel.alterPartition(request);
    }

    @Override
    public CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(
            AssignReplicasToDirsRequestData request) {
        return channel.assignReplicasToDirs(request);
    }

    @Override
    public CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request) {
        return visible(channel.electLeaders(request));
    }

    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponseData> alterPartitionReassignments(
            AlterPartitionReassignmentsRequestData request) {
        return visible(channel.alterPartitionReassignments(request));
    }

    @Override
    public CompletableFuture<ListPartitionReassignmentsResponseData> listPartitionReassignments(
            ListPartitionReassignmentsRequestData request) {
        return channel.listPartitionReassignments(request);
    }

    @Override
    public CompletableFuture<List<ApiError>> createAcls(List<AclBinding> bindings) {
        return visible(channel.createAcls(bindings));
    }

    @Override
    public CompletableFuture<List<AclDeletion>> deleteAcls(List<AclBindingFilter> filters) {
        return visible(channel.deleteAcls(filters));
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request) {
        return visible(channel.alterUserScramCredentials(request));
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponseData> alterClientQuotas(AlterClientQuotasRequestData request) {
        return visible(channel.alterClientQuotas(request));
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> updateFeatures(UpdateFeaturesRequestData request) {
        return visible(channel.updateFeatures(request));
    }
}
