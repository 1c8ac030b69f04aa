package io.brook.coordinator.group;

import java.util.List;

/**
 * Group coordinator limits, under Kafka's broker setting names: {@code group.min.session.timeout.ms},
 * {@code group.max.session.timeout.ms}, {@code group.initial.rebalance.delay.ms},
 * {@code group.max.size}, {@code offset.metadata.max.bytes}, and for the consumer group protocol
 * (KIP-848) {@code group.consumer.session.timeout.ms}, {@code group.consumer.heartbeat.interval.ms},
 * {@code group.consumer.max.size} and {@code group.consumer.assignors} (the first is the default).
 */
public record GroupConfig(int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs,
                          int maxSize, int offsetMetadataMaxBytes, int consumerSessionTimeoutMs,
                          int consumerHeartbeatIntervalMs, int consumerMaxSize, List<String> consumerAssignors) {

    /** The classic-protocol limits given, Kafka's defaults for the consumer protocol. */
    public GroupConfig(int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs, int maxSize,
                       int offsetMetadataMaxBytes) {
        this(minSessionTimeoutMs, maxSessionTimeoutMs, initialRebalanceDelayMs, maxSize, offsetMetadataMaxBytes,
                45000, 5000, Integer.MAX_VALUE, List.of("uniform", "range"));
    }

    public static GroupConfig defaults() {
        return new GroupConfig(6000, 1800000, 3000, Integer.MAX_VALUE, 4096);
    }
}
