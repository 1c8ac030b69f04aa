package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FeatureBootstrap}: a new cluster's ELR level and cluster-wide minimum ISR; nothing otherwise. */
@Timeout(30)
class FeatureBootstrapTest {
    @Test
    void aNewClusterFinalizesTheLevelAndItsMinIsr() {
        var records = FeatureBootstrap.records(MetadataImage.EMPTY, (short) 1, 2);
        assertEquals(2, records.size());
        MetadataImage image = MetadataImage.EMPTY.apply(records, 1);
        assertTrue(image.elrEnabled());
        assertEquals(Map.of("min.insync.replicas", "2"), image.brokerConfigs().get(""));
        org.apache.kafka.common.Uuid id = new org.apache.kafka.common.Uuid(1, 1);
        image = image.apply(List.of(MetadataRecords.topic("t", id),
                MetadataRecords.partition(id, 0, List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0)), 3);
        assertEquals(2, PartitionMoves.minIsr(image).applyAsInt(image.topic("t")));
    }

    @Test
    void levelZeroOrAnExistingClusterWritesNothing() {
        assertEquals(List.of(), FeatureBootstrap.records(MetadataImage.EMPTY, (short) 0, 2));
        MetadataImage existing = MetadataImage.EMPTY.apply(List.of(MetadataRecords.topic("t",
                new org.apache.kafka.common.Uuid(1, 1))), 0);
        assertEquals(List.of(), FeatureBootstrap.records(existing, (short) 1, 2));
        assertFalse(existing.elrEnabled());
    }
}
