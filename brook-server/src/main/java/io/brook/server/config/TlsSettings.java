package io.brook.server.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.PASSWORD;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

/**
 * The TLS settings of one listener under Kafka's names: each {@code ssl.*} key takes the listener's own value
 * ({@code listener.name.<lower-case listener name>.ssl.*}) when there is one, the node's otherwise, key by key as
 * Kafka resolves them. Values are typed and checked here (no file is read: the key and trust material is loaded
 * when the listener's TLS context is built). Pure; immutable.
 */
public record TlsSettings(String listenerName, String keystoreType, String keystoreLocation,
                          Password keystorePassword, Password keyPassword, Password keystoreCertificateChain,
                          Password keystoreKey, String truststoreType, String truststoreLocation,
                          Password truststorePassword, Password truststoreCertificates, ClientAuth clientAuth,
                          List<String> enabledProtocols, List<String> cipherSuites,
                          String endpointIdentificationAlgorithm, String principalMappingRules,
                          String keyManagerAlgorithm, String trustManagerAlgorithm, long handshakeTimeoutMs) {

    /** Kafka's {@code ssl.client.auth}: whether a client must, may or must not present a certificate. */
    public enum ClientAuth { NONE, REQUESTED, REQUIRED }

    public static final String KEYSTORE_TYPE = "ssl.keystore.type";
    public static final String KEYSTORE_LOCATION = "ssl.keystore.location";
    public static final String KEYSTORE_PASSWORD = "ssl.keystore.password";
    public static final String KEY_PASSWORD = "ssl.key.password";
    public static final String KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain";
    public static final String KEYSTORE_KEY = "ssl.keystore.key";
    public static final String TRUSTSTORE_TYPE = "ssl.truststore.type";
    public static final String TRUSTSTORE_LOCATION = "ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "ssl.truststore.password";
    public static final String TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates";
    public static final String CLIENT_AUTH = "ssl.client.auth";
    public static final String ENABLED_PROTOCOLS = "ssl.enabled.protocols";
    public static final String PROTOCOL = "ssl.protocol";
    public static final String CIPHER_SUITES = "ssl.cipher.suites";
    public static final String ENDPOINT_IDENTIFICATION = "ssl.endpoint.identification.algorithm";
    public static final String PRINCIPAL_MAPPING_RULES = "ssl.principal.mapping.rules";
    public static final String KEYMANAGER_ALGORITHM = "ssl.keymanager.algorithm";
    public static final String TRUSTMANAGER_ALGORITHM = "ssl.trustmanager.algorithm";
    /**
     * Brook's bound on a TLS handshake: a connection whose handshake has not finished this long after it was
     * accepted is closed (Kafka has no such setting; its idle timeout alone bounds a stalled handshake).
     */
    public static final String HANDSHAKE_TIMEOUT_MS = "brook.ssl.handshake.timeout.ms";
    /** The TLS versions Kafka enables by default. */
    static final String DEFAULT_PROTOCOLS = "TLSv1.2,TLSv1.3";
    /** The TLS versions a listener may enable. */
    private static final List<String> KNOWN_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    /** The {@code ssl.*} keys, Kafka's defaults; a listener's own values are resolved against these. */
    static final ConfigDef CONFIG_DEF = defineInto(new ConfigDef());

    /** Adds the TLS settings to {@code def} (the node's settings carry them as Kafka's do); returns it. */
    static ConfigDef defineInto(ConfigDef def) {
        return def
                .define(KEYSTORE_TYPE, STRING, "JKS", HIGH, "Format of the key store: JKS, PKCS12 or PEM.")
                .define(KEYSTORE_LOCATION, STRING, null, HIGH, "The key store file (a PEM file holds the private "
                        + "key and the certificate chain).")
                .define(KEYSTORE_PASSWORD, PASSWORD, null, HIGH, "Password of the key store file.")
                .define(KEY_PASSWORD, PASSWORD, null, HIGH, "Password of the private key (default: the key "
                        + "store's password; for PEM the password of an encrypted PKCS#8 key).")
                .define(KEYSTORE_CERTIFICATE_CHAIN, PASSWORD, null, HIGH, "The certificate chain in PEM, "
                        + "inline (with ssl.keystore.type=PEM and ssl.keystore.key).")
                .define(KEYSTORE_KEY, PASSWORD, null, HIGH, "The PKCS#8 private key in PEM, inline (with "
                        + "ssl.keystore.type=PEM and ssl.keystore.certificate.chain).")
                .define(TRUSTSTORE_TYPE, STRING, "JKS", MEDIUM, "Format of the trust store: JKS, PKCS12 or PEM.")
                .define(TRUSTSTORE_LOCATION, STRING, null, HIGH, "The trust store file: the certificates client "
                        + "certificates are checked against.")
                .define(TRUSTSTORE_PASSWORD, PASSWORD, null, HIGH, "Password of the trust store file (optional).")
                .define(TRUSTSTORE_CERTIFICATES, PASSWORD, null, HIGH, "Trusted certificates in PEM, inline (with "
                        + "ssl.truststore.type=PEM).")
                .define(CLIENT_AUTH, STRING, "none", ConfigDef.CaseInsensitiveValidString.in("none", "requested",
                        "required"), MEDIUM, "Whether clients must (required), may (requested) or must not "
                        + "(none) present a certificate; its subject is the connection's principal.")
                .define(ENABLED_PROTOCOLS, LIST, DEFAULT_PROTOCOLS, MEDIUM, "The TLS versions accepted.")
                .define(PROTOCOL, STRING, "TLSv1.3", MEDIUM, "Kafka's SSLContext protocol; a server accepts the "
                        + "versions in ssl.enabled.protocols.")
                .define(CIPHER_SUITES, LIST, "", LOW, "The cipher suites accepted (default: the engine's).")
                .define(ENDPOINT_IDENTIFICATION, STRING, "https", LOW, "Host name verification of the server "
                        + "certificate by a connecting client (https) or none (empty); a listener does not "
                        + "check client host names, as in Kafka.")
                .define(PRINCIPAL_MAPPING_RULES, STRING, "DEFAULT", LOW, "Rules from a client certificate's "
                        + "subject to its user name: RULE:pattern/replacement/[LU], ..., DEFAULT.")
                .define(KEYMANAGER_ALGORITHM, STRING, javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm(), LOW,
                        "Key manager factory algorithm.")
                .define(TRUSTMANAGER_ALGORITHM, STRING, javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm(),
                        LOW, "Trust manager factory algorithm.")
                .define(HANDSHAKE_TIMEOUT_MS, LONG, 10_000L, atLeast(1), LOW, "A TLS handshake not finished this "
                        + "long after the connection was accepted closes the connection.");
    }

    /** The prefix of a listener's own settings, as Kafka spells it. */
    public static String listenerPrefix(String listenerName) {
        return "listener.name." + listenerName.toLowerCase(Locale.ROOT) + ".";
    }

    /**
     * The settings of {@code listenerName} from the node's settings as given: each key's listener value, else
     * the node's, else Kafka's default. Fails with a {@link ConfigException} naming the key of a bad value.
     */
    public static TlsSettings resolve(Map<String, String> supplied, String listenerName) {
        String prefix = listenerPrefix(listenerName);
        Map<String, String> effective = new HashMap<>();
        for (String key : CONFIG_DEF.names()) {
            String value = supplied.containsKey(prefix + key) ? supplied.get(prefix + key) : supplied.get(key);
            if (value != null) {
                effective.put(key, value);
            }
        }
        Map<String, Object> v = CONFIG_DEF.parse(effective);
        List<String> protocols = strings(v.get(ENABLED_PROTOCOLS));
        if (protocols.isEmpty()) {
            throw new ConfigException(ENABLED_PROTOCOLS, "", "names no TLS version; give TLSv1.2, TLSv1.3 or both");
        }
        for (String protocol : protocols) {
            if (!KNOWN_PROTOCOLS.contains(protocol)) {
                throw new ConfigException(ENABLED_PROTOCOLS, String.join(",", protocols), "'" + protocol
                        + "' is not a TLS version Brook accepts (" + String.join(", ", KNOWN_PROTOCOLS) + ")");
            }
        }
        String endpoint = (String) v.get(ENDPOINT_IDENTIFICATION);
        if (endpoint != null && !endpoint.isBlank() && !endpoint.equalsIgnoreCase("https")) {
            throw new ConfigException(ENDPOINT_IDENTIFICATION, endpoint, "must be https or empty (none)");
        }
        return new TlsSettings(listenerName, upper((String) v.get(KEYSTORE_TYPE)), blankToNull(v.get(KEYSTORE_LOCATION)),
                (Password) v.get(KEYSTORE_PASSWORD), (Password) v.get(KEY_PASSWORD),
                (Password) v.get(KEYSTORE_CERTIFICATE_CHAIN), (Password) v.get(KEYSTORE_KEY),
                upper((String) v.get(TRUSTSTORE_TYPE)), blankToNull(v.get(TRUSTSTORE_LOCATION)),
                (Password) v.get(TRUSTSTORE_PASSWORD), (Password) v.get(TRUSTSTORE_CERTIFICATES),
                ClientAuth.valueOf(((String) v.get(CLIENT_AUTH)).toUpperCase(Locale.ROOT)), protocols,
                strings(v.get(CIPHER_SUITES)), endpoint == null ? "" : endpoint.trim(),
                (String) v.get(PRINCIPAL_MAPPING_RULES), (String) v.get(KEYMANAGER_ALGORITHM),
                (String) v.get(TRUSTMANAGER_ALGORITHM), (Long) v.get(HANDSHAKE_TIMEOUT_MS));
    }

    /** Whether {@code key} (a full setting name) is a TLS setting, the node's or a listener's own. */
    public static boolean isTlsKey(String key) {
        if (CONFIG_DEF.names().contains(key)) {
            return true;
        }
        if (!key.startsWith("listener.name.")) {
            return false;
        }
        int dot = key.indexOf('.', "listener.name.".length());
        return dot > 0 && CONFIG_DEF.names().contains(key.substring(dot + 1));
    }

    private static List<String> strings(Object list) {
        @SuppressWarnings("unchecked")
        List<String> values = (List<String>) list;
        return values.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static String upper(String s) {
        return s == null ? null : s.trim().toUpperCase(Locale.ROOT);
    }

    private static String blankToNull(Object s) {
        return s == null || ((String) s).isBlank() ? null : ((String) s).trim();
    }
}
