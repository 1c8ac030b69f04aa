package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.quota.ControllerMutationQuotaManager;
import io.brook.server.quota.ControllerMutationQuotaManager.Mutations;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsAssignment;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * CreatePartitions: grows topics, with explicit assignments or round-robin placement. The partitions a topic gains
 * count against the client's {@code controller_mutation_rate} (KIP-599) just before it is forwarded, and are given
 * back when the controller refuses it; a validate-only request counts nothing.
 */
public final class CreatePartitionsHandler implements ApiHandler<CreatePartitionsRequestData> {
    private final BrokerContext broker;
    private final ControllerMutationQuotaManager mutationQuotas;

    public CreatePartitionsHandler(BrokerContext broker, ControllerMutationQuotaManager mutationQuotas) {
        this.broker = broker;
        this.mutationQuotas = mutationQuotas;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_PARTITIONS;
    }

    @Override
    public CompletableFuture<CreatePartitionsResponseData> handle(RequestContext context,
                                                                  CreatePartitionsRequestData request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicated = new HashSet<>();
        request.topics().forEach(t -> {
            if (!seen.add(t.name())) {
                duplicated.add(t.name());
            }
        });
        Mutations quota = mutationQuotas.forRequest(context.principal().getName(), context.clientId(),
                ControllerMutationQuotaManager.strict(ApiKeys.CREATE_PARTITIONS, context.apiVersion()));
        List<CompletableFuture<CreatePartitionsTopicResult>> results = new ArrayList<>();
        for (CreatePartitionsTopic topic : request.topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name());
            if (duplicated.contains(topic.name())) {
                results.add(CompletableFuture.completedFuture(fail(result,
                        new InvalidRequestException("Duplicate topic in request: " + topic.name()))));
                continue;
            }
            if (!Access.topic(broker, context, AclOperation.ALTER, topic.name())) {
                results.add(CompletableFuture.completedFuture(fail(result,
                        new org.apache.kafka.common.errors.TopicAuthorizationException(
                                "Not authorized to alter topic " + topic.name()))));
                continue;
            }
            List<List<Integer>> assignments = null;
            if (topic.assignments() != null) {
                assignments = new ArrayList<>();
                for (CreatePartitionsAssignment a : topic.assignments()) {
                    assignments.add(a.brokerIds());
                }
            }
            List<List<Integer>> requested = assignments;
            io.brook.metadata.image.TopicImage known = broker.replicas().image().topic(topic.name());
            // a topic unknown or not grown is refused by the controller
            int mutated = request.validateOnly() || known == null ? 0
                    : Math.max(0, topic.count() - known.partitions().size());
            try {
                quota.record(mutated);
            } catch (ThrottlingQuotaExceededException e) {
                results.add(CompletableFuture.completedFuture(fail(result, e)));
                continue;
            }
            CompletableFuture<Void> done = broker.controller().createPartitions(topic.name(), topic.count(),
                    requested, request.validateOnly());
            results.add(done.handle((ignored, e) -> {
                if (e == null) {
                    return result;
                }
                quota.refund(mutated);
                return fail(result, e);
            }));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            CreatePartitionsResponseData response = new CreatePartitionsResponseData()
                    .setThrottleTimeMs(quota.throttleTimeMs());
            results.forEach(r -> response.results().add(r.join()));
            return response;
        });
    }


    private static CreatePartitionsTopicResult fail(CreatePartitionsTopicResult result, Throwable e) {
        return result.setErrorCode(ErrorMapping.errorFor(e).code()).setErrorMessage(ErrorMapping.messageFor(e));
    }
}
