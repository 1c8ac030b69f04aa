package io.brook.server.handlers;

import io.brook.server.logging.LoggerLevels;
import io.brook.server.config.BrokerConfig;
import io.brook.storage.log.LogConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The effective configs of a topic or of this broker, each with where its value comes from and
 * the chain of synonyms Kafka reports (topic override, broker setting, default).
 */
final class ConfigDescriber {
    private ConfigDescriber() {
    }

    record Synonym(String name, String value, ConfigSource source) {
    }

    record Entry(String name, String value, ConfigSource source, ConfigType type, String documentation,
                 boolean sensitive, List<Synonym> synonyms) {
    }

    /** The node's loggers and their levels, as Kafka describes a BROKER_LOGGER resource. */
    static List<Entry> loggerEntries(LoggerLevels loggers) {
        List<Entry> entries = new ArrayList<>();
        loggers.levels().forEach((name, level) -> entries.add(new Entry(name, level,
                ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG, ConfigType.STRING, null, false, List.of())));
        return entries;
    }

    static List<Entry> topicEntries(BrokerContext broker, Map<String, String> overrides) {
        BrokerConfig config = broker.config();
        List<Entry> entries = new ArrayList<>();
        for (ConfigDef.ConfigKey key : LogConfig.CONFIG_DEF.configKeys().values()) {
            List<Synonym> synonyms = new ArrayList<>();
            String override = overrides.get(key.name);
            if (override != null) {
                synonyms.add(new Synonym(key.name, override, ConfigSource.TOPIC_CONFIG));
            }
            String brokerName = BrokerConfig.brokerSynonym(key.name);
            String brokerValue = config.topicDefaults().get(key.name);
            if (brokerName != null && config.isSet(brokerName)) {
                synonyms.add(new Synonym(brokerName, brokerValue, ConfigSource.STATIC_BROKER_CONFIG));
            }
            String defaultValue = brokerValue != null ? brokerValue : defaultString(key);
            synonyms.add(new Synonym(brokerName != null ? brokerName : key.name, defaultValue,
                    ConfigSource.DEFAULT_CONFIG));
            Synonym effective = synonyms.get(0);
            entries.add(new Entry(key.name, effective.value(), effective.source(), typeOf(key.type),
                    key.documentation, key.type == ConfigDef.Type.PASSWORD, synonyms));
        }
        return entries;
    }

    static List<Entry> brokerEntries(BrokerConfig config) {
        List<Entry> entries = new ArrayList<>();
        for (ConfigDef.ConfigKey key : BrokerConfig.CONFIG_DEF.configKeys().values()) {
            boolean sensitive = key.type == ConfigDef.Type.PASSWORD;
            List<Synonym> synonyms = new ArrayList<>();
            if (config.isSet(key.name)) {
                synonyms.add(new Synonym(key.name, sensitive ? null : config.originals().get(key.name),
                        ConfigSource.STATIC_BROKER_CONFIG));
            }
            synonyms.add(new Synonym(key.name, defaultString(key), ConfigSource.DEFAULT_CONFIG));
            Synonym effective = synonyms.get(0);
            entries.add(new Entry(key.name, effective.value(), effective.source(), typeOf(key.type),
                    key.documentation, sensitive, synonyms));
        }
        return entries;
    }

    private static String defaultString(ConfigDef.ConfigKey key) {
        if (!key.hasDefault() || key.defaultValue == null) {
            return null;
        }
        return ConfigDef.convertToString(key.defaultValue, key.type);
    }

    private static ConfigType typeOf(ConfigDef.Type type) {
        switch (type) {
            case BOOLEAN: return ConfigType.BOOLEAN;
            case STRING: return ConfigType.STRING;
            case INT: return ConfigType.INT;
            case SHORT: return ConfigType.SHORT;
            case LONG: return ConfigType.LONG;
            case DOUBLE: return ConfigType.DOUBLE;
            case LIST: return ConfigType.LIST;
            case CLASS: return ConfigType.CLASS;
            case PASSWORD: return ConfigType.PASSWORD;
            default: return ConfigType.UNKNOWN;
        }
    }
}
