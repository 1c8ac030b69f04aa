package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.quota.ControllerMutationQuotaManager;
import io.brook.server.quota.ControllerMutationQuotaManager.Mutations;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.errors.TopicDeletionDisabledException;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteTopics by name (all versions) or by topic id (v6+). Internal topics are refused. Each topic's partitions
 * count against the client's {@code controller_mutation_rate} (KIP-599) just before it is forwarded, and are given
 * back when the controller refuses the topic.
 */
public final class DeleteTopicsHandler implements ApiHandler<DeleteTopicsRequestData> {
    private final BrokerContext broker;
    private final ControllerMutationQuotaManager mutationQuotas;

    public DeleteTopicsHandler(BrokerContext broker, ControllerMutationQuotaManager mutationQuotas) {
        this.broker = broker;
        this.mutationQuotas = mutationQuotas;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_TOPICS;
    }

    @Override
    public CompletableFuture<DeleteTopicsResponseData> handle(RequestContext context,
                                                              DeleteTopicsRequestData request) {
        List<DeleteTopicState> targets = new ArrayList<>();
        if (context.apiVersion() >= 6) {
            targets.addAll(request.topics());
        } else {
            for (String name : request.topicNames()) {
                targets.add(new DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID));
            }
        }
        Mutations quota = mutationQuotas.forRequest(context.principal().getName(), context.clientId(),
                ControllerMutationQuotaManager.strict(ApiKeys.DELETE_TOPICS, context.apiVersion()));
        List<CompletableFuture<DeletableTopicResult>> results = new ArrayList<>();
        for (DeleteTopicState target : targets) {
            String name = target.name();
            if (name == null) {
                io.brook.metadata.image.TopicImage byId = broker.replicas().image().topic(target.topicId());
                name = byId == null ? null : byId.name();
            }
            if (name != null && !Access.topic(broker, context, AclOperation.DELETE, name)) {
                results.add(CompletableFuture.completedFuture(new DeletableTopicResult().setName(target.name())
                        .setTopicId(target.name() != null ? Uuid.ZERO_UUID : target.topicId())
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message())));
                continue;
            }
            results.add(delete(target, quota));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            DeleteTopicsResponseData response = new DeleteTopicsResponseData()
                    .setThrottleTimeMs(quota.throttleTimeMs());
            results.forEach(r -> response.responses().add(r.join()));
            return response;
        });
    }

    private CompletableFuture<DeletableTopicResult> delete(DeleteTopicState target, Mutations quota) {
        boolean byName = target.name() != null;
        DeletableTopicResult result = new DeletableTopicResult().setName(target.name())
                .setTopicId(byName ? Uuid.ZERO_UUID : target.topicId());
        if (byName && !Uuid.ZERO_UUID.equals(target.topicId())) {
            return CompletableFuture.completedFuture(fail(result, new InvalidRequestException(
                    "A topic must be named by its name or by its id, not both.")));
        }
        if (!broker.config().getBoolean("delete.topic.enable")) {
            return CompletableFuture.completedFuture(fail(result, new TopicDeletionDisabledException(
                    "Topic deletion is disabled (delete.topic.enable=false).")));
        }
        io.brook.metadata.image.TopicImage known = byName ? broker.replicas().image().topic(target.name())
                : broker.replicas().image().topic(target.topicId());
        int mutated = known == null ? 0 : known.partitions().size(); // an unknown topic is refused by the controller
        try {
            quota.record(mutated);
        } catch (ThrottlingQuotaExceededException e) {
            return CompletableFuture.completedFuture(fail(result, e));
        }
        CompletableFuture<ControllerChannel.DeletedTopic> deleted = broker.controller().deleteTopic(target.name(),
                byName ? null : target.topicId());
        return deleted.handle((topic, e) -> {
            if (e != null) {
                quota.refund(mutated);
                return fail(result, e);
            }
            return result.setName(topic.name()).setTopicId(topic.id());
        });
    }

    private static DeletableTopicResult fail(DeletableTopicResult result, Throwable e) {
        Errors error = ErrorMapping.errorFor(e);
        return result.setErrorCode(error.code()).setErrorMessage(ErrorMapping.messageFor(e));
    }
}
