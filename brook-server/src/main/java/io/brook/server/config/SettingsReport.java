package io.brook.server.config;

import org.apache.kafka.common.config.ConfigDef;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an operator must be told about the settings a node was given, decided without I/O: one warning
 * per setting Brook does not know ("... was supplied but isn't a known config", as Kafka says it), one per
 * setting Brook knows of but does not honour yet (saying what it does instead), and the effective values
 * with secrets masked as Kafka masks them.
 */
public final class SettingsReport {
    /** How Kafka prints a secret's value. */
    static final String HIDDEN = "[hidden]";

    /** Settings (by prefix, ending in '.') that Brook knows of and does not honour yet, and what it does instead. */
    private static final Map<String, String> NOT_HONOURED_PREFIXES = Map.of(
            "ssl.", "TLS is not supported yet: every listener is PLAINTEXT",
            "sasl.", "SASL is not supported yet: clients are not authenticated",
            "listener.name.", "per-listener settings are not supported yet: every listener is PLAINTEXT "
                    + "with the node's settings",
            "replica.", "replication is not supported yet: each partition has one replica, on this node",
            "quota.", "quotas are not supported yet: clients are not throttled",
            "controller.quorum.", "the metadata quorum (Apache Ratis) is tuned by controller.quorum.voters, "
                    + "controller.quorum.election.timeout.ms and controller.quorum.request.timeout.ms only");

    /** Settings under a not-honoured prefix that are honoured. */
    private static final Set<String> HONOURED_UNDER_PREFIX = Set.of("controller.quorum.voters",
            "controller.quorum.election.timeout.ms", "controller.quorum.request.timeout.ms");

    /** Settings Brook knows of and does not honour yet, and what it does instead. */
    private static final Map<String, String> NOT_HONOURED = Map.ofEntries(
            Map.entry("authorizer.class.name", "ACLs are not supported yet: every client may do everything, "
                    + "and the ACL APIs answer SECURITY_DISABLED"),
            Map.entry("super.users", "ACLs are not supported yet: every client may do everything"),
            Map.entry("allow.everyone.if.no.acl.found", "ACLs are not supported yet: every client may do everything"),
            Map.entry("security.inter.broker.protocol", "security is not supported yet: every listener is PLAINTEXT"),
            Map.entry("inter.broker.listener.name", "replication is not supported yet: brokers do not fetch from "
                    + "each other (requests to the controller go over the controller listener)"),
            Map.entry("principal.builder.class", "authentication is not supported yet: every client is anonymous"),
            Map.entry("connections.max.reauth.ms", "authentication is not supported yet: every client is anonymous"),
            Map.entry("num.replica.fetchers", "replication is not supported yet: each partition has one replica"),
            Map.entry("auto.leader.rebalance.enable", "replication is not supported yet: this node leads every "
                    + "partition"),
            Map.entry("log.preallocate", "segment files are never preallocated"),
            Map.entry("unclean.leader.election.enable", "replication is not supported yet: this node leads every "
                    + "partition"),
            Map.entry("client.quota.callback.class", "quotas are not supported yet: clients are not throttled"));

    private SettingsReport() {
    }

    /** One warning per supplied setting that has no effect, in key order. */
    public static List<String> warnings(Map<String, String> supplied, ConfigDef known) {
        List<String> warnings = new ArrayList<>();
        for (String key : new TreeMap<>(supplied).keySet()) {
            String instead = notHonoured(key);
            if (instead != null) {
                warnings.add("The setting " + key + " has no effect yet: " + instead + ".");
            } else if (!known.names().contains(key)) {
                warnings.add("The configuration '" + key + "' was supplied but isn't a known config.");
            }
        }
        return warnings;
    }

    private static String notHonoured(String key) {
        String instead = NOT_HONOURED.get(key);
        if (instead != null) {
            return instead;
        }
        if (HONOURED_UNDER_PREFIX.contains(key)) {
            return null;
        }
        for (Map.Entry<String, String> prefix : NOT_HONOURED_PREFIXES.entrySet()) {
            if (key.startsWith(prefix.getKey())) {
                return prefix.getValue();
            }
        }
        return null;
    }

    /** The effective value of every known setting, one per line in key order, secrets masked. */
    public static String effective(Map<String, Object> values, ConfigDef known) {
        StringBuilder out = new StringBuilder("Brook configuration values:");
        for (String key : new TreeMap<>(values).keySet()) {
            ConfigDef.ConfigKey definition = known.configKeys().get(key);
            Object value = values.get(key);
            boolean secret = definition != null && definition.type == ConfigDef.Type.PASSWORD || isSecretName(key);
            out.append("\n\t").append(key).append(" = ")
                    .append(secret && value != null ? HIDDEN : value instanceof List<?> list
                            ? String.join(",", list.stream().map(String::valueOf).toList()) : value);
        }
        return out.toString();
    }

    /** Names that hold secrets whatever their type: passwords, keys, secrets and JAAS configurations. */
    static boolean isSecretName(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.endsWith(".jaas.config") || k.endsWith(".key");
    }
}
