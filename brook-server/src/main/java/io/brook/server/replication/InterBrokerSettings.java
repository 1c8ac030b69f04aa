package io.brook.server.replication;

import io.brook.server.config.BrokerConfig;
import io.brook.server.config.BrokerConfig.Listener;
import io.brook.server.config.TlsSettings;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import javax.security.auth.login.AppConfigurationEntry;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

/**
 * How this node connects to the other brokers, decided from its settings the way Kafka's broker does: the
 * inter-broker listener ({@code inter.broker.listener.name}, or the listener named by
 * {@code security.inter.broker.protocol}, not both), its security protocol from
 * {@code listener.security.protocol.map}, and for the client side of that listener its {@code ssl.*} settings
 * ({@link TlsSettings}: the listener's own over the node's) and, for SASL_PLAINTEXT and SASL_SSL,
 * {@code sasl.mechanism.inter.broker.protocol} with the listener's JAAS configuration
 * ({@code listener.name.<l>.<mechanism>.sasl.jaas.config}, else {@code sasl.jaas.config}; its
 * {@code username}/{@code password} options are what this node logs in with, or for OAUTHBEARER Kafka's
 * {@code OAuthBearerLoginModule} with its options, and {@link #OAUTHBEARER_LOGIN_KEYS} when set: the listener's
 * over the node's, as Kafka's broker reads them). Also the socket limits of Kafka's
 * replica fetcher: {@code replica.socket.timeout.ms} (30 s) and {@code replica.socket.receive.buffer.bytes}
 * (64 KiB), and {@code socket.connection.setup.timeout.ms}/{@code .max.ms}.
 *
 * <p>What the client cannot do is refused here, at construction, with one {@link ConfigException} line naming
 * the key: a SASL mechanism Brook does not speak (Kafka's default GSSAPI included), a SASL listener
 * without a JAAS login for this node. Pure (reads nothing but the settings); immutable.
 */
public final class InterBrokerSettings {
    public static final String SECURITY_INTER_BROKER_PROTOCOL = "security.inter.broker.protocol";
    public static final String SASL_MECHANISM_INTER_BROKER = "sasl.mechanism.inter.broker.protocol";
    public static final String SOCKET_TIMEOUT_MS = "replica.socket.timeout.ms";
    public static final String SOCKET_RECEIVE_BUFFER_BYTES = "replica.socket.receive.buffer.bytes";
    public static final String CONNECTION_SETUP_TIMEOUT_MS = "socket.connection.setup.timeout.ms";
    public static final String CONNECTION_SETUP_TIMEOUT_MAX_MS = "socket.connection.setup.timeout.max.ms";
    /** Kafka's default inter-broker SASL mechanism; Brook does not speak it, so it must be set. */
    static final String DEFAULT_SASL_MECHANISM = "GSSAPI";
    /** The mechanisms brokers log in to each other with. */
    static final List<String> CLIENT_MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");
    static final String OAUTHBEARER = "OAUTHBEARER";
    /**
     * The settings of an OAUTHBEARER login the inter-broker client takes besides the JAAS configuration: Kafka's
     * login callback handler ({@code OAuthBearerLoginCallbackHandler}, which fetches tokens from the identity
     * provider; without one, Kafka's unsecured login makes them) and its token endpoint. Each is read as
     * {@code listener.name.<l>.oauthbearer.<key>}, else {@code listener.name.<l>.<key>}, else {@code <key>}.
     */
    public static final List<String> OAUTHBEARER_LOGIN_KEYS = List.of(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS,
            SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL);

