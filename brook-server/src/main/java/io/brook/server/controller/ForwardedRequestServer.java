package io.brook.server.controller;

import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.server.security.acl.AclMessages;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
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
import org.apache.kafka.common.message.ControllerRegistrationRequestData;
import org.apache.kafka.common.message.ControllerRegistrationResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.UnregisterBrokerRequestData;
import org.apache.kafka.common.message.UnregisterBrokerResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The active controller's side of {@link ForwardingControllerChannel}: decodes a forwarded request,
 * runs it through the local controller and encodes the answer, with the refusal (if any) as the
 * error code and message of the response. Exactly one entry per request, as the forwarding side sends.
 */
public final class ForwardedRequestServer {
    private final ControllerChannel local;
    /** Where brokers' Fetch / FetchSnapshot of the metadata log are answered from; null: not served. */
    private final io.brook.metadata.runtime.MetadataLogSource metadataLog;
    /** Where the fetching brokers are recorded for DescribeQuorum; null with {@link #metadataLog}. */
    private final MetadataObservers observers;
    /** Answers a controller's ControllerRegistration (it is made an observer of the quorum); null: not served. */
    private final Function<ControllerRegistrationRequestData, CompletableFuture<ControllerRegistrationResponseData>>
            controllerRegistrations;

    public ForwardedRequestServer(ControllerChannel local) {
        this(local, null, null, null);
    }

    /**
     * As {@link #ForwardedRequestServer(ControllerChannel)}, also serving broker-only nodes' metadata fetches from
     * {@code metadataLog} and recording the fetching brokers in {@code observers}.
     */
    public ForwardedRequestServer(ControllerChannel local, io.brook.metadata.runtime.MetadataLogSource metadataLog,
                                  MetadataObservers observers,
                                  Function<ControllerRegistrationRequestData,
                                          CompletableFuture<ControllerRegistrationResponseData>> registrations) {
        this.local = local;
        this.metadataLog = metadataLog;
        this.observers = observers;
        this.controllerRegistrations = registrations;
    }

