package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A listener's TLS settings: Kafka's defaults, the node's values, the listener's own over them, key by key. */
class TlsSettingsTest {
    @Test
    void kafkaDefaults() {
        TlsSettings s = TlsSettings.resolve(Map.of(), "SSL");
        assertEquals("JKS", s.keystoreType());
        assertNull(s.keystoreLocation());
        assertEquals(TlsSettings.ClientAuth.NONE, s.clientAuth());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), s.enabledProtocols());
        assertEquals(List.of(), s.cipherSuites());
        assertEquals("DEFAULT", s.principalMappingRules());
        assertEquals("https", s.endpointIdentificationAlgorithm());
    }

    @Test
    void listenerValuesOverrideTheNodesKeyByKey() {
        Map<String, String> supplied = Map.of(
                "ssl.keystore.location", "/node.jks", "ssl.keystore.password", "node-pw",
                "ssl.client.auth", "requested",
                "listener.name.internal.ssl.keystore.location", "/internal.p12",
                "listener.name.internal.ssl.keystore.type", "pkcs12",
                "listener.name.internal.ssl.client.auth", "REQUIRED");
        TlsSettings internal = TlsSettings.resolve(supplied, "INTERNAL");
        assertEquals("/internal.p12", internal.keystoreLocation());
        assertEquals("PKCS12", internal.keystoreType());
        assertEquals("node-pw", internal.keystorePassword().value(), "not overridden: the node's");
        assertEquals(TlsSettings.ClientAuth.REQUIRED, internal.clientAuth());
        TlsSettings other = TlsSettings.resolve(supplied, "SSL");
        assertEquals("/node.jks", other.keystoreLocation());
        assertEquals(TlsSettings.ClientAuth.REQUESTED, other.clientAuth());
    }

    @Test
    void badValuesNameTheirKey() {
        assertTrue(assertThrows(ConfigException.class, () -> TlsSettings.resolve(Map.of("ssl.client.auth", "maybe"),
                "SSL")).getMessage().contains("ssl.client.auth"));
        assertTrue(assertThrows(ConfigException.class, () -> TlsSettings.resolve(Map.of("ssl.enabled.protocols",
                "TLSv1.1"), "SSL")).getMessage().contains("'TLSv1.1' is not a TLS version"));
        assertTrue(assertThrows(ConfigException.class, () -> TlsSettings.resolve(Map.of(
                "listener.name.ssl.ssl.endpoint.identification.algorithm", "ldap"), "SSL")).getMessage()
                .contains("ssl.endpoint.identification.algorithm"));
    }

    @Test
    void tlsKeysAreKnownOnlyUnderTheirNames() {
        assertTrue(TlsSettings.isTlsKey("ssl.keystore.location"));
        assertTrue(TlsSettings.isTlsKey("listener.name.internal.ssl.truststore.certificates"));
        assertFalse(TlsSettings.isTlsKey("listener.name.internal.plain.sasl.jaas.config"));
        assertFalse(TlsSettings.isTlsKey("ssl.keystore.locations"));
    }

    @Test
    void sslAndSaslSslListenersAreAcceptedAndTheControllerStaysPlaintext() {
        BrokerConfig config = BrokerConfig.fromMap(Map.of("listeners", "SSL://localhost:0",
                "ssl.client.auth", "required"));
        assertTrue(config.usesTls("SSL"));
        assertEquals(TlsSettings.ClientAuth.REQUIRED, config.tlsSettings("SSL").clientAuth());
        BrokerConfig saslSsl = BrokerConfig.fromMap(Map.of("listeners", "SASL_SSL://localhost:0",
                "sasl.enabled.mechanisms", "SCRAM-SHA-512"));
        assertTrue(saslSsl.usesTls("SASL_SSL"));
        assertEquals(TlsSettings.ClientAuth.NONE, saslSsl.tlsSettings("SASL_SSL").clientAuth());
        assertTrue(assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(Map.of("listeners",
                "SSL://localhost:0", "ssl.enabled.protocols", "SSLv3"))).getMessage()
                .contains("ssl.enabled.protocols"));
        assertTrue(assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(Map.of("listeners",
                "SSL://localhost:0,CONTROLLER://localhost:0", "controller.listener.names", "CONTROLLER",
                "listener.security.protocol.map", "SSL:SSL,CONTROLLER:SSL"))).getMessage()
                .contains("PLAINTEXT only"));
    }

    @Test
    void tlsSettingsAreNotReportedAsWithoutEffect() {
        List<String> warnings = BrokerConfig.fromMap(Map.of("ssl.keystore.password", "x",
                "listener.name.ssl.ssl.keystore.location", "/k.jks", "listener.name.ssl.connections.max.idle.ms",
                "10")).warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("listener.name.ssl.connections.max.idle.ms"), warnings.toString());
    }
}
