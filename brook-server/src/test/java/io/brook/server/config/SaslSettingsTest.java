package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SASL listener settings under Kafka's names: mechanisms and PLAIN users per listener, with the node-wide fallbacks. */
@Timeout(30)
class SaslSettingsTest {
    private static Map<String, String> saslNode(String... more) {
        Map<String, String> settings = new HashMap<>(Map.of("listeners",
                "PLAINTEXT://localhost:9092,SASL_PLAINTEXT://localhost:9093"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    @Test
    void perListenerSettingsWinOverTheNodesAndAreNotReportedAsUnknown() {
        BrokerConfig config = BrokerConfig.fromMap(saslNode(
                "sasl.enabled.mechanisms", "SCRAM-SHA-256",
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "plain, SCRAM-SHA-512",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required\n username=\"admin\" "
                        + "password=\"x\" user_admin=\"a\\\"b\" user_bob=bob-pw;"));
        SaslSettings sasl = config.saslSettings("SASL_PLAINTEXT");
        assertEquals(List.of("PLAIN", "SCRAM-SHA-512"), sasl.mechanisms());
        assertEquals(Map.of("admin", "a\"b", "bob", "bob-pw"), sasl.plainUsers());
        assertNull(config.saslSettings("PLAINTEXT"));
        assertTrue(config.warnings().isEmpty(), config.warnings().toString());
        assertFalse(config.effectiveSettings().contains("bob-pw"));
    }

    @Test
    void theNodeWideFallbacksApply() {
        SaslSettings sasl = BrokerConfig.fromMap(saslNode("sasl.enabled.mechanisms", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required user_x=\"y\";"))
                .saslSettings("SASL_PLAINTEXT");
        assertEquals(Map.of("x", "y"), sasl.plainUsers());
    }

    @Test
    void whatCannotBeServedStopsTheStartWithOneClearLine() {
        ConfigException gssapi = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode()));
        assertTrue(gssapi.getMessage().contains("enables GSSAPI (Kafka's default), which Brook does not serve"),
                gssapi.getMessage());
        ConfigException noUsers = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode(
                "sasl.enabled.mechanisms", "PLAIN")));
        assertTrue(noUsers.getMessage().contains("enables PLAIN but no JAAS configuration names its users"),
                noUsers.getMessage());
        ConfigException malformed = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode(
                "sasl.enabled.mechanisms", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_x=\"secret-value")));
        assertTrue(malformed.getMessage().contains("is not a JAAS configuration"), malformed.getMessage());
        assertFalse(malformed.getMessage().contains("secret-value"), "the secret stays out of the message");
        assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode("sasl.enabled.mechanisms", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required user_x=y;")));
        ConfigException sslNoUsers = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(Map.of(
                "listeners", "SASL_SSL://localhost:9093", "sasl.enabled.mechanisms", "PLAIN")));
        assertTrue(sslNoUsers.getMessage().contains("enables PLAIN but no JAAS configuration names its users"),
                sslNoUsers.getMessage()); // a SASL_SSL listener's SASL settings are checked like SASL_PLAINTEXT's
    }

    @Test
    void oauthBearerIsUnsecuredByDefaultAndSignedWithKafkasValidatorClass() {
        BrokerConfig unsecured = BrokerConfig.fromMap(saslNode("sasl.enabled.mechanisms", "OAUTHBEARER",
                "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                        + "unsecuredValidatorRequiredScope=\"produce  consume\" unsecuredValidatorPrincipalClaimName=\"uid\";"));
        OAuthBearerSettings oauth = unsecured.saslSettings("SASL_PLAINTEXT").oauthBearer();
        assertFalse(oauth.secured());
        assertEquals("uid", oauth.principalClaim());
        assertEquals(java.util.Set.of("produce", "consume"), oauth.requiredScope());
        assertTrue(unsecured.warnings().isEmpty(), unsecured.warnings().toString());

        BrokerConfig secured = BrokerConfig.fromMap(saslNode("sasl.enabled.mechanisms", "OAUTHBEARER,PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required user_x=\"y\";",
                "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
                "sasl.oauthbearer.jwks.endpoint.url", "file:///etc/brook/jwks.json",
                "listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.expected.audience", "brook, kafka",
                "sasl.oauthbearer.expected.issuer", "https://idp", "sasl.oauthbearer.clock.skew.seconds", "5"));
        OAuthBearerSettings signed = secured.saslSettings("SASL_PLAINTEXT").oauthBearer();
        assertTrue(signed.secured());
        assertEquals("file:///etc/brook/jwks.json", signed.jwksUrl());
        assertEquals(java.util.Set.of("brook", "kafka"), signed.audience());
        assertEquals("https://idp", signed.issuer());
        assertEquals(5000, signed.clockSkewMs());
        assertTrue(secured.warnings().isEmpty(), secured.warnings().toString());

        ConfigException noKeys = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode(
                "sasl.enabled.mechanisms", "OAUTHBEARER",
                "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler")));
        assertTrue(noKeys.getMessage().contains("sasl.oauthbearer.jwks.endpoint.url"), noKeys.getMessage());
        ConfigException custom = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(saslNode(
                "sasl.enabled.mechanisms", "OAUTHBEARER",
                "listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class", "com.acme.Handler")));
        assertTrue(custom.getMessage().contains("other callback handler classes are not loaded"),
                custom.getMessage());
    }
}
