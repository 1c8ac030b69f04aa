package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ConnectionLimitSettingsTest {
    @Test
    void readsKafkasNamesNodeWidePerListenerAndPerHost() {
        BrokerConfig config = BrokerConfig.fromMap(Map.of("listeners", "PLAINTEXT://localhost:0,EXTERNAL://localhost:0",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT",
                "max.connection.creation.rate", "50",
                "listener.name.external.max.connection.creation.rate", "5",
                "listener.name.external.max.connections", "100",
                "max.connections.per.ip.overrides", "127.0.0.1:200, clients.example.com:10,::1:3"));
        ConnectionLimitSettings limits = config.connectionLimits();
        assertEquals(50, limits.maxConnectionCreationRate());
        assertEquals(Map.of("EXTERNAL", 5), limits.listenerRates());
        assertEquals(Map.of("EXTERNAL", 100), limits.listenerMaxConnections());
        assertEquals(Map.of("127.0.0.1", 200, "clients.example.com", 10, "::1", 3),
                limits.maxConnectionsPerIpOverrides());
        assertTrue(config.warnings().isEmpty(), "honoured, so not reported: " + config.warnings());

        ConnectionLimitSettings none = BrokerConfig.fromMap(Map.of()).connectionLimits();
        assertEquals(Integer.MAX_VALUE, none.maxConnectionCreationRate(), "Kafka's default: no limit");
        assertTrue(none.listenerRates().isEmpty() && none.listenerMaxConnections().isEmpty()
                && none.maxConnectionsPerIpOverrides().isEmpty());
    }

    @Test
    void badValuesStopStartUpNamingTheKey() {
        for (Map<String, String> bad : List.<Map<String, String>>of(
                Map.of("max.connection.creation.rate", "-1"),
                Map.of("listener.name.plaintext.max.connection.creation.rate", "fast"),
                Map.of("listener.name.plaintext.max.connections", "-3"),
                Map.of("max.connections.per.ip.overrides", "127.0.0.1"),
                Map.of("max.connections.per.ip.overrides", "127.0.0.1:x"),
                Map.of("max.connections.per.ip.overrides", ":5"),
                Map.of("max.connections.per.ip.overrides", "a:1,a:2"),
                Map.of("max.connections.per.ip", "0"))) {
            ConfigException e = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(bad), bad.toString());
            String key = bad.keySet().iterator().next();
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
        assertEquals(Map.of("10.0.0.1", 5), BrokerConfig.fromMap(Map.of("max.connections.per.ip", "0",
                "max.connections.per.ip.overrides", "10.0.0.1:5")).connectionLimits().maxConnectionsPerIpOverrides());
    }
}
