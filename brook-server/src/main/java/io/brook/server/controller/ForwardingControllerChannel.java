package io.brook.server.controller;

import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import io.brook.metadata.controller.AclControl.AclDeletion;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AllocateProducerIdsRequestData;
import org.apache.kafka.common.message.AllocateProducerIdsResponseData;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
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
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.UnregisterBrokerRequestData;
import org.apache.kafka.common.message.UnregisterBrokerResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.message.ControllerRegistrationRequestData;
import org.apache.kafka.common.message.ControllerRegistrationResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * {@link ControllerChannel} of a node that is not the active controller: each operation becomes
 * the Kafka request that names it (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * AllocateProducerIds, BrokerRegistration, BrokerHeartbeat, UnregisterBroker) with one entry (AlterPartition
 * with every partition the leader sent, at version 3) (CreateAcls and
 * DeleteAcls with all of theirs, answered one by one; AlterUserScramCredentials and ElectLeaders as the client sent
 * them), is sent
 * through {@code transport} to the active controller
 * ({@link ForwardedRequestServer} answers there), and the error code in the answer becomes the
 * same exception a local decision would have thrown.
 */
public final class ForwardingControllerChannel implements ControllerChannel {
    private final Function<ByteBuffer, CompletableFuture<ByteBuffer>> transport;

    /** @param transport sends a request's bytes to the active controller and completes with its answer */
    public ForwardingControllerChannel(Function<ByteBuffer, CompletableFuture<ByteBuffer>> transport) {
        this.transport = transport;
    }

