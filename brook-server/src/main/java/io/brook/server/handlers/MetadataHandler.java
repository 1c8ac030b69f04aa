package io.brook.server.handlers;

import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.security.acl.BrokerAuthorizer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Metadata: brokers, controller and the requested topics. Unknown topics are created first when
 * the client allows it and {@code auto.create.topics.enable} is on; the answer waits for the
 * creation to be durable, so the client sees the new topic at once.
 *
 * <p>Authorization as Kafka's: a topic needs DESCRIBE; listing every topic leaves out those the principal may
 * not describe, naming one answers TOPIC_AUTHORIZATION_FAILED (by id too: ids are not secret); creating a
 * missing topic needs CREATE on the cluster or the topic, else the topic is answered TOPIC_AUTHORIZATION_FAILED.
 */
public final class MetadataHandler implements ApiHandler<MetadataRequestData> {
    /** Longest a Metadata request waits for this broker to apply the changes committed before it came. */
    static final long CATCH_UP_MAX_MS = 10_000;
    private final BrokerContext broker;

    public MetadataHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.METADATA;
    }

    @Override
    public CompletableFuture<MetadataResponseData> handle(RequestContext context, MetadataRequestData request) {
        short version = context.apiVersion();
        if (request.topics() != null && version < 12) { // Kafka's rule: the v10-11 answer has no room for either
            for (MetadataRequestTopic t : request.topics()) {
                if (t.name() == null || !Uuid.ZERO_UUID.equals(t.topicId())) {
                    return CompletableFuture.failedFuture(new InvalidRequestException("Metadata v" + version
                            + " requests name every topic and carry no topic ids; topic ids need v12 or later"));
                }
            }
        }
        if (request.topics() != null && request.topics().isEmpty()) { // brokers and controller only
            return answer(context, request, version);
        }
        // a topic the client was just told is created is listed once this broker hosts its partitions
        return broker.replicas().caughtUp(CATCH_UP_MAX_MS).thenCompose(caughtUp -> answer(context, request, version));
    }

    private CompletableFuture<MetadataResponseData> answer(RequestContext context, MetadataRequestData request,
                                                           short version) {
        boolean allowAutoCreate = (version < 4 || request.allowAutoTopicCreation())
                && broker.config().getBoolean("auto.create.topics.enable");
        MetadataImage image = broker.replicas().image();
        List<String> toCreate = new ArrayList<>();
        BrokerAuthorizer authorizer = broker.authorizer();
        List<String> refusedCreate = new ArrayList<>();
        if (request.topics() != null && allowAutoCreate) {
            for (MetadataRequestTopic t : request.topics()) {
                if (t.name() != null && image.topic(t.name()) == null && isValidName(t.name())
                        && !Topic.isInternal(t.name())
                        && authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name())) {
                    if (authorizer.authorize(context, AclOperation.CREATE, ResourceType.CLUSTER,
                            BrokerAuthorizer.CLUSTER, false)
                            || authorizer.authorize(context, AclOperation.CREATE, ResourceType.TOPIC, t.name())) {
                        toCreate.add(t.name());
                    } else {
                        refusedCreate.add(t.name());
                    }
                }
            }
        }
        List<CompletableFuture<?>> creations = new ArrayList<>();
        for (String name : toCreate) {
            NewTopic newTopic = new NewTopic(name, -1, (short) -1, Map.of(), Map.of());
            creations.add(broker.controller().createTopic(newTopic, false)
                    .exceptionally(e -> null)); // a concurrent creation or a collision: answered below
        }
        return CompletableFuture.allOf(creations.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> respond(context, request, broker.replicas().image(), version,
                        broker.liveBrokers(context.listenerName()), refusedCreate, toCreate));
    }

    private static boolean isValidName(String name) {
        try {
            Topic.validate(name);
            return true;
        } catch (InvalidTopicException e) {
            return false;
        }
    }

    private MetadataResponseData respond(RequestContext context, MetadataRequestData request, MetadataImage image,
                                         short version, List<ClusterBrokers.Broker> live, List<String> refusedCreate,
                                         List<String> autoCreated) {
        BrokerAuthorizer authorizer = broker.authorizer();
        MetadataResponseData response = new MetadataResponseData()
                .setClusterId(broker.clusterId())
                .setControllerId(broker.controllerId(live));
        for (ClusterBrokers.Broker b : live) {
            response.brokers().add(new MetadataResponseBroker().setNodeId(b.id()).setHost(b.host())
                    .setPort(b.port()).setRack(b.rack()));
        }
        Set<Integer> liveIds = live.stream().map(ClusterBrokers.Broker::id).collect(Collectors.toSet());
        Map<String, MetadataResponseTopic> topics = new LinkedHashMap<>();
        if (request.topics() == null) {
            image.topicsByName().values().stream()
                    .filter(t -> authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name(),
                            false))
                    .sorted((a, b) -> a.name().compareTo(b.name()))
                    .forEach(t -> topics.put(t.name(), describe(t, liveIds)));
        } else {
            for (MetadataRequestTopic requested : request.topics()) {
                boolean byId = requested.name() == null
                        || requested.name().isEmpty() && !Uuid.ZERO_UUID.equals(requested.topicId());
                if (byId) { // a topic id lookup (the consumer resolves the ids of its assignment this way)
                    TopicImage topic = image.topic(requested.topicId());
                    if (topic != null && !authorizer.authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                            topic.name())) {
                        topics.put(requested.topicId().toString(), new MetadataResponseTopic()
                                .setTopicId(requested.topicId()).setName(null)
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                        continue;
                    }
                    topics.put(requested.topicId().toString(), topic != null ? describe(topic, liveIds)
                            : new MetadataResponseTopic().setTopicId(requested.topicId()).setName(null)
                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                TopicImage topic = image.topic(requested.name());
                if (refusedCreate.contains(requested.name()) || isValidName(requested.name()) && !authorizer
                        .authorize(context, AclOperation.DESCRIBE, ResourceType.TOPIC, requested.name())) {
                    topics.put(requested.name(), new MetadataResponseTopic().setName(requested.name())
                            .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                            .setIsInternal(Topic.isInternal(requested.name())));
                } else if (topic != null) {
                    topics.put(topic.name(), describe(topic, liveIds));
                } else {
                    // as Kafka: a topic this request created is there once the broker has its partitions
                    Errors error = autoCreated.contains(requested.name()) ? Errors.LEADER_NOT_AVAILABLE
                            : isValidName(requested.name()) ? Errors.UNKNOWN_TOPIC_OR_PARTITION
                            : Errors.INVALID_TOPIC_EXCEPTION;
                    topics.put(requested.name(), new MetadataResponseTopic().setName(requested.name())
                            .setErrorCode(error.code()).setIsInternal(Topic.isInternal(requested.name())));
                }
            }
        }
        topics.values().forEach(response.topics()::add);
        return response;
    }

    /**
     * A topic's partitions; a partition without a leader carries LEADER_NOT_AVAILABLE (retriable), and the
     * replicas on brokers that are not listed (fenced, or gone) are its offline replicas.
     */
    private static MetadataResponseTopic describe(TopicImage topic, Set<Integer> live) {
        List<MetadataResponsePartition> partitions = new ArrayList<>();
        for (PartitionImage p : topic.partitions().values()) {
            partitions.add(new MetadataResponsePartition()
                    .setErrorCode(p.leader() < 0 ? Errors.LEADER_NOT_AVAILABLE.code() : Errors.NONE.code())
                    .setPartitionIndex(p.partition())
                    .setLeaderId(p.leader())
                    .setLeaderEpoch(p.leaderEpoch())
                    .setReplicaNodes(p.replicas())
                    .setIsrNodes(p.isr())
                    .setOfflineReplicas(p.replicas().stream().filter(r -> !live.contains(r)).toList()));
        }
        return new MetadataResponseTopic().setName(topic.name()).setTopicId(topic.id())
                .setIsInternal(topic.isInternal()).setPartitions(partitions);
    }
}
