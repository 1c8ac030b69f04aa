package io.brook.server.replication;

import io.brook.server.config.BrokerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inter-broker client's settings under Kafka's names: which listener, its protocol, the client side of its
 * TLS or SASL settings, the replica socket limits, and one clear line for what it cannot do.
 */
@Timeout(30)
class InterBrokerSettingsTest {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\";";

    private static BrokerConfig node(String... settings) {
        Map<String, String> map = new HashMap<>(Map.of("listeners",
                "PLAINTEXT://localhost:9092,SSL://localhost:9093,SASL_PLAINTEXT://localhost:9094",
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", JAAS,
                "ssl.keystore.location", "/etc/brook/server.p12", "ssl.keystore.type", "PKCS12",
                "ssl.keystore.password", "store-secret"));
        for (int i = 0; i < settings.length; i += 2) {
            map.put(settings[i], settings[i + 1]);
        }
        return BrokerConfig.fromMap(map);
    }

    @Test
    void plaintextByDefaultWithKafkasReplicaSocketLimits() {
        InterBrokerSettings s = InterBrokerSettings.from(node());
        assertEquals("PLAINTEXT", s.listenerName());
        assertEquals(SecurityProtocol.PLAINTEXT, s.securityProtocol());
        assertTrue(s.clientProperties().isEmpty());
        assertNull(s.saslMechanism());
        assertEquals(30_000, s.socketTimeoutMs());
        assertEquals(64 * 1024, s.receiveBufferBytes());
        assertEquals(600_000L, s.connectionsMaxIdleMs());

        InterBrokerSettings tuned = InterBrokerSettings.from(node("replica.socket.timeout.ms", "5000",
                "replica.socket.receive.buffer.bytes", "-1", "socket.connection.setup.timeout.ms", "2000"));
        assertEquals(5_000, tuned.socketTimeoutMs());
        assertEquals(-1, tuned.receiveBufferBytes());
        assertEquals(2_000, tuned.connectionSetupTimeoutMs());
        assertThrows(ConfigException.class, () -> InterBrokerSettings.from(node("replica.socket.timeout.ms", "0")));
    }

