package io.brook.server.handlers;

import io.brook.server.logging.LoggerLevels;
import io.brook.server.config.BrokerConfig;
import io.brook.server.config.DynamicBrokerConfig;
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
        Map<String, Map<String, String>> dynamic = broker.replicas().image().brokerConfigs();
        Map<String, String> effectiveDefaults = broker.replicas().effectiveConfigs(Map.of());
        List<Entry> entries = new ArrayList<>();
        for (ConfigDef.ConfigKey key : LogConfig.CONFIG_DEF.configKeys().values()) {
            List<Synonym> synonyms = new ArrayList<>();
            String override = overrides.get(key.name);
            if (override != null) {
                synonyms.add(new Synonym(key.name, override, ConfigSource.TOPIC_CONFIG));
            }
            String brokerName = BrokerConfig.brokerSynonym(key.name);
            String brokerValue = effectiveDefaults.get(key.name);
            if (brokerName != null) {
                ConfigDef.ConfigKey brokerKey = BrokerConfig.CONFIG_DEF.configKeys().get(brokerName);
                for (DynamicBrokerConfig.Source s : DynamicBrokerConfig.synonyms(brokerKey, config, dynamic,
                        broker.nodeId())) {
                    if (s.source() != ConfigSource.DEFAULT_CONFIG) {
                        synonyms.add(new Synonym(s.name(), s.value(), s.source()));
                    }
                }
            }
            String defaultValue = brokerValue != null ? brokerValue : defaultString(key);
            synonyms.add(new Synonym(brokerName != null ? brokerName : key.name, defaultValue,
                    ConfigSource.DEFAULT_CONFIG));
            Synonym effective = synonyms.get(0);
            // a topic default set through a coarser unit (log.retention.hours) shows the derived value
            String value = effective.source() == ConfigSource.TOPIC_CONFIG ? effective.value()
                    : brokerValue != null ? brokerValue : effective.value();
            entries.add(new Entry(key.name, value, effective.source(), typeOf(key.type),
                    key.documentation, key.type == ConfigDef.Type.PASSWORD, synonyms));
        }
        return entries;
    }

    /**
     * A broker resource as Kafka describes it: for a broker id, every broker config with its chain of sources
     * (per-broker dynamic, cluster-default dynamic, static, default); for "" (the cluster default), only the
     * dynamic defaults that are set.
     */
    static List<Entry> brokerEntries(BrokerConfig config, Map<String, Map<String, String>> dynamic, int nodeId,
                                     String resourceName) {
        List<Entry> entries = new ArrayList<>();
        for (ConfigDef.ConfigKey key : BrokerConfig.CONFIG_DEF.configKeys().values()) {
            boolean sensitive = key.type == ConfigDef.Type.PASSWORD;
            List<Synonym> synonyms = new ArrayList<>();
            for (DynamicBrokerConfig.Source s : DynamicBrokerConfig.synonyms(key, config, dynamic, nodeId)) {
                if (resourceName.isEmpty() && s.source() == ConfigSource.DYNAMIC_BROKER_CONFIG) {
                    continue; // the cluster default does not show one broker's own values
                }
                synonyms.add(new Synonym(s.name(), sensitive ? null : s.value(), s.source()));
            }
            Synonym effective = synonyms.get(0);
            if (resourceName.isEmpty() && effective.source() != ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG) {
                continue;
            }
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
