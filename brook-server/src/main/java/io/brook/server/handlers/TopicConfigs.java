package io.brook.server.handlers;

import io.brook.storage.log.LogConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;

import java.util.HashMap;
import java.util.Map;

/** Validation of topic-level config overrides, shared by topic creation and config changes. */
final class TopicConfigs {
    private TopicConfigs() {
    }

    /**
     * Checks that every key is a topic config Brook knows and every value parses.
     *
     * @throws InvalidConfigurationException naming the offending key
     */
    static void validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (!LogConfig.CONFIG_DEF.names().contains(e.getKey())) {
                throw new InvalidConfigurationException("Unknown topic config name: " + e.getKey());
            }
            if (e.getValue() == null) {
                throw new InvalidConfigurationException("Null value not supported for topic config: " + e.getKey());
            }
        }
        try {
            LogConfig.fromMap(new HashMap<>(overrides));
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }
}
