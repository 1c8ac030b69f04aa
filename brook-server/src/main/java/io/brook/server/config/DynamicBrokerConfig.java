package io.brook.server.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Dynamic broker configs as KRaft keeps them: {@code ConfigRecord}s of resource type BROKER in the metadata log,
 * named by a broker id (that broker only) or "" (the cluster-wide default). A broker's effective config is, name by
 * name, its own dynamic value, else the cluster default, else its static {@code server.properties} value, else
 * Kafka's default (the sources DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG,
 * DEFAULT_CONFIG).
 *
 * <p>Only configs Brook applies at run time are dynamic ({@link #DYNAMIC}): the replication throttle rates (and the
 * copy rate of moves between log directories) and the
 * broker-level defaults of topic configs (topics without an override take them at once). Kafka's other dynamic
 * configs (thread counts, listeners, quotas of clients) are refused as Kafka refuses a static one. A TLS listener's
 * key material is changed per broker by its own path (not stored in the metadata).
 *
 * <p>Pure and stateless: the caller passes the static config and the image's broker configs.
 */
public final class DynamicBrokerConfig {
    public static final String LEADER_THROTTLED_RATE = "leader.replication.throttled.rate";
    public static final String FOLLOWER_THROTTLED_RATE = "follower.replication.throttled.rate";
    /** The copy rate of moves between this broker's log directories (AlterReplicaLogDirs). */
    public static final String ALTER_LOG_DIRS_RATE = "replica.alter.log.dirs.io.max.bytes.per.second";

    /** The broker configs that may be changed while the cluster runs. */
    public static final Set<String> DYNAMIC;

    static {
        Set<String> names = new LinkedHashSet<>(List.of(LEADER_THROTTLED_RATE, FOLLOWER_THROTTLED_RATE,
                ALTER_LOG_DIRS_RATE));
        names.addAll(BrokerConfig.topicDefaultNames());
        // the coarser units of the same topic defaults (the finer unit wins, as in a static file)
        names.addAll(List.of("log.roll.hours", "log.roll.jitter.hours", "log.retention.hours",
                "log.retention.minutes"));
        DYNAMIC = java.util.Collections.unmodifiableSet(names);
    }

    /** The resource name of the cluster-wide default. */
    public static final String CLUSTER_DEFAULT = "";

    private DynamicBrokerConfig() {
    }

    /** What the refusal of a static or unknown name adds to Kafka's message: what to do instead. */
    static final String REFUSED_HINT = "; set them in server.properties and restart the node (dynamic are the "
            + "replication throttle rates, the topic defaults such as log.retention.ms, and TLS key stores)";

    /**
     * Checks a broker resource's complete new set of dynamic configs before it is committed: the resource name is
     * "" or a broker id, every name is a dynamic broker config and every value parses and is in range.
     *
     * @throws InvalidRequestException as Kafka: "Cannot update these configs dynamically: [...]" for names that
     *                                 are static or unknown, "Invalid config value for resource ..." otherwise
     */
    public static void validate(String resourceName, Map<String, String> configs, BrokerConfig staticConfig) {
        if (!resourceName.equals(CLUSTER_DEFAULT) && !resourceName.matches("[0-9]+")) {
            throw new InvalidRequestException("Invalid broker name '" + resourceName + "': a broker id, or empty "
                    + "for the cluster-wide default");
        }
        Set<String> refused = new TreeSet<>();
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (!DYNAMIC.contains(e.getKey())) {
                refused.add(e.getKey());
            }
        }
        if (!refused.isEmpty()) {
            throw new InvalidRequestException("Cannot update these configs dynamically: " + refused + REFUSED_HINT);
        }
        Map<String, String> merged = new HashMap<>(staticConfig.originals());
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (e.getValue() == null) {
                throw invalid(resourceName, "null value for " + e.getKey());
            }
            merged.put(e.getKey(), e.getValue());
        }
        try {
            BrokerConfig.fromMap(merged);
        } catch (ConfigException | IllegalArgumentException e) {
            throw invalid(resourceName, e.getMessage());
        }
    }

    private static InvalidRequestException invalid(String resourceName, String message) {
        return new InvalidRequestException("Invalid config value for resource ConfigResource(type=BROKER, name='"
                + resourceName + "'): " + message);
    }

    /**
     * The effective config of broker {@code nodeId}: its static config overlaid with the cluster default and then
     * its own dynamic configs (only dynamic names are taken). A combination that does not parse (validated by an
     * older version, say) keeps the static config and is reported through the exception's message by the caller.
     *
     * @throws ConfigException when the overlaid config is invalid
     */
    public static BrokerConfig effective(BrokerConfig staticConfig, Map<String, Map<String, String>> brokerConfigs,
                                         int nodeId) {
        Map<String, String> merged = new HashMap<>(staticConfig.originals());
        boolean any = false;
        for (String resource : List.of(CLUSTER_DEFAULT, String.valueOf(nodeId))) {
            for (Map.Entry<String, String> e : brokerConfigs.getOrDefault(resource, Map.of()).entrySet()) {
                if (DYNAMIC.contains(e.getKey())) {
                    merged.put(e.getKey(), e.getValue());
                    any = true;
                }
            }
        }
        return any ? BrokerConfig.fromMap(merged) : staticConfig;
    }

    /** One value of a config and where it comes from. */
    public record Source(String name, String value, ConfigSource source) {
    }

    /**
     * The chain of values of broker config {@code key} for broker {@code nodeId}, most specific first (Kafka's
     * synonyms): per-broker dynamic, cluster-default dynamic, static, default. The first is the effective one.
     */
    public static List<Source> synonyms(ConfigDef.ConfigKey key, BrokerConfig staticConfig,
                                        Map<String, Map<String, String>> brokerConfigs, int nodeId) {
        List<Source> chain = new ArrayList<>();
        String own = brokerConfigs.getOrDefault(String.valueOf(nodeId), Map.of()).get(key.name);
        if (own != null) {
            chain.add(new Source(key.name, own, ConfigSource.DYNAMIC_BROKER_CONFIG));
        }
        String clusterDefault = brokerConfigs.getOrDefault(CLUSTER_DEFAULT, Map.of()).get(key.name);
        if (clusterDefault != null) {
            chain.add(new Source(key.name, clusterDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG));
        }
        if (staticConfig.isSet(key.name)) {
            chain.add(new Source(key.name, staticConfig.originals().get(key.name), ConfigSource.STATIC_BROKER_CONFIG));
        }
        String defaultValue = !key.hasDefault() || key.defaultValue == null ? null
                : ConfigDef.convertToString(key.defaultValue, key.type);
        chain.add(new Source(key.name, defaultValue, ConfigSource.DEFAULT_CONFIG));
        return chain;
    }
}
