package io.brook.server.handlers;

import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Applies a validated change of topic-level overrides through the controller, shared by
 * AlterConfigs and IncrementalAlterConfigs. Broker settings are static for now.
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

    static TopicImage requireTopic(BrokerContext broker, String topic) {
        TopicImage image = broker.replicas().image().topic(topic);
        if (image == null) {
            throw new UnknownTopicOrPartitionException("Topic '" + topic + "' does not exist.");
        }
        return image;
    }

    static InvalidRequestException brokerConfigsAreStatic() {
        return new InvalidRequestException("Brook does not change broker configs at runtime yet: set them in "
                + "server.properties (or with --override) and restart.");
    }
}