    /** Answers one forwarded request; a request this node cannot read fails the future. */
    public CompletableFuture<ByteBuffer> serve(ByteBuffer frame) {
        ForwardedRequests.Request request;
        try {
            request = ForwardedRequests.decode(frame);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new InvalidRequestException(e.getMessage()));
        }
        short version = request.version();
        CompletableFuture<? extends ApiMessage> answer;
        try {
            answer = dispatch(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return answer.thenApply(response -> ForwardedRequests.encodeResponse(response, version));
    }

    private CompletableFuture<? extends ApiMessage> dispatch(ForwardedRequests.Request request) {
        short version = request.version();
        return switch (request.api()) {
            case CREATE_TOPICS -> createTopic(new CreateTopicsRequestData(request.body(), version));
            case DELETE_TOPICS -> deleteTopic(new DeleteTopicsRequestData(request.body(), version));
            case CREATE_PARTITIONS -> createPartitions(new CreatePartitionsRequestData(request.body(), version));
            case ALTER_CONFIGS -> alterConfigs(new AlterConfigsRequestData(request.body(), version));
            case CREATE_ACLS -> createAcls(new CreateAclsRequestData(request.body(), version));
            case DELETE_ACLS -> deleteAcls(new DeleteAclsRequestData(request.body(), version));
            case ALTER_CLIENT_QUOTAS -> local.alterClientQuotas(
                    new AlterClientQuotasRequestData(request.body(), version));
            case UPDATE_FEATURES -> local.updateFeatures(new UpdateFeaturesRequestData(request.body(), version));
            case ALTER_USER_SCRAM_CREDENTIALS -> local.alterUserScramCredentials(
                    new AlterUserScramCredentialsRequestData(request.body(), version));
            case ALLOCATE_PRODUCER_IDS ->
                    allocateProducerIds(new AllocateProducerIdsRequestData(request.body(), version));
            case DESCRIBE_QUORUM -> local.describeQuorum().thenApply(quorum -> {
                DescribeQuorumResponseData response = new DescribeQuorumResponseData();
                response.topics().add(new DescribeQuorumResponseData.TopicData()
                        .setTopicName(ForwardedRequests.METADATA_TOPIC)
                        .setPartitions(new ArrayList<>(List.of(quorum.toPartitionData()))));
                return quorum.addNodes(response, version);
            });
            // broker lifecycle (issue 18)
            case BROKER_REGISTRATION -> registerBroker(new BrokerRegistrationRequestData(request.body(), version));
            case BROKER_HEARTBEAT -> brokerHeartbeat(new BrokerHeartbeatRequestData(request.body(), version));
            case UNREGISTER_BROKER -> unregisterBroker(new UnregisterBrokerRequestData(request.body(), version));
            case ALTER_PARTITION -> alterPartition(new AlterPartitionRequestData(request.body(), version));
            case ASSIGN_REPLICAS_TO_DIRS -> assignReplicasToDirs(
                    new AssignReplicasToDirsRequestData(request.body(), version));
            // leader elections (issue 19)
            case ELECT_LEADERS -> electLeaders(new ElectLeadersRequestData(request.body(), version));
            // partition reassignments (issue 19)
            case ALTER_PARTITION_REASSIGNMENTS -> local.alterPartitionReassignments(
                    new AlterPartitionReassignmentsRequestData(request.body(), version)).handle((response, e) -> {
                        if (e == null) {
                            return response;
                        }
                        AlterPartitionReassignmentsResponseData refused = new AlterPartitionReassignmentsResponseData();
                        setError(e, refused::setErrorCode, refused::setErrorMessage);
                        return refused;
                    });
            case LIST_PARTITION_REASSIGNMENTS -> local.listPartitionReassignments(
                    new ListPartitionReassignmentsRequestData(request.body(), version)).handle((response, e) -> {
                        if (e == null) {
                            return response;
                        }
                        ListPartitionReassignmentsResponseData refused = new ListPartitionReassignmentsResponseData();
                        setError(e, refused::setErrorCode, refused::setErrorMessage);
                        return refused;
                    });
            // broker-only nodes follow the metadata log (issue 18)
            case FETCH -> metadataLog == null ? notServed(request) : MetadataFetches.serveFetch(metadataLog,
                    new org.apache.kafka.common.message.FetchRequestData(request.body(), version), observers);
            case FETCH_SNAPSHOT -> metadataLog == null ? notServed(request) : MetadataFetches.serveFetchSnapshot(
                    metadataLog, new org.apache.kafka.common.message.FetchSnapshotRequestData(request.body(), version));
            // a controller that votes in nothing asks to observe the quorum (issue 18)
            case CONTROLLER_REGISTRATION -> controllerRegistrations == null ? notServed(request)
                    : controllerRegistrations.apply(new ControllerRegistrationRequestData(request.body(), version));
            default -> CompletableFuture.failedFuture(new InvalidRequestException(
                    request.api() + " is not an operation of the controller"));
        };
    }

    private static CompletableFuture<ApiMessage> notServed(ForwardedRequests.Request request) {
        return CompletableFuture.failedFuture(new InvalidRequestException(request.api()
                + " of the metadata log is not served by this controller"));
    }

    private CompletableFuture<CreateTopicsResponseData> createTopic(CreateTopicsRequestData request) {
        CreateTopicsRequestData.CreatableTopic topic = single(request.topics());
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        topic.assignments().forEach(a -> assignments.put(a.partitionIndex(), a.brokerIds()));
        Map<String, String> configs = new LinkedHashMap<>();
        topic.configs().forEach(c -> configs.put(c.name(), c.value()));
        NewTopic newTopic = new NewTopic(topic.name(), topic.numPartitions(), topic.replicationFactor(),
                assignments, configs);
        return local.createTopic(newTopic, request.validateOnly()).handle((created, e) -> {
            CreateTopicsResponseData.CreatableTopicResult result = new CreateTopicsResponseData
                    .CreatableTopicResult().setName(topic.name());
            if (e != null) {
                setError(e, result::setErrorCode, result::setErrorMessage);
            } else {
                result.setTopicId(created.topicId()).setNumPartitions(created.numPartitions())
                        .setReplicationFactor(created.replicationFactor());
            }
            CreateTopicsResponseData response = new CreateTopicsResponseData();
            response.topics().add(result);
            return response;
        });
    }

    private CompletableFuture<DeleteTopicsResponseData> deleteTopic(DeleteTopicsRequestData request) {
        DeleteTopicsRequestData.DeleteTopicState topic = single(request.topics());
        Uuid id = Uuid.ZERO_UUID.equals(topic.topicId()) ? null : topic.topicId();
        return local.deleteTopic(topic.name(), id).handle((deleted, e) -> {
            DeleteTopicsResponseData.DeletableTopicResult result = new DeleteTopicsResponseData
                    .DeletableTopicResult().setName(topic.name()).setTopicId(topic.topicId());
            if (e != null) {
                setError(e, result::setErrorCode, result::setErrorMessage);
            } else {
                result.setName(deleted.name()).setTopicId(deleted.id());
            }
            DeleteTopicsResponseData response = new DeleteTopicsResponseData();
            response.responses().add(result);
            return response;
        });
    }

    private CompletableFuture<CreatePartitionsResponseData> createPartitions(CreatePartitionsRequestData request) {
        CreatePartitionsRequestData.CreatePartitionsTopic topic = single(request.topics());
        List<List<Integer>> assignments = null;
        if (topic.assignments() != null) {
            assignments = new ArrayList<>();
            for (CreatePartitionsRequestData.CreatePartitionsAssignment a : topic.assignments()) {
                assignments.add(a.brokerIds());
            }
        }
        return local.createPartitions(topic.name(), topic.count(), assignments, request.validateOnly())
                .handle((ignored, e) -> {
                    CreatePartitionsResponseData.CreatePartitionsTopicResult result = new CreatePartitionsResponseData
                            .CreatePartitionsTopicResult().setName(topic.name());
                    if (e != null) {
                        setError(e, result::setErrorCode, result::setErrorMessage);
                    }
                    CreatePartitionsResponseData response = new CreatePartitionsResponseData();
                    response.results().add(result);
                    return response;
                });
    }

    private CompletableFuture<AlterConfigsResponseData> alterConfigs(AlterConfigsRequestData request) {
        AlterConfigsRequestData.AlterConfigsResource resource = single(request.resources());
        AlterConfigsResponseData.AlterConfigsResourceResponse result = new AlterConfigsResponseData
                .AlterConfigsResourceResponse().setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName());
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        response.responses().add(result);
        boolean topic = resource.resourceType() == ConfigResource.Type.TOPIC.id();
        if (!topic && resource.resourceType() != ConfigResource.Type.BROKER.id()) {
            setError(new InvalidRequestException("Only topic and broker configs are changed through the controller"),
                    result::setErrorCode, result::setErrorMessage);
            return CompletableFuture.completedFuture(response);
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
        CompletableFuture<Void> done = topic
                ? local.alterTopicConfigs(resource.resourceName(), overrides, request.validateOnly())
                : local.alterBrokerConfigs(resource.resourceName(), overrides, request.validateOnly());
        return done
                .handle((ignored, e) -> {
                    if (e != null) {
                        setError(e, result::setErrorCode, result::setErrorMessage);
                    }
                    return response;
                });
    }

    private CompletableFuture<AllocateProducerIdsResponseData> allocateProducerIds(
            AllocateProducerIdsRequestData request) {
        return local.allocateProducerIds(request.brokerId()).handle((block, e) -> {
            AllocateProducerIdsResponseData response = new AllocateProducerIdsResponseData();
            if (e != null) {
                setError(e, response::setErrorCode, message -> response);
            } else {
                response.setProducerIdStart(block.firstId()).setProducerIdLen(block.size());
            }
            return response;
        });
    }

    // ---- broker lifecycle (issue 18) ----

    private CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request) {
        return local.registerBroker(request).handle((response, e) -> {
            if (e == null) {
                return response;
            }
            BrokerRegistrationResponseData refused = new BrokerRegistrationResponseData().setBrokerEpoch(-1);
            setError(e, refused::setErrorCode, message -> refused);
            return refused;
        });
    }

