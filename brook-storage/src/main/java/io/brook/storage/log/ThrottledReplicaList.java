package io.brook.storage.log;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import java.util.List;

/**
 * The value of the topic configs {@code leader.replication.throttled.replicas} and
 * {@code follower.replication.throttled.replicas} (KIP-73): {@code *} (every replica of the topic) or a list of
 * {@code partition:broker} pairs. The storage layer only checks the format; the replication throttles read it.
 * Immutable, stateless.
 */
public final class ThrottledReplicaList {
    public static final String LEADER_CONFIG = "leader.replication.throttled.replicas";
    public static final String FOLLOWER_CONFIG = "follower.replication.throttled.replicas";
    public static final String WILDCARD = "*";

    private ThrottledReplicaList() {
    }

    /** Kafka's check: the wildcard alone, or {@code partition:broker} entries of non-negative integers. */
    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            @SuppressWarnings("unchecked")
            List<String> entries = value == null ? List.of() : ((List<String>) value).stream()
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            boolean wildcardOnly = entries.size() == 1 && entries.get(0).equals(WILDCARD);
            if (!wildcardOnly && !entries.stream().allMatch(e -> e.matches("[0-9]+:[0-9]+"))) {
                throw new ConfigException(name, value, name + " must be the literal '*' or a list of replicas in "
                        + "the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...");
            }
        }

        @Override
        public String toString() {
            return "[partitionId]:[brokerId],[partitionId]:[brokerId],...";
        }
    };

    /** Whether {@code value} (a valid list, or null / empty for none) names the replica of {@code partition} on {@code broker}. */
    public static boolean contains(String value, int partition, int broker) {
        if (value == null || value.isBlank()) {
            return false;
        }
        String wanted = partition + ":" + broker;
        for (String entry : value.split(",")) {
            String e = entry.trim();
            if (e.equals(WILDCARD) || e.equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
