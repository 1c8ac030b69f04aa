package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SASL settings of one SASL listener, under Kafka's names: its mechanisms
 * ({@code listener.name.<listener>.sasl.enabled.mechanisms}, else {@code sasl.enabled.mechanisms}) and,
 * when PLAIN is one, its users: the {@code user_<name>="<password>"} options of Kafka's PlainLoginModule in
 * {@code listener.name.<listener>.plain.sasl.jaas.config}, else {@code sasl.jaas.config} (Kafka's JAAS syntax,
 * {@link JaasEntry}), and, when OAUTHBEARER is one, how its tokens are validated ({@link OAuthBearerSettings},
 * null otherwise). SCRAM users live in the metadata, not here. The listener's name is
 * lower case in these keys, as in Kafka. Pure; immutable.
 */
public record SaslSettings(List<String> mechanisms, Map<String, String> plainUsers, OAuthBearerSettings oauthBearer) {
    /** The mechanisms Brook serves. */
    public static final List<String> SUPPORTED = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");
    /** Kafka's PLAIN login module, whose options name the users. */
    static final String PLAIN_LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String USER_PREFIX = "user_";

    public SaslSettings {
        mechanisms = List.copyOf(mechanisms);
        plainUsers = Map.copyOf(plainUsers);
    }

    /** Settings without OAUTHBEARER. */
    public SaslSettings(List<String> mechanisms, Map<String, String> plainUsers) {
        this(mechanisms, plainUsers, null);
    }

    /** The settings of {@code listener} from the node's settings as given ({@code originals}). */
    static SaslSettings parse(String listener, Map<String, String> originals) {
        String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
        String mechanismsKey = originals.containsKey(prefix + "sasl.enabled.mechanisms")
                ? prefix + "sasl.enabled.mechanisms" : "sasl.enabled.mechanisms";
        String given = originals.getOrDefault(mechanismsKey, "GSSAPI");
        List<String> mechanisms = java.util.Arrays.stream(given.split(",")).map(String::trim)
                .filter(m -> !m.isEmpty()).map(m -> m.toUpperCase(Locale.ROOT)).distinct().toList();
        if (mechanisms.isEmpty()) {
            throw new ConfigException(mechanismsKey, given, "the SASL listener " + listener + " needs at least one "
                    + "mechanism (" + String.join(", ", SUPPORTED) + ")");
        }
        for (String mechanism : mechanisms) {
            if (!SUPPORTED.contains(mechanism)) {
                throw new ConfigException(mechanismsKey, given, "the SASL listener " + listener + " enables "
                        + mechanism + (originals.containsKey(mechanismsKey) ? "" : " (Kafka's default)")
                        + ", which Brook does not serve; enable some of " + String.join(", ", SUPPORTED));
            }
        }
        Map<String, String> users = Map.of();
        if (mechanisms.contains("PLAIN")) {
            String jaasKey = originals.containsKey(prefix + "plain.sasl.jaas.config")
                    ? prefix + "plain.sasl.jaas.config" : "sasl.jaas.config";
            String jaas = originals.get(jaasKey);
            if (jaas == null || jaas.isBlank()) {
                throw new ConfigException(prefix + "plain.sasl.jaas.config", null, "the SASL listener " + listener
                        + " enables PLAIN but no JAAS configuration names its users; set it (or sasl.jaas.config) "
                        + "to " + PLAIN_LOGIN_MODULE + " required user_<name>=\"<password>\" ...;");
            }
            users = plainUsers(jaasKey, jaas);
        }
        OAuthBearerSettings oauth = mechanisms.contains("OAUTHBEARER")
                ? OAuthBearerSettings.parse(listener, prefix, originals) : null;
        return new SaslSettings(mechanisms, users, oauth);
    }

    private static Map<String, String> plainUsers(String key, String jaas) {
        List<JaasEntry> entries;
        try {
            entries = JaasEntry.parse(jaas);
        } catch (IllegalArgumentException e) {
            // the value is a secret: the message names the problem, not the value
            throw new ConfigException(key, "[hidden]", "is not a JAAS configuration: " + e.getMessage());
        }
        if (entries.size() != 1 || !PLAIN_LOGIN_MODULE.equals(entries.get(0).loginModule())) {
            throw new ConfigException(key, "[hidden]", "must hold exactly one login module, " + PLAIN_LOGIN_MODULE);
        }
        Map<String, String> users = new LinkedHashMap<>();
        entries.get(0).options().forEach((name, value) -> {
            if (name.startsWith(USER_PREFIX) && name.length() > USER_PREFIX.length()) {
                users.put(name.substring(USER_PREFIX.length()), String.valueOf(value));
            }
        });
        if (users.isEmpty()) {
            throw new ConfigException(key, "[hidden]", "names no user: add user_<name>=\"<password>\" options");
        }
        return users;
    }
}
