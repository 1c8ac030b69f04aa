package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Dynamic broker configs as ConfigRecords of resource type BROKER: replace, remove, cluster default apart. */
@Timeout(30)
class BrokerConfigControlTest {

    private static MetadataImage apply(MetadataImage image, ControllerResult<Void> result) {
        return image.apply(result.records(), image.offset() + 1);
    }

    @Test
    void theNewSetReplacesTheResourcesConfigs() {
        MetadataImage image = MetadataImage.EMPTY;
        image = apply(image, BrokerConfigControl.replaceConfigs(image, "1",
                Map.of("follower.replication.throttled.rate", "100", "log.retention.ms", "5")));
        image = apply(image, BrokerConfigControl.replaceConfigs(image, "", Map.of("log.retention.ms", "7")));
        assertEquals(Map.of("1", Map.of("follower.replication.throttled.rate", "100", "log.retention.ms", "5"),
                "", Map.of("log.retention.ms", "7")), image.brokerConfigs());

        ControllerResult<Void> change = BrokerConfigControl.replaceConfigs(image, "1",
                Map.of("follower.replication.throttled.rate", "200", "log.retention.ms", "5"));
        assertEquals(List.of(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "1",
                "follower.replication.throttled.rate", "200")), change.records(), "only what changes is written");
        image = apply(image, change);

        ControllerResult<Void> removal = BrokerConfigControl.replaceConfigs(image, "1", Map.of());
        assertEquals(List.of(
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "1", "follower.replication.throttled.rate",
                        null),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "1", "log.retention.ms", null)),
                removal.records());
        image = apply(image, removal);
        assertEquals(Map.of("", Map.of("log.retention.ms", "7")), image.brokerConfigs(), "the default stays");
        // the records are in the snapshot: a restarted node reads them back
        assertEquals(image.brokerConfigs(), MetadataImage.EMPTY.apply(image.records(), image.offset())
                .brokerConfigs());
    }

    @Test
    void theResourceIsABrokerIdOrEmpty() {
        assertThrows(InvalidRequestException.class,
                () -> BrokerConfigControl.replaceConfigs(MetadataImage.EMPTY, "one", Map.of("a", "b")));
    }
}
