package io.brook.server.handlers;

import io.brook.metadata.image.TopicImage;
import io.brook.server.config.DynamicBrokerConfig;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Applies a validated change of topic-level overrides through the controller, shared by
 * AlterConfigs and IncrementalAlterConfigs, and the same for dynamic broker configs.
 */
final class TopicConfigChanges {
    private TopicConfigChanges() {
    }

    /**
     * Replaces the overrides of {@code topic} with {@code newOverrides}; {@code validateOnly}
     * checks without writing.
     */
    static CompletableFuture<Void> apply(BrokerContext broker, String topic, Map<String, String> newOverrides,
                                         boolean validateOnly) {
        try {
            TopicConfigs.validate(newOverrides);
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
        return broker.controller().alterTopicConfigs(topic, newOverrides, validateOnly);
    }

    /**
     * Replaces the dynamic configs of a broker resource (this broker's id, or "" for the cluster default) with
     * {@code configs}, after Kafka's checks: a broker validates only its own per-broker configs (the admin client
     * sends them to that broker), every name must be dynamic and every value valid.
     */
    static CompletableFuture<Void> applyBroker(BrokerContext broker, String resourceName, Map<String, String> configs,
                                               boolean validateOnly) {
        try {
            if (!resourceName.isEmpty() && !resourceName.equals(String.valueOf(broker.nodeId()))) {
                throw new InvalidRequestException("Unexpected broker id, expected " + broker.nodeId()
                        + " or empty string, but received " + resourceName);
            }
            DynamicBrokerConfig.validate(resourceName, configs, broker.config());
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
        return broker.controller().alterBrokerConfigs(resourceName, configs, validateOnly);
    }

    /** The dynamic configs a broker resource has now ("" for the cluster default). */
    static Map<String, String> brokerConfigs(BrokerContext broker, String resourceName) {
        return broker.replicas().image().brokerConfigs().getOrDefault(resourceName, Map.of());
    }

    static TopicImage requireTopic(BrokerContext broker, String topic) {
        TopicImage image = broker.replicas().image().topic(topic);
        if (image == null) {
            throw new UnknownTopicOrPartitionException("Topic '" + topic + "' does not exist.");
        }
        return image;
    }
}