    /** The settings of this class, Kafka's names and defaults (they are not in {@link BrokerConfig#CONFIG_DEF}). */
    static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(SOCKET_TIMEOUT_MS, INT, 30_000, atLeast(1), MEDIUM, "The default bound on one request to "
                    + "another broker, connecting included (Kafka's replica fetcher socket timeout).")
            .define(SOCKET_RECEIVE_BUFFER_BYTES, INT, 64 * 1024, atLeast(-1), MEDIUM, "The socket receive buffer "
                    + "of connections to other brokers (-1: the operating system's).")
            .define(CONNECTION_SETUP_TIMEOUT_MS, INT, 10_000, atLeast(1), MEDIUM, "How long one TCP connection "
                    + "attempt to another broker may take before it is abandoned.")
            .define(CONNECTION_SETUP_TIMEOUT_MAX_MS, INT, 30_000, atLeast(1), MEDIUM, "The bound of the "
                    + "exponentially growing connection setup timeout.")
            .define(SECURITY_INTER_BROKER_PROTOCOL, STRING, null, MEDIUM, "The inter-broker listener named by "
                    + "its security protocol (the listener of that name); exclusive with inter.broker.listener.name.")
            .define(SASL_MECHANISM_INTER_BROKER, STRING, DEFAULT_SASL_MECHANISM, MEDIUM, "The SASL mechanism "
                    + "brokers log in to each other with.");

    private final int nodeId;
    private final String listenerName;
    private final SecurityProtocol protocol;
    private final String saslMechanism;
    private final Map<String, Object> clientProperties;
    private final int socketTimeoutMs;
    private final int receiveBufferBytes;
    private final int connectionSetupTimeoutMs;
    private final int connectionSetupTimeoutMaxMs;
    private final long connectionsMaxIdleMs;

    private InterBrokerSettings(int nodeId, String listenerName, SecurityProtocol protocol, String saslMechanism,
                                Map<String, Object> clientProperties, Map<String, Object> values,
                                long connectionsMaxIdleMs) {
        this.nodeId = nodeId;
        this.listenerName = listenerName;
        this.protocol = protocol;
        this.saslMechanism = saslMechanism;
        this.clientProperties = Map.copyOf(clientProperties);
        this.socketTimeoutMs = (Integer) values.get(SOCKET_TIMEOUT_MS);
        this.receiveBufferBytes = (Integer) values.get(SOCKET_RECEIVE_BUFFER_BYTES);
        this.connectionSetupTimeoutMs = (Integer) values.get(CONNECTION_SETUP_TIMEOUT_MS);
        this.connectionSetupTimeoutMaxMs = (Integer) values.get(CONNECTION_SETUP_TIMEOUT_MAX_MS);
        this.connectionsMaxIdleMs = connectionsMaxIdleMs;
    }

    /** Decides from a node's settings; a {@link ConfigException} names the key of anything not supported. */
    public static InterBrokerSettings from(BrokerConfig config) {
        Map<String, String> originals = config.originals();
        Map<String, String> own = new HashMap<>();
        for (String key : CONFIG_DEF.names()) {
            if (originals.containsKey(key)) {
                own.put(key, originals.get(key));
            }
        }
        Map<String, Object> values = CONFIG_DEF.parse(own);
        Listener listener = listener(config, (String) values.get(SECURITY_INTER_BROKER_PROTOCOL));
        SecurityProtocol protocol = config.securityProtocols().get(listener.name());
        Map<String, Object> props = new LinkedHashMap<>();
        String mechanism = null;
        switch (protocol) {
            case PLAINTEXT -> { }
            case SSL -> props.putAll(sslProperties(config.tlsSettings(listener.name())));
            case SASL_PLAINTEXT, SASL_SSL -> {
                if (protocol == SecurityProtocol.SASL_SSL) {
                    props.putAll(sslProperties(config.tlsSettings(listener.name())));
                }
                mechanism = ((String) values.get(SASL_MECHANISM_INTER_BROKER)).trim().toUpperCase(Locale.ROOT);
                props.putAll(saslProperties(originals, listener.name(), mechanism));
            }
            default -> throw new ConfigException("inter.broker.listener.name", listener.name(), "the inter-broker "
                    + "listener uses " + protocol + ", which brokers cannot connect to each other over");
        }
        return new InterBrokerSettings(config.nodeId(), listener.name(), protocol, mechanism, props, values,
                config.getLong("connections.max.idle.ms"));
    }

