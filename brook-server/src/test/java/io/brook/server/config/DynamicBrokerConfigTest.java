package io.brook.server.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dynamic broker configs: what may change, validation before commit, precedence and the sources Kafka reports. */
class DynamicBrokerConfigTest {
    private static final BrokerConfig STATIC = BrokerConfig.fromMap(Map.of("node.id", "2",
            "log.retention.ms", "1000000", "follower.replication.throttled.rate", "5000"));

    @Test
    void throttleRatesAndTopicDefaultsAreDynamic() {
        assertDoesNotThrow(() -> DynamicBrokerConfig.validate("2", Map.of(
                "follower.replication.throttled.rate", "100000", "leader.replication.throttled.rate", "0",
                "log.retention.ms", "60000", "log.segment.bytes", "1048576", "log.cleanup.policy", "compact,delete",
                "log.retention.hours", "5", "min.insync.replicas", "2"), STATIC));
        assertDoesNotThrow(() -> DynamicBrokerConfig.validate("", Map.of("log.retention.bytes", "-1"), STATIC));
        assertDoesNotThrow(() -> DynamicBrokerConfig.validate("", Map.of(), STATIC));
    }

    @Test
    void staticAndUnknownConfigsAreRefusedAsKafkaRefusesThem() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> DynamicBrokerConfig.validate(
                "2", Map.of("num.io.threads", "4", "log.retention.ms", "1", "no.such.config", "x"), STATIC));
        assertEquals("Cannot update these configs dynamically: [no.such.config, num.io.threads]"
                + DynamicBrokerConfig.REFUSED_HINT, e.getMessage());
        assertThrows(InvalidRequestException.class, () -> DynamicBrokerConfig.validate("",
                Map.of("listeners", "PLAINTEXT://localhost:1"), STATIC));
    }

    @Test
    void valuesAreCheckedForTypeAndRange() {
        InvalidRequestException notNumber = assertThrows(InvalidRequestException.class,
                () -> DynamicBrokerConfig.validate("2", Map.of("follower.replication.throttled.rate", "fast"), STATIC));
        assertTrue(notNumber.getMessage().startsWith(
                "Invalid config value for resource ConfigResource(type=BROKER, name='2'): "), notNumber.getMessage());
        assertTrue(notNumber.getMessage().contains("follower.replication.throttled.rate"), notNumber.getMessage());
        assertThrows(InvalidRequestException.class,
                () -> DynamicBrokerConfig.validate("", Map.of("leader.replication.throttled.rate", "-1"), STATIC));
        assertThrows(InvalidRequestException.class,
                () -> DynamicBrokerConfig.validate("", Map.of("log.segment.bytes", "13"), STATIC));
        assertThrows(InvalidRequestException.class,
                () -> DynamicBrokerConfig.validate("", Map.of("log.cleanup.policy", "keep"), STATIC));
    }

    @Test
    void theResourceIsABrokerIdOrTheClusterDefault() {
        assertThrows(InvalidRequestException.class,
                () -> DynamicBrokerConfig.validate("broker-2", Map.of("log.retention.ms", "1"), STATIC));
    }

    @Test
    void ownValueBeatsClusterDefaultBeatsStaticBeatsDefault() {
        Map<String, Map<String, String>> image = Map.of(
                "", Map.of("follower.replication.throttled.rate", "300", "leader.replication.throttled.rate", "400",
                        "log.segment.bytes", "2097152"),
                "2", Map.of("follower.replication.throttled.rate", "100"),
                "3", Map.of("leader.replication.throttled.rate", "999"));
        BrokerConfig effective = DynamicBrokerConfig.effective(STATIC, image, 2);
        assertEquals(100L, effective.getLong("follower.replication.throttled.rate"));
        assertEquals(400L, effective.getLong("leader.replication.throttled.rate"), "broker 3's value is not ours");
        assertEquals("2097152", effective.topicDefaults().get("segment.bytes"));
        assertEquals("1000000", effective.topicDefaults().get("retention.ms"), "static, no dynamic value");
        assertEquals(5000L, DynamicBrokerConfig.effective(STATIC, Map.of(), 2)
                .getLong("follower.replication.throttled.rate"));
        assertSame(STATIC, DynamicBrokerConfig.effective(STATIC, Map.of("3", Map.of("log.segment.bytes", "20000")), 2));
    }

    @Test
    void aCoarserUnitSetDynamicallyStillLosesToAFinerOne() {
        BrokerConfig effective = DynamicBrokerConfig.effective(STATIC,
                Map.of("", Map.of("log.retention.hours", "1")), 2);
        assertEquals("1000000", effective.topicDefaults().get("retention.ms"), "log.retention.ms wins, as Kafka");
        BrokerConfig hours = DynamicBrokerConfig.effective(BrokerConfig.defaults(),
                Map.of("", Map.of("log.retention.hours", "1")), 1);
        assertEquals("3600000", hours.topicDefaults().get("retention.ms"));
    }

    @Test
    void synonymsListEverySourceMostSpecificFirst() {
        ConfigDef.ConfigKey key = BrokerConfig.CONFIG_DEF.configKeys().get("follower.replication.throttled.rate");
        Map<String, Map<String, String>> image = Map.of("", Map.of(key.name, "300"), "2", Map.of(key.name, "100"));
        List<DynamicBrokerConfig.Source> chain = DynamicBrokerConfig.synonyms(key, STATIC, image, 2);
        assertEquals(List.of(
                new DynamicBrokerConfig.Source(key.name, "100", ConfigSource.DYNAMIC_BROKER_CONFIG),
                new DynamicBrokerConfig.Source(key.name, "300", ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG),
                new DynamicBrokerConfig.Source(key.name, "5000", ConfigSource.STATIC_BROKER_CONFIG),
                new DynamicBrokerConfig.Source(key.name, String.valueOf(Long.MAX_VALUE), ConfigSource.DEFAULT_CONFIG)),
                chain);
        assertEquals(List.of(new DynamicBrokerConfig.Source(key.name, "300",
                        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG),
                new DynamicBrokerConfig.Source(key.name, String.valueOf(Long.MAX_VALUE), ConfigSource.DEFAULT_CONFIG)),
                DynamicBrokerConfig.synonyms(key, BrokerConfig.defaults(), image, 1));
    }
}
