package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** AlterConfigs (the legacy, non-incremental form): the given configs replace all of a topic's overrides or a broker's dynamic configs. */
public final class AlterConfigsHandler implements ApiHandler<AlterConfigsRequestData> {
    private final BrokerContext broker;

    public AlterConfigsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_CONFIGS;
    }

    @Override
    public CompletableFuture<AlterConfigsResponseData> handle(RequestContext context, AlterConfigsRequestData request) {
        List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsResource resource : request.resources()) {
            AlterConfigsResourceResponse result = new AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            CompletableFuture<Void> done;
            try {
                org.apache.kafka.common.errors.ApiException refused = Access.configs(broker, context,
                        AclOperation.ALTER_CONFIGS, resource.resourceType(), resource.resourceName());
                if (refused != null) {
                    throw refused;
                }
                done = alter(resource, request.validateOnly());
            } catch (RuntimeException e) {
                done = CompletableFuture.failedFuture(e);
            }
            results.add(done.handle((ok, e) -> e == null ? result
                    : result.setErrorCode(ErrorMapping.errorFor(e).code()).setErrorMessage(ErrorMapping.messageFor(e))));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            AlterConfigsResponseData response = new AlterConfigsResponseData();
            results.forEach(r -> response.responses().add(r.join()));
            return response;
        });
    }

    private CompletableFuture<Void> alter(AlterConfigsResource resource, boolean validateOnly) {
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        if (type == ConfigResource.Type.BROKER) { // the given configs replace all of the resource's dynamic ones
            Map<String, String> configs = new HashMap<>();
            for (AlterableConfig config : resource.configs()) {
                if (configs.put(config.name(), config.value()) != null) {
                    throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
                }
            }
            return TopicConfigChanges.applyBroker(broker, resource.resourceName(), configs, validateOnly);
        }
        if (type != ConfigResource.Type.TOPIC) {
            throw new InvalidRequestException("Brook does not alter configs of resource type " + type + " yet.");
        }
        TopicConfigChanges.requireTopic(broker, resource.resourceName());
        Map<String, String> overrides = new HashMap<>();
        for (AlterableConfig config : resource.configs()) {
            if (overrides.put(config.name(), config.value()) != null) {
                throw new InvalidRequestException("Config " + config.name() + " appears more than once.");
            }
        }
        return TopicConfigChanges.apply(broker, resource.resourceName(), overrides, validateOnly);
    }
}