    private CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request) {
        return local.brokerHeartbeat(request).handle((response, e) -> {
            if (e == null) {
                return response;
            }
            BrokerHeartbeatResponseData refused = new BrokerHeartbeatResponseData();
            setError(e, refused::setErrorCode, message -> refused);
            return refused;
        });
    }

    /** Per-partition errors as decided; a refusal of the whole request is its code. */
    private CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(
            AssignReplicasToDirsRequestData request) {
        return local.assignReplicasToDirs(request).handle((response, e) -> {
            if (e == null) {
                return response;
            }
            AssignReplicasToDirsResponseData refused = new AssignReplicasToDirsResponseData();
            setError(e, refused::setErrorCode, message -> refused);
            return refused;
        });
    }

    /** Every partition in one request, as the leader sent them; a refusal of the whole request is its code. */
    private CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request) {
        return local.alterPartition(request).handle((response, e) -> {
            if (e == null) {
                return response;
            }
            AlterPartitionResponseData refused = new AlterPartitionResponseData();
            setError(e, refused::setErrorCode, message -> refused);
            return refused;
        });
    }

    // ---- leader elections (issue 19) ----

    /** Every partition as the client named them; a refusal of the whole request is the top-level error code. */
    private CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request) {
        return local.electLeaders(request).handle((response, e) -> {
            if (e == null) {
                return response;
            }
            ElectLeadersResponseData refused = new ElectLeadersResponseData();
            setError(e, refused::setErrorCode, message -> refused);
            return refused;
        });
    }

    private CompletableFuture<UnregisterBrokerResponseData> unregisterBroker(UnregisterBrokerRequestData request) {
        return local.unregisterBroker(request.brokerId()).handle((ignored, e) -> {
            UnregisterBrokerResponseData response = new UnregisterBrokerResponseData();
            if (e != null) {
                setError(e, response::setErrorCode, response::setErrorMessage);
            }
            return response;
        });
    }

    private CompletableFuture<CreateAclsResponseData> createAcls(CreateAclsRequestData request) {
        return local.createAcls(request.creations().stream().map(CreateAclsRequest::aclBinding).toList())
                .thenApply(results -> {
                    CreateAclsResponseData response = new CreateAclsResponseData();
                    results.forEach(r -> response.results().add(new CreateAclsResponseData.AclCreationResult()
                            .setErrorCode(r.error().code()).setErrorMessage(r.message())));
                    return response;
                });
    }

    private CompletableFuture<DeleteAclsResponseData> deleteAcls(DeleteAclsRequestData request) {
        List<AclBindingFilter> filters = request.filters().stream().map(AclMessages::filter).toList();
        return local.deleteAcls(filters).thenApply(results -> {
            DeleteAclsResponseData response = new DeleteAclsResponseData();
            results.forEach(r -> response.filterResults().add(new DeleteAclsResponseData.DeleteAclsFilterResult()
                    .setErrorCode(r.error().error().code()).setErrorMessage(r.error().message())
                    .setMatchingAcls(r.deleted().stream().map(acl -> DeleteAclsResponse.matchingAcl(acl,
                            ApiError.NONE)).toList())));
            return response;
        });
    }

    private static <T> T single(Collection<T> entries) {
        if (entries.size() != 1) {
            throw new InvalidRequestException("a forwarded request carries exactly one entry, not "
                    + entries.size());
        }
        return entries.iterator().next();
    }

    private static void setError(Throwable e, Function<Short, ?> code,
                                 Function<String, ?> message) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        Errors error = Errors.forException(cause);
        code.apply(error.code());
        message.apply(cause instanceof ApiException && cause.getMessage() != null ? cause.getMessage()
                : error.message());
    }
}
