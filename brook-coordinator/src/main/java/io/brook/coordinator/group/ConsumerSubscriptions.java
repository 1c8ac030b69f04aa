package io.brook.coordinator.group;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

import java.nio.ByteBuffer;
import java.util.List;

/** Reads the topics out of a consumer's subscription metadata (protocol type "consumer"). */
final class ConsumerSubscriptions {
    static final String PROTOCOL_TYPE = ConsumerProtocol.PROTOCOL_TYPE;

    private ConsumerSubscriptions() {
    }

    /** The subscribed topics, or none when the metadata cannot be read. */
    static List<String> topics(byte[] metadata) {
        if (metadata == null || metadata.length == 0) {
            return List.of();
        }
        try {
            return ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata)).topics();
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
