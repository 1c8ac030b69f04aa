package io.brook.coordinator.group;

/**
 * Group coordinator limits, under Kafka's broker setting names: {@code group.min.session.timeout.ms},
 * {@code group.max.session.timeout.ms}, {@code group.initial.rebalance.delay.ms},
 * {@code group.max.size} and {@code offset.metadata.max.bytes}.
 */
public record GroupConfig(int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs,
                          int maxSize, int offsetMetadataMaxBytes) {

    public static GroupConfig defaults() {
        return new GroupConfig(6000, 1800000, 3000, Integer.MAX_VALUE, 4096);
    }
}
