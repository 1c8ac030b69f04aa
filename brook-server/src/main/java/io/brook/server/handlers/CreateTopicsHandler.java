package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.quota.ControllerMutationQuotaManager;
import io.brook.server.quota.ControllerMutationQuotaManager.Mutations;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * CreateTopics: validates names, counts, assignments and configs, then writes the topics through
 * the controller. {@code validateOnly} runs the same decision against the current image without
 * writing anything. Each topic's partitions count against the client's {@code controller_mutation_rate}
 * (KIP-599) just before it is forwarded, after the checks made here, and are given back when the controller
 * refuses the topic; a validate-only request mutates nothing and counts nothing.
 */
public final class CreateTopicsHandler implements ApiHandler<CreateTopicsRequestData> {
    private final BrokerContext broker;
    private final ControllerMutationQuotaManager mutationQuotas;

    public CreateTopicsHandler(BrokerContext broker, ControllerMutationQuotaManager mutationQuotas) {
        this.broker = broker;
        this.mutationQuotas = mutationQuotas;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_TOPICS;
    }

    @Override
    public CompletableFuture<CreateTopicsResponseData> handle(RequestContext context,
                                                              CreateTopicsRequestData request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicated = new HashSet<>();
        for (CreatableTopic topic : request.topics()) {
            if (!seen.add(topic.name())) {
                duplicated.add(topic.name());
            }
        }
        Mutations quota = mutationQuotas.forRequest(context.principal().getName(), context.clientId(),
                ControllerMutationQuotaManager.strict(ApiKeys.CREATE_TOPICS, context.apiVersion()));
        List<CompletableFuture<CreatableTopicResult>> results = new ArrayList<>();
        // Kafka: CREATE on the cluster, or else on each topic; the configs answered need DESCRIBE_CONFIGS
        boolean clusterCreate = broker.authorizer().authorize(context, AclOperation.CREATE,
                org.apache.kafka.common.resource.ResourceType.CLUSTER,
                io.brook.server.security.acl.BrokerAuthorizer.CLUSTER, false);
        for (CreatableTopic topic : request.topics()) {
            if (!duplicated.contains(topic.name()) && !clusterCreate
                    && !Access.topic(broker, context, AclOperation.CREATE, topic.name())) {
                results.add(CompletableFuture.completedFuture(error(topic.name(),
                        new org.apache.kafka.common.errors.TopicAuthorizationException(
                                Errors.TOPIC_AUTHORIZATION_FAILED.message()))));
                continue;
            }
            boolean describeConfigs = Access.topic(broker, context, AclOperation.DESCRIBE_CONFIGS, topic.name());
            if (duplicated.contains(topic.name())) {
                results.add(CompletableFuture.completedFuture(error(topic.name(), new InvalidRequestException(
                        "Create topics request from client `" + context.clientId()
                                + "` contains multiple entries for the following topics: " + topic.name()))));
            } else {
                results.add(create(topic, request.validateOnly(), describeConfigs, quota));
            }
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            CreateTopicsResponseData response = new CreateTopicsResponseData()
                    .setThrottleTimeMs(quota.throttleTimeMs());
            for (CompletableFuture<CreatableTopicResult> result : results) {
                response.topics().add(result.join());
            }
            return response;
        });
    }

    private CompletableFuture<CreatableTopicResult> create(CreatableTopic topic, boolean validateOnly,
                                                           boolean describeConfigs, Mutations quota) {
        Map<String, String> configs = new LinkedHashMap<>();
        for (CreatableTopicConfig config : topic.configs()) {
            configs.put(config.name(), config.value());
        }
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        for (CreatableReplicaAssignment a : topic.assignments()) {
            assignments.put(a.partitionIndex(), a.brokerIds());
        }
        NewTopic newTopic = new NewTopic(topic.name(), topic.numPartitions(), topic.replicationFactor(),
                assignments, configs);
        try {
            TopicConfigs.validate(configs);
        } catch (ApiException e) {
            return CompletableFuture.completedFuture(error(topic.name(), e));
        }
        int mutated = validateOnly ? 0 : partitionsCreated(topic);
        try {
            quota.record(mutated);
        } catch (ThrottlingQuotaExceededException e) {
            return CompletableFuture.completedFuture(error(topic.name(), e));
        }
        CompletableFuture<CreatedTopic> created = broker.controller().createTopic(newTopic, validateOnly);
        return created.handle((result, e) -> {
            if (e != null) {
                quota.refund(mutated);
                return error(topic.name(), e instanceof CompletionException ? e.getCause() : e);
            }
            CreatableTopicResult answer = new CreatableTopicResult().setName(topic.name())
                    .setTopicId(validateOnly ? Uuid.ZERO_UUID : result.topicId());
            if (!describeConfigs) { // Kafka: the topic is created; its settings are not told
                return answer.setNumPartitions(-1).setReplicationFactor((short) -1).setConfigs(null)
                        .setTopicConfigErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
            }
            return answer.setNumPartitions(result.numPartitions())
                    .setReplicationFactor(result.replicationFactor())
                    .setConfigs(describeConfigs(configs));
        });
    }

    /**
     * The partitions {@code topic} would create, as the controller counts them: its count, else its assignments',
     * else {@code num.partitions}; none for a topic that exists already or a count the controller refuses.
     */
    private int partitionsCreated(CreatableTopic topic) {
        if (broker.replicas().image().topic(topic.name()) != null) {
            return 0;
        }
        if (topic.numPartitions() > 0) {
            return topic.numPartitions();
        }
        if (topic.numPartitions() != -1) {
            return 0;
        }
        return topic.assignments().isEmpty() ? broker.config().getInt("num.partitions") : topic.assignments().size();
    }

    private List<CreatableTopicConfigs> describeConfigs(Map<String, String> overrides) {
        List<CreatableTopicConfigs> list = new ArrayList<>();
        for (ConfigDescriber.Entry entry : ConfigDescriber.topicEntries(broker, overrides)) {
            list.add(new CreatableTopicConfigs().setName(entry.name()).setValue(entry.value())
                    .setReadOnly(false).setIsSensitive(false).setConfigSource(entry.source().id()));
        }
        return list;
    }

    private static CreatableTopicResult error(String name, Throwable e) {
        Errors error = Errors.forException(e);
        return new CreatableTopicResult().setName(name).setErrorCode(error.code())
                .setErrorMessage(e.getMessage() != null ? e.getMessage() : error.message())
                .setNumPartitions(-1).setReplicationFactor((short) -1)
                .setTopicConfigErrorCode(Errors.NONE.code());
    }

}