    @Test
    void anSslListenerGivesItsOwnTlsSettingsOverTheNodes() {
        InterBrokerSettings s = InterBrokerSettings.from(node("inter.broker.listener.name", "SSL",
                "listener.name.ssl.ssl.truststore.location", "/etc/brook/trust.jks",
                "ssl.truststore.password", "trust-secret"));
        assertEquals(SecurityProtocol.SSL, s.securityProtocol());
        Map<String, Object> props = s.clientProperties();
        assertEquals("/etc/brook/server.p12", props.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG));
        assertEquals("PKCS12", props.get(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG));
        assertEquals("store-secret", props.get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG));
        assertEquals("/etc/brook/trust.jks", props.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG));
        assertEquals("trust-secret", props.get(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG));
        assertEquals("https", props.get(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG));
        assertFalse(s.toString().contains("secret"), s.toString());
    }

    @Test
    void securityInterBrokerProtocolNamesTheListenerButNotTogetherWithTheListenerName() {
        assertEquals("SSL", InterBrokerSettings.from(node("security.inter.broker.protocol", "SSL")).listenerName());
        ConfigException both = assertThrows(ConfigException.class, () -> InterBrokerSettings.from(node(
                "security.inter.broker.protocol", "SSL", "inter.broker.listener.name", "SSL")));
        assertTrue(both.getMessage().contains("only one of inter.broker.listener.name and "
                + "security.inter.broker.protocol"), both.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> InterBrokerSettings.from(
                BrokerConfig.fromMap(Map.of("listeners", "PLAINTEXT://localhost:9092",
                        "security.inter.broker.protocol", "SSL"))));
        assertTrue(missing.getMessage().contains("no broker listener is named SSL"), missing.getMessage());
    }

    @Test
    void aSaslListenerLogsInWithTheInterBrokerMechanismAndTheListenersJaasLogin() {
        InterBrokerSettings s = InterBrokerSettings.from(node("inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol", "plain"));
        assertEquals("PLAIN", s.saslMechanism());
        assertEquals("PLAIN", s.clientProperties().get(SaslConfigs.SASL_MECHANISM));
        assertEquals(JAAS, ((Password) s.clientProperties().get(SaslConfigs.SASL_JAAS_CONFIG)).value());
        assertFalse(s.toString().contains("admin-secret"));

        String scramJaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"b1\" "
                + "password=\"b1-secret\";";
        InterBrokerSettings scram = InterBrokerSettings.from(node("inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256",
                "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config", scramJaas));
        assertEquals(scramJaas, ((Password) scram.clientProperties().get(SaslConfigs.SASL_JAAS_CONFIG)).value());
    }

    @Test
    void oauthBearerLogsInWithKafkasLoginModuleAndTheListenersLoginSettings() {
        String unsecured = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                + "unsecuredLoginStringClaim_sub=\"broker\";";
        InterBrokerSettings s = InterBrokerSettings.from(node("inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol", "oauthbearer",
                "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", unsecured));
        assertEquals("OAUTHBEARER", s.saslMechanism());
        assertEquals(Map.of(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER", SaslConfigs.SASL_JAAS_CONFIG,
                new Password(unsecured)), s.clientProperties(), "Kafka's unsecured login: no callback handler");
        new BrokerClient.Factory(s, org.apache.kafka.common.utils.Time.SYSTEM); // Kafka's login makes a token

        String idp = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                + "clientId=\"broker\" clientSecret=\"broker-secret\";";
        String handler = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";
        InterBrokerSettings withIdp = InterBrokerSettings.from(node("inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol", "OAUTHBEARER",
                "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", idp,
                "listener.name.sasl_plaintext.oauthbearer.sasl.login.callback.handler.class", handler,
                "sasl.login.callback.handler.class", "not.this.One",
                "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"));
        assertEquals(handler, withIdp.clientProperties().get(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS),
                "the listener's handler over the node's");
        assertEquals("https://idp.example/token",
                withIdp.clientProperties().get(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL));
        assertFalse(withIdp.toString().contains("broker-secret"));

        ConfigException noJaas = assertThrows(ConfigException.class, () -> InterBrokerSettings.from(node(
                "inter.broker.listener.name", "SASL_PLAINTEXT", "sasl.mechanism.inter.broker.protocol", "OAUTHBEARER")));
        assertTrue(noJaas.getMessage().contains("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config")
                && noJaas.getMessage().contains("unsecuredLoginStringClaim_sub"), noJaas.getMessage());
        ConfigException noSubject = assertThrows(ConfigException.class, () -> InterBrokerSettings.from(node(
                "inter.broker.listener.name", "SASL_PLAINTEXT", "sasl.mechanism.inter.broker.protocol", "OAUTHBEARER",
                "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;")));
        assertTrue(noSubject.getMessage().contains("no unsecuredLoginStringClaim_sub"), noSubject.getMessage());
    }

    @Test
    void aSaslSslListenerTakesBothTheTlsClientSideAndTheSaslLogin() {
        InterBrokerSettings s = InterBrokerSettings.from(node("listeners",
                "PLAINTEXT://localhost:9092,SASL_SSL://localhost:9095",
                "listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN",
                "listener.name.sasl_ssl.plain.sasl.jaas.config", JAAS,
                "listener.name.sasl_ssl.ssl.truststore.location", "/etc/brook/trust.jks",
                "inter.broker.listener.name", "SASL_SSL", "sasl.mechanism.inter.broker.protocol", "PLAIN"));
        assertEquals(SecurityProtocol.SASL_SSL, s.securityProtocol());
        assertEquals("PLAIN", s.clientProperties().get(SaslConfigs.SASL_MECHANISM));
        assertEquals(JAAS, ((Password) s.clientProperties().get(SaslConfigs.SASL_JAAS_CONFIG)).value());
        assertEquals("/etc/brook/trust.jks", s.clientProperties().get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG));
        assertEquals("/etc/brook/server.p12", s.clientProperties().get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG));
    }

    @Test
    void whatTheClientCannotDoIsRefusedAtConstructionInOneLine() {
        ConfigException gssapi = assertThrows(ConfigException.class, () -> new BrokerClient.Factory(node(
                "inter.broker.listener.name", "SASL_PLAINTEXT")));
        assertTrue(gssapi.getMessage().contains("sasl.mechanism.inter.broker.protocol")
                && gssapi.getMessage().contains("GSSAPI (Kafka's default)"), gssapi.getMessage());

        String serverOnly = "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "user_admin=\"admin-secret\";";
        ConfigException noLogin = assertThrows(ConfigException.class, () -> new BrokerClient.Factory(node(
                "inter.broker.listener.name", "SASL_PLAINTEXT", "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", serverOnly)));
        assertTrue(noLogin.getMessage().contains("no username=\"...\" password=\"...\""), noLogin.getMessage());
        assertFalse(noLogin.getMessage().contains("admin-secret"), noLogin.getMessage());

        ConfigException noScramLogin = assertThrows(ConfigException.class, () -> new BrokerClient.Factory(node(
                "inter.broker.listener.name", "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256")));
        assertTrue(noScramLogin.getMessage().contains("scram-sha-256.sasl.jaas.config"), noScramLogin.getMessage());

        new BrokerClient.Factory(node()); // PLAINTEXT: nothing to load
        ConfigException noKeystore = assertThrows(ConfigException.class, () -> new BrokerClient.Factory(node(
                "inter.broker.listener.name", "SSL")));
        assertTrue(noKeystore.getMessage().contains("inter.broker.listener.name")
                && noKeystore.getMessage().contains("cannot connect to other brokers"), noKeystore.getMessage());
        assertFalse(noKeystore.getMessage().contains("store-secret"), noKeystore.getMessage());

        ConfigException controllerOnly = assertThrows(ConfigException.class, () -> InterBrokerSettings.from(
                BrokerConfig.fromMap(Map.of("process.roles", "controller", "node.id", "1",
                        "controller.quorum.voters", "1@localhost:9093,2@localhost:9095",
                        "controller.listener.names", "CONTROLLER", "listeners", "CONTROLLER://localhost:9093"))));
        assertTrue(controllerOnly.getMessage().contains("only a broker"), controllerOnly.getMessage());
    }
}
