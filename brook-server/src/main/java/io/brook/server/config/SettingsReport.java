package io.brook.server.config;

import org.apache.kafka.common.config.ConfigDef;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

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
            "sasl.", "of SASL, Brook serves PLAIN, SCRAM and OAUTHBEARER (sasl.enabled.mechanisms, sasl.jaas.config, "
                    + "sasl.server.max.receive.size, the sasl.oauthbearer.* settings of token validation) only",
            "listener.name.", "per-listener settings other than TLS (ssl.*), SASL and the connection limits "
                    + "(max.connections, max.connection.creation.rate) are not supported yet: "
                    + "every listener has the node's settings",
            "replica.", "the replica fetchers use Kafka's defaults (replica.fetch.wait.max.ms 500, "
                    + "replica.fetch.max.bytes 1 MiB, replica.fetch.response.max.bytes 10 MiB, "
                    + "replica.fetch.backoff.ms 1000)",
            "quota.", "of the quota settings only quota.window.num and quota.window.size.seconds are honoured "
                    + "(client quotas are set with kafka-configs --entity-type users/clients)",
            "share.", "share groups (KIP-932) are not served, so their settings have no effect",
            "controller.quorum.", "the metadata quorum (Apache Ratis) is named by controller.quorum.voters or "
                    + "controller.quorum.bootstrap.servers and tuned by controller.quorum.election.timeout.ms and "
                    + "controller.quorum.request.timeout.ms only");

    /** Settings under a not-honoured prefix that are honoured. */
    private static final Set<String> HONOURED_UNDER_PREFIX = Set.of("controller.quorum.voters",
            "controller.quorum.bootstrap.servers",
            "controller.quorum.election.timeout.ms", "controller.quorum.request.timeout.ms",
            "replica.lag.time.max.ms", "replica.high.watermark.checkpoint.interval.ms", "replica.socket.timeout.ms",
            "replica.socket.receive.buffer.bytes", "replica.selector.class", "quota.window.num",
            "quota.window.size.seconds");

    /** Settings Brook knows of and does not honour yet, and what it does instead. */
    private static final Map<String, String> NOT_HONOURED = Map.ofEntries(
            Map.entry("principal.builder.class", "a custom principal builder is not supported: SASL clients are "
                    + "User:<name>, TLS clients their mapped certificate name, others anonymous"),
            Map.entry("num.replica.fetchers", "a broker runs one replica fetcher thread per leader broker"),
            Map.entry("log.preallocate", "segment files are never preallocated"),
            Map.entry("client.quota.callback.class", "a custom quota callback is not supported: Kafka's default "
                    + "precedence of user and client-id quotas applies"));

    private SettingsReport() {
    }

    /** One warning per supplied setting that has no effect, in key order. */
    public static List<String> warnings(Map<String, String> supplied, ConfigDef known) {
        List<String> warnings = new ArrayList<>();
        for (String key : new TreeMap<>(supplied).keySet()) {
            if (honouredPerListener(key)) {
                continue;
            }
            String instead = notHonoured(key);
            if (instead != null) {
                warnings.add("The setting " + key + " has no effect yet: " + instead + ".");
            } else if (!known.names().contains(key) && !TlsSettings.isTlsKey(key) && !HONOURED_SASL.contains(key)) {
                warnings.add("The configuration '" + key + "' was supplied but isn't a known config.");
            }
        }
        return warnings;
    }

    /** The settings of the inter-broker OAUTHBEARER login (InterBrokerSettings.OAUTHBEARER_LOGIN_KEYS). */
    private static final List<String> OAUTHBEARER_LOGIN = List.of("sasl.login.callback.handler.class",
            "sasl.oauthbearer.token.endpoint.url");

    /** The sasl.* settings Brook honours (the prefix's other settings are not). */
    private static final List<String> HONOURED_SASL = Stream.of(Stream.of(
            "sasl.enabled.mechanisms", "sasl.jaas.config", "sasl.server.max.receive.size",
            "sasl.mechanism.inter.broker.protocol"), OAuthBearerSettings.HONOURED.stream(), OAUTHBEARER_LOGIN.stream())
            .flatMap(s -> s).toList();

    /** Per-listener settings Brook honours: listener.name.<listener>.<one of these>. */
    private static final List<String> PER_LISTENER = Stream.of(Stream.of("sasl.enabled.mechanisms",
            "plain.sasl.jaas.config", "oauthbearer.sasl.jaas.config", "oauthbearer.sasl.server.callback.handler.class"),
            OAuthBearerSettings.HONOURED.stream().map(k -> "oauthbearer." + k),
            OAUTHBEARER_LOGIN.stream(), OAUTHBEARER_LOGIN.stream().map(k -> "oauthbearer." + k),
            ConnectionLimitSettings.PER_LISTENER.stream()).flatMap(s -> s).toList();

    private static boolean honouredPerListener(String key) {
        if (!key.startsWith("listener.name.")) {
            return false;
        }
        String rest = key.substring("listener.name.".length());
        int dot = rest.indexOf('.');
        return dot > 0 && PER_LISTENER.contains(rest.substring(dot + 1));
    }

    private static String notHonoured(String key) {
        if (TlsSettings.isTlsKey(key)) {
            return null;
        }
        String instead = NOT_HONOURED.get(key);
        if (instead != null) {
            return instead;
        }
        if (HONOURED_UNDER_PREFIX.contains(key) || HONOURED_SASL.contains(key)) {
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
