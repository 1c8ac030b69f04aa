package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.logging.LoggerLevels;
import io.brook.server.config.DynamicBrokerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** DescribeConfigs for topics and this broker, with sources, synonyms and documentation on request. */
public final class DescribeConfigsHandler implements ApiHandler<DescribeConfigsRequestData> {
    private final BrokerContext broker;
    private final LoggerLevels loggers;

    public DescribeConfigsHandler(BrokerContext broker, LoggerLevels loggers) {
        this.broker = broker;
        this.loggers = loggers;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CONFIGS;
    }

    @Override
    public CompletableFuture<DescribeConfigsResponseData> handle(RequestContext context,
                                                                 DescribeConfigsRequestData request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsResource resource : request.resources()) {
            org.apache.kafka.common.errors.ApiException refused = Access.configs(broker, context,
                    AclOperation.DESCRIBE_CONFIGS, resource.resourceType(), resource.resourceName());
            if (refused != null) {
                response.results().add(new DescribeConfigsResult().setResourceType(resource.resourceType())
                        .setResourceName(resource.resourceName())
                        .setErrorCode(Errors.forException(refused).code()).setErrorMessage(refused.getMessage()));
                continue;
            }
            response.results().add(describe(resource, request.includeSynonyms(), request.includeDocumentation()));
        }
        return CompletableFuture.completedFuture(response);
    }

    private DescribeConfigsResult describe(DescribeConfigsResource resource, boolean synonyms, boolean docs) {
        DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName());
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        List<ConfigDescriber.Entry> entries;
        if (type == ConfigResource.Type.TOPIC) {
            TopicImage topic = broker.replicas().image().topic(resource.resourceName());
            if (topic == null) {
                return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("Topic '" + resource.resourceName() + "' does not exist.");
            }
            entries = ConfigDescriber.topicEntries(broker, topic.configs());
        } else if (type == ConfigResource.Type.BROKER || type == ConfigResource.Type.BROKER_LOGGER) {
            if (!resource.resourceName().isEmpty()
                    && !resource.resourceName().equals(String.valueOf(broker.nodeId()))) {
                return result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Unexpected broker id, expected " + broker.nodeId() + " or empty string, "
                                + "but received " + resource.resourceName());
            }
            entries = type == ConfigResource.Type.BROKER ? ConfigDescriber.brokerEntries(broker.config(),
                    broker.replicas().image().brokerConfigs(), broker.nodeId(), resource.resourceName())
                    : ConfigDescriber.loggerEntries(loggers);
        } else {
            return result.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("Brook does not describe configs of resource type " + type + " yet.");
        }
        List<DescribeConfigsResourceResult> configs = new ArrayList<>();
        for (ConfigDescriber.Entry entry : entries) {
            if (resource.configurationKeys() != null && !resource.configurationKeys().contains(entry.name())) {
                continue;
            }
            DescribeConfigsResourceResult config = new DescribeConfigsResourceResult()
                    .setName(entry.name())
                    .setValue(entry.sensitive() ? null : entry.value())
                    // logger levels and dynamic broker configs can be changed
                    .setReadOnly(type == ConfigResource.Type.BROKER
                            && !DynamicBrokerConfig.DYNAMIC.contains(entry.name()))
                    .setConfigSource(entry.source().id())
                    .setIsSensitive(entry.sensitive())
                    .setConfigType(entry.type().id())
                    .setDocumentation(docs ? entry.documentation() : null);
            if (synonyms) {
                for (ConfigDescriber.Synonym s : entry.synonyms()) {
                    config.synonyms().add(new DescribeConfigsSynonym().setName(s.name()).setValue(s.value())
                            .setSource(s.source().id()));
                }
            }
            configs.add(config);
        }
        return result.setConfigs(configs);
    }
}