    /** The inter-broker listener: {@code inter.broker.listener.name}'s, or the one {@code protocol} names. */
    private static Listener listener(BrokerConfig config, String byProtocol) {
        if (!config.isBroker() || config.interBrokerListener() == null) {
            throw new ConfigException("process.roles", String.join(",", config.processRoles()), "only a broker "
                    + "connects to other brokers");
        }
        if (byProtocol == null || byProtocol.isBlank()) {
            return config.interBrokerListener();
        }
        if (config.isSet("inter.broker.listener.name")) {
            throw new ConfigException(SECURITY_INTER_BROKER_PROTOCOL, byProtocol, "only one of "
                    + "inter.broker.listener.name and security.inter.broker.protocol may be set (as in Kafka)");
        }
        String name = byProtocol.trim().toUpperCase(Locale.ROOT);
        return config.brokerListeners().stream().filter(l -> l.name().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException(SECURITY_INTER_BROKER_PROTOCOL, byProtocol, "no broker "
                        + "listener is named " + name + "; name the inter-broker listener with "
                        + "inter.broker.listener.name instead"));
    }

    /** The client side of a TLS listener: its key store (this node's certificate) and trust store. */
    static Map<String, Object> sslProperties(TlsSettings tls) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, tls.keystoreType());
        putIfSet(props, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, tls.keystoreLocation());
        putIfSet(props, SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, tls.keystorePassword());
        putIfSet(props, SslConfigs.SSL_KEY_PASSWORD_CONFIG, tls.keyPassword());
        putIfSet(props, SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, tls.keystoreCertificateChain());
        putIfSet(props, SslConfigs.SSL_KEYSTORE_KEY_CONFIG, tls.keystoreKey());
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, tls.truststoreType());
        putIfSet(props, SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, tls.truststoreLocation());
        putIfSet(props, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, tls.truststorePassword());
        putIfSet(props, SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, tls.truststoreCertificates());
        props.put(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG, String.join(",", tls.enabledProtocols()));
        if (!tls.cipherSuites().isEmpty()) {
            props.put(SslConfigs.SSL_CIPHER_SUITES_CONFIG, String.join(",", tls.cipherSuites()));
        }
        props.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, tls.endpointIdentificationAlgorithm());
        props.put(SslConfigs.SSL_KEYMANAGER_ALGORITHM_CONFIG, tls.keyManagerAlgorithm());
        props.put(SslConfigs.SSL_TRUSTMANAGER_ALGORITHM_CONFIG, tls.trustManagerAlgorithm());
        return props;
    }

    /** The client side of a SASL listener: the mechanism and the JAAS login this node uses on that listener. */
    static Map<String, Object> saslProperties(Map<String, String> originals, String listener, String mechanism) {
        if (!CLIENT_MECHANISMS.contains(mechanism)) {
            throw new ConfigException(SASL_MECHANISM_INTER_BROKER, mechanism, "brokers cannot log in to each "
                    + "other with " + mechanism + (mechanism.equals(DEFAULT_SASL_MECHANISM) ? " (Kafka's default)" : "")
                    + "; set it to one of " + String.join(", ", CLIENT_MECHANISMS));
        }
        String jaasKey = TlsSettings.listenerPrefix(listener) + mechanism.toLowerCase(Locale.ROOT)
                + ".sasl.jaas.config";
        String jaas = originals.containsKey(jaasKey) ? originals.get(jaasKey) : originals.get("sasl.jaas.config");
        if (mechanism.equals(OAUTHBEARER)) {
            if (jaas == null || jaas.isBlank()) {
                throw new ConfigException(jaasKey, null, "the inter-broker listener " + listener + " uses "
                        + "OAUTHBEARER but has no JAAS configuration (or sasl.jaas.config) for this node's login, such "
                        + "as org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                        + "unsecuredLoginStringClaim_sub=\"broker\";");
            }
            Map<String, ?> options = loginOptions(jaasKey, jaas);
            String claim = options.get("unsecuredLoginPrincipalClaimName") instanceof String name && !name.isBlank()
                    ? name.trim() : "sub";
            if (oauthBearerLogin(originals, listener, SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS) == null
                    && !(options.get("unsecuredLoginStringClaim_" + claim) instanceof String)) {
                // Kafka's unsecured login would make a token naming no one: the brokers' principal must be known
                throw new ConfigException(jaasKey, "[hidden]", "the inter-broker listener " + listener + " uses "
                        + "OAUTHBEARER with Kafka's unsecured login (no sasl.login.callback.handler.class) but its "
                        + "JAAS configuration has no unsecuredLoginStringClaim_" + claim + "=\"...\" option naming "
                        + "the principal this node logs in as");
            }
        } else if (jaas == null || jaas.isBlank() || !hasLogin(jaasKey, jaas)) {
            throw new ConfigException(jaasKey, "[hidden]", "the inter-broker listener " + listener + " uses "
                    + mechanism + " but its JAAS configuration (or sasl.jaas.config) has no username=\"...\" "
                    + "password=\"...\" options for this node to log in to the other brokers with");
        }
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, new Password(jaas));
        if (mechanism.equals(OAUTHBEARER)) {
            for (String key : OAUTHBEARER_LOGIN_KEYS) {
                String value = oauthBearerLogin(originals, listener, key);
                if (value != null) {
                    props.put(key, value);
                }
            }
        }
        return props;
    }

    /** One of {@link #OAUTHBEARER_LOGIN_KEYS} for {@code listener}: its mechanism's, its own, else the node's. */
    private static String oauthBearerLogin(Map<String, String> originals, String listener, String key) {
        String prefix = TlsSettings.listenerPrefix(listener);
        String value = originals.getOrDefault(prefix + "oauthbearer." + key,
                originals.getOrDefault(prefix + key, originals.get(key)));
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Whether the one login module of {@code jaas} (Kafka's parser) has a username and a password. */
    private static boolean hasLogin(String key, String jaas) {
        Map<String, ?> options = loginOptions(key, jaas);
        return options.get("username") instanceof String && options.get("password") instanceof String;
    }

    /** The options of the one login module of {@code jaas} (Kafka's parser). */
    private static Map<String, ?> loginOptions(String key, String jaas) {
        List<AppConfigurationEntry> entries;
        try {
            entries = JaasContext.loadClientContext(Map.of(SaslConfigs.SASL_JAAS_CONFIG, new Password(jaas)))
                    .configurationEntries();
        } catch (IllegalArgumentException | org.apache.kafka.common.KafkaException e) { // a secret: not shown
            throw new ConfigException(key, "[hidden]", "is not a JAAS configuration: " + e.getMessage());
        }
        if (entries.size() != 1) {
            throw new ConfigException(key, "[hidden]", "must hold exactly one login module");
        }
        return entries.get(0).getOptions();
    }

    private static void putIfSet(Map<String, Object> props, String key, Object value) {
        if (value != null) {
            props.put(key, value instanceof Password p ? p.value() : value);
        }
    }

    /** This node's id. */
    public int nodeId() {
        return nodeId;
    }

    /** The name of the listener brokers connect to each other on (upper case). */
    public String listenerName() {
        return listenerName;
    }

    public SecurityProtocol securityProtocol() {
        return protocol;
    }

    /** The SASL mechanism on a SASL listener, else null. */
    public String saslMechanism() {
        return saslMechanism;
    }

    /**
     * The client settings for kafka-clients' channel builder ({@code ssl.*} or {@code sasl.mechanism} and
     * {@code sasl.jaas.config}, and the {@link #OAUTHBEARER_LOGIN_KEYS} set); without {@code security.protocol}.
     */
    public Map<String, Object> clientProperties() {
        return clientProperties;
    }

    /** {@code replica.socket.timeout.ms}: a request's default bound, connecting included. */
    public int socketTimeoutMs() {
        return socketTimeoutMs;
    }

    /** {@code replica.socket.receive.buffer.bytes} (-1: the operating system's). */
    public int receiveBufferBytes() {
        return receiveBufferBytes;
    }

    public int connectionSetupTimeoutMs() {
        return connectionSetupTimeoutMs;
    }

    public int connectionSetupTimeoutMaxMs() {
        return connectionSetupTimeoutMaxMs;
    }

    /** {@code connections.max.idle.ms}: an idle connection to another broker is closed after this. */
    public long connectionsMaxIdleMs() {
        return connectionsMaxIdleMs;
    }

    @Override
    public String toString() {
        return "inter-broker listener " + listenerName + " (" + protocol
                + (saslMechanism == null ? "" : ", " + saslMechanism) + ")";
    }
}