    @Override
    public CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly) {
        CreateTopicsRequestData.CreatableTopic creatable = new CreateTopicsRequestData.CreatableTopic()
                .setName(topic.name()).setNumPartitions(topic.numPartitions())
                .setReplicationFactor(topic.replicationFactor());
        topic.assignments().forEach((partition, brokers) -> creatable.assignments().add(
                new CreateTopicsRequestData.CreatableReplicaAssignment().setPartitionIndex(partition)
                        .setBrokerIds(new ArrayList<>(brokers))));
        topic.configs().forEach((name, value) -> creatable.configs().add(
                new CreateTopicsRequestData.CreatableTopicConfig().setName(name).setValue(value)));
        CreateTopicsRequestData request = new CreateTopicsRequestData().setValidateOnly(validateOnly);
        request.topics().add(creatable);
        return call(ApiKeys.CREATE_TOPICS, request, CreateTopicsResponseData::new).thenApply(response -> {
            CreateTopicsResponseData.CreatableTopicResult result = response.topics().iterator().next();
            throwIfError(result.errorCode(), result.errorMessage());
            return new CreatedTopic(result.topicId(), result.numPartitions(), result.replicationFactor());
        });
    }

    @Override
    public CompletableFuture<DeletedTopic> deleteTopic(String name, Uuid id) {
        DeleteTopicsRequestData request = new DeleteTopicsRequestData();
        request.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName(name)
                .setTopicId(id == null ? Uuid.ZERO_UUID : id));
        return call(ApiKeys.DELETE_TOPICS, request, DeleteTopicsResponseData::new).thenApply(response -> {
            DeleteTopicsResponseData.DeletableTopicResult result = response.responses().iterator().next();
            throwIfError(result.errorCode(), result.errorMessage());
            return new DeletedTopic(result.name(), result.topicId());
        });
    }

    @Override
    public CompletableFuture<Void> createPartitions(String topic, int newCount, List<List<Integer>> assignments,
                                                    boolean validateOnly) {
        CreatePartitionsRequestData.CreatePartitionsTopic entry = new CreatePartitionsRequestData
                .CreatePartitionsTopic().setName(topic).setCount(newCount);
        if (assignments != null) {
            List<CreatePartitionsRequestData.CreatePartitionsAssignment> list = new ArrayList<>();
            for (List<Integer> brokers : assignments) {
                list.add(new CreatePartitionsRequestData.CreatePartitionsAssignment()
                        .setBrokerIds(new ArrayList<>(brokers)));
            }
            entry.setAssignments(list);
        } else {
            entry.setAssignments(null);
        }
        CreatePartitionsRequestData request = new CreatePartitionsRequestData().setValidateOnly(validateOnly);
        request.topics().add(entry);
        return call(ApiKeys.CREATE_PARTITIONS, request, CreatePartitionsResponseData::new).thenApply(response -> {
            CreatePartitionsResponseData.CreatePartitionsTopicResult result = response.results().get(0);
            throwIfError(result.errorCode(), result.errorMessage());
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides,
                                                     boolean validateOnly) {
        return alterConfigs(ConfigResource.Type.TOPIC, topic, overrides, validateOnly);
    }

    @Override
    public CompletableFuture<Void> alterBrokerConfigs(String resourceName, Map<String, String> configs,
                                                      boolean validateOnly) {
        return alterConfigs(ConfigResource.Type.BROKER, resourceName, configs, validateOnly);
    }

    /** AlterConfigs (the replacing form) of one resource. */
    private CompletableFuture<Void> alterConfigs(ConfigResource.Type type, String resourceName, Map<String, String> overrides,
                                                 boolean validateOnly) {
        AlterConfigsRequestData.AlterConfigsResource resource = new AlterConfigsRequestData.AlterConfigsResource()
                .setResourceType(type.id()).setResourceName(resourceName);
        overrides.forEach((name, value) -> resource.configs().add(
                new AlterConfigsRequestData.AlterableConfig().setName(name).setValue(value)));
        AlterConfigsRequestData request = new AlterConfigsRequestData().setValidateOnly(validateOnly);
        request.resources().add(resource);
        return call(ApiKeys.ALTER_CONFIGS, request, AlterConfigsResponseData::new).thenApply(response -> {
            AlterConfigsResponseData.AlterConfigsResourceResponse result = response.responses().get(0);
            throwIfError(result.errorCode(), result.errorMessage());
            return null;
        });
    }

    @Override
    public CompletableFuture<List<ApiError>> createAcls(List<AclBinding> bindings) {
        CreateAclsRequestData request = new CreateAclsRequestData();
        bindings.forEach(binding -> request.creations().add(CreateAclsRequest.aclCreation(binding)));
        return call(ApiKeys.CREATE_ACLS, request, CreateAclsResponseData::new).thenApply(response -> {
            if (response.results().size() != bindings.size()) {
                throw new IllegalStateException("the controller answered " + response.results().size()
                        + " ACL creations for " + bindings.size());
            }
            return response.results().stream().map(r -> new ApiError(Errors.forCode(r.errorCode()),
                    r.errorMessage())).toList();
        });
    }

    @Override
    public CompletableFuture<List<AclDeletion>> deleteAcls(List<AclBindingFilter> filters) {
        DeleteAclsRequestData request = new DeleteAclsRequestData();
        filters.forEach(filter -> request.filters().add(DeleteAclsRequest.deleteAclsFilter(filter)));
        return call(ApiKeys.DELETE_ACLS, request, DeleteAclsResponseData::new).thenApply(response -> {
            if (response.filterResults().size() != filters.size()) {
                throw new IllegalStateException("the controller answered " + response.filterResults().size()
                        + " ACL filters for " + filters.size());
            }
            return response.filterResults().stream().map(r -> new AclDeletion(
                    new ApiError(Errors.forCode(r.errorCode()), r.errorMessage()),
                    r.matchingAcls().stream().map(DeleteAclsResponse::aclBinding).toList())).toList();
        });
    }

    @Override
    public CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId) {
        AllocateProducerIdsRequestData request = new AllocateProducerIdsRequestData().setBrokerId(brokerId)
                .setBrokerEpoch(-1);
        return call(ApiKeys.ALLOCATE_PRODUCER_IDS, request, AllocateProducerIdsResponseData::new)
                .thenApply(response -> {
                    throwIfError(response.errorCode(), null);
                    return new ProducerIdBlock(response.producerIdStart(), response.producerIdLen());
                });
    }

    @Override
    public CompletableFuture<QuorumDescription> describeQuorum() {
        return call(ApiKeys.DESCRIBE_QUORUM, ForwardedRequests.describeMetadataQuorum(),
                DescribeQuorumResponseData::new).thenApply(response -> {
                    throwIfError(response.errorCode(), response.errorMessage());
                    DescribeQuorumResponseData.PartitionData partition = response.topics().get(0).partitions().get(0);
                    throwIfError(partition.errorCode(), partition.errorMessage());
                    return QuorumDescription.fromPartitionData(partition).withNodes(QuorumDescription.nodes(response));
                });
    }

    // ---- broker lifecycle (issue 18): the request data as the broker built it ----

    /** The refusal arrives as its error code only: Kafka's BrokerRegistrationResponse carries no message. */
    @Override
    public CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request) {
        return call(ApiKeys.BROKER_REGISTRATION, request, BrokerRegistrationResponseData::new)
                .thenApply(response -> {
                    throwIfError(response.errorCode(), null);
                    return response;
                });
    }

    /** The refusal arrives as its error code only: Kafka's BrokerHeartbeatResponse carries no message. */
    @Override
    public CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request) {
        return call(ApiKeys.BROKER_HEARTBEAT, request, BrokerHeartbeatResponseData::new).thenApply(response -> {
            throwIfError(response.errorCode(), null);
            return response;
        });
    }

    /** A refusal of the whole request arrives as its error code only; per-partition errors stay in the response. */
    @Override
    public CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(
            AssignReplicasToDirsRequestData request) {
        return call(ApiKeys.ASSIGN_REPLICAS_TO_DIRS, request, AssignReplicasToDirsResponseData::new)
                .thenApply(response -> {
                    throwIfError(response.errorCode(), null);
                    return response;
                });
    }

    @Override
    public CompletableFuture<Void> unregisterBroker(int brokerId) {
        return call(ApiKeys.UNREGISTER_BROKER, new UnregisterBrokerRequestData().setBrokerId(brokerId),
                UnregisterBrokerResponseData::new).thenApply(response -> {
                    throwIfError(response.errorCode(), response.errorMessage());
                    return null;
                });
    }

    /**
     * Sent at version 3 (ISR members with broker epochs); an ISR given as plain ids ({@code NewIsr}, the
     * version 2 field) travels as members of unknown epoch (-1, not checked), as it would not survive
     * version 3's encoding. A refusal of the whole request arrives as its error code only (the response
     * has no message field); per-partition errors stay in the response.
     */
    @Override
    public CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request) {
        AlterPartitionRequestData sent = request.duplicate();
        for (AlterPartitionRequestData.TopicData topic : sent.topics()) {
            for (AlterPartitionRequestData.PartitionData partition : topic.partitions()) {
                if (partition.newIsrWithEpochs().isEmpty() && !partition.newIsr().isEmpty()) {
                    for (int member : partition.newIsr()) {
                        partition.newIsrWithEpochs().add(new AlterPartitionRequestData.BrokerState()
                                .setBrokerId(member).setBrokerEpoch(-1));
                    }
                    partition.setNewIsr(new ArrayList<>());
                }
            }
        }
        return call(ApiKeys.ALTER_PARTITION, sent, AlterPartitionResponseData::new).thenApply(response -> {
            throwIfError(response.errorCode(), null);
            return response;
        });
    }

    // ---- leader elections (issue 19) ----

    /**
     * Sent as the client's request (every partition, or null for all); the per-partition answers stay in the
     * response, a refusal of the whole request becomes its exception.
     */
    @Override
    public CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request) {
        return call(ApiKeys.ELECT_LEADERS, request, ElectLeadersResponseData::new).thenApply(response -> {
            throwIfError(response.errorCode(), null);
            return response;
        });
    }

    // ---- partition reassignments (issue 19) ----

    /** Sent as the client's request; per-partition answers stay in the response, a whole refusal is thrown. */
    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponseData> alterPartitionReassignments(
            AlterPartitionReassignmentsRequestData request) {
        return call(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, request, AlterPartitionReassignmentsResponseData::new)
                .thenApply(response -> {
                    throwIfError(response.errorCode(), response.errorMessage());
                    return response;
                });
    }

    @Override
    public CompletableFuture<ListPartitionReassignmentsResponseData> listPartitionReassignments(
            ListPartitionReassignmentsRequestData request) {
        return call(ApiKeys.LIST_PARTITION_REASSIGNMENTS, request, ListPartitionReassignmentsResponseData::new)
                .thenApply(response -> {
                    throwIfError(response.errorCode(), response.errorMessage());
                    return response;
                });
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request) {
        return call(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, request, AlterUserScramCredentialsResponseData::new);
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponseData> alterClientQuotas(AlterClientQuotasRequestData request) {
        return call(ApiKeys.ALTER_CLIENT_QUOTAS, request, AlterClientQuotasResponseData::new);
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> updateFeatures(UpdateFeaturesRequestData request) {
        return call(ApiKeys.UPDATE_FEATURES, request, UpdateFeaturesResponseData::new);
    }

    /** A response data class read from the answer to a request of {@code version}. */
    private interface ResponseReader<R> {
        R read(org.apache.kafka.common.protocol.Readable readable, short version);
    }

    /**
     * ControllerRegistration, sent by a controller that votes in nothing: the active controller makes it an observer of
     * the metadata quorum. The answer carries the refusal, if any, as its error code and message.
     */
    public CompletableFuture<ControllerRegistrationResponseData> registerController(
            ControllerRegistrationRequestData request) {
        return call(ApiKeys.CONTROLLER_REGISTRATION, request, ControllerRegistrationResponseData::new);
    }

    private <R extends ApiMessage> CompletableFuture<R> call(ApiKeys api, ApiMessage request,
                                                             ResponseReader<R> reader) {
        return transport.apply(ForwardedRequests.encode(api, request))
                .thenApply(answer -> reader.read(ForwardedRequests.response(answer), api.latestVersion()));
    }

    private static void throwIfError(short code, String message) {
        Errors error = Errors.forCode(code);
        if (error != Errors.NONE) {
            throw error.exception(message);
        }
    }
}
