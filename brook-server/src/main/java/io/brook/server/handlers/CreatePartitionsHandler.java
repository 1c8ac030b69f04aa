package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.errors.InvalidRequestException;
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

/** CreatePartitions: grows topics, with explicit assignments or round-robin placement. */
public final class CreatePartitionsHandler implements ApiHandler<CreatePartitionsRequestData> {
    private final BrokerContext broker;

    public CreatePartitionsHandler(BrokerContext broker) {
        this.broker = broker;
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
            CompletableFuture<Void> done = broker.controller().createPartitions(topic.name(), topic.count(),
                    requested, request.validateOnly());
            results.add(done.handle((ignored, e) -> e == null ? result : fail(result, e)));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            CreatePartitionsResponseData response = new CreatePartitionsResponseData();
            results.forEach(r -> response.results().add(r.join()));
            return response;
        });
    }


    private static CreatePartitionsTopicResult fail(CreatePartitionsTopicResult result, Throwable e) {
        return result.setErrorCode(ErrorMapping.errorFor(e).code()).setErrorMessage(ErrorMapping.messageFor(e));
    }
}
