package io.brook.metadata.image;

import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class MetadataImageTest {
    private static final Uuid A = new Uuid(1, 1);
    private static final Uuid B = new Uuid(2, 2);

    private static MetadataImage withTopicA() {
        return MetadataImage.EMPTY.apply(List.of(topic("a", A),
                partition(A, 0, List.of(1), List.of(1), 1, 0, 0),
                partition(A, 1, List.of(1), List.of(1), 1, 0, 0)), 2);
    }

    @Test
    void emptyImageHasNothing() {
        assertEquals(-1, MetadataImage.EMPTY.offset());
        assertTrue(MetadataImage.EMPTY.topicsByName().isEmpty());
        assertEquals(0, MetadataImage.EMPTY.nextProducerId());
    }

    @Test
    void topicAndPartitionRecordsCreateATopic() {
        MetadataImage image = withTopicA();
        assertEquals(2, image.offset());
        TopicImage a = image.topic("a");
        assertSame(a, image.topic(A));
        assertEquals("a", a.name());
        assertEquals(List.of(0, 1), List.copyOf(a.partitions().keySet()));
        assertEquals(new PartitionImage(1, List.of(1), List.of(1), 1, 0, 0), a.partitions().get(1));
        assertEquals(Map.of(), a.configs());
        assertFalse(a.isInternal());
    }

    @Test
    void aPartitionRecordReplacesThePartitionAndKeepsTheOthers() {
        MetadataImage image = withTopicA().apply(List.of(
                partition(A, 1, List.of(1, 2), List.of(2), 2, 3, 4)), 3);
        assertEquals(new PartitionImage(1, List.of(1, 2), List.of(2), 2, 3, 4), image.topic("a").partitions().get(1));
        assertEquals(new PartitionImage(0, List.of(1), List.of(1), 1, 0, 0), image.topic("a").partitions().get(0));
        assertEquals(image.topic("a"), image.topic(A));
    }

    @Test
    void configRecordsSetReplaceAndRemoveOverrides() {
        MetadataImage image = withTopicA().apply(List.of(
                topicConfig("a", "retention.ms", "1"),
                topicConfig("a", "cleanup.policy", "compact"),
                topicConfig("a", "retention.ms", "2")), 5);
        assertEquals(Map.of("retention.ms", "2", "cleanup.policy", "compact"), image.topic("a").configs());
        image = image.apply(List.of(topicConfig("a", "retention.ms", null),
                topicConfig("a", "never.set", null)), 7);
        assertEquals(Map.of("cleanup.policy", "compact"), image.topic("a").configs());
        assertEquals(2, image.topic(A).partitions().size(), "configs keep the partitions");
        assertEquals(image.topic("a"), image.topic(A));
    }

    @Test
    void removeTopicDeletesTheTopicItsPartitionsAndConfigs() {
        MetadataImage image = withTopicA().apply(List.of(topicConfig("a", "x", "y"),
                topic("b", B)), 4);
        image = image.apply(List.of(removeTopic(A)), 5);
        assertNull(image.topic("a"));
        assertNull(image.topic(A));
        assertEquals(List.of("b"), List.copyOf(image.topicsByName().keySet()));
        image = image.apply(List.of(topic("a", A)), 6);
        assertTrue(image.topic("a").partitions().isEmpty(), "a re-created topic starts empty");
        assertTrue(image.topic("a").configs().isEmpty());
    }

    @Test
    void producerIdsOnlyGrow() {
        MetadataImage image = MetadataImage.EMPTY.apply(List.of(producerIds(-1, -1, 1000)), 0);
        assertEquals(1000, image.nextProducerId());
        assertEquals(2000, image.apply(List.of(producerIds(-1, -1, 2000)), 1).nextProducerId());
        assertEquals(1000, image.apply(List.of(producerIds(-1, -1, 500)), 1).nextProducerId());
    }

    @Test
    void applyLeavesThePreviousImageUnchanged() {
        MetadataImage before = withTopicA();
        MetadataImage after = before.apply(List.of(removeTopic(A), topic("b", B),
                producerIds(-1, -1, 7)), 5);
        assertEquals(2, before.offset());
        assertEquals(List.of("a"), List.copyOf(before.topicsByName().keySet()));
        assertEquals(2, before.topic("a").partitions().size());
        assertEquals(0, before.nextProducerId());
        assertEquals(List.of("b"), List.copyOf(after.topicsByName().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> after.topicsByName().clear());
        assertThrows(UnsupportedOperationException.class,
                () -> before.topic("a").partitions().remove(0));
    }

    @Test
    void recordsForAnUnknownTopicAreRejected() {
        MetadataImage image = withTopicA();
        List<ApiMessageAndVersion> partition = List.of(partition(B, 0, List.of(1), List.of(1), 1, 0, 0));
        assertEquals("metadata record for unknown topic id " + B,
                assertThrows(IllegalStateException.class, () -> image.apply(partition, 3)).getMessage());
        assertEquals("metadata record for unknown topic id " + B, assertThrows(IllegalStateException.class,
                () -> image.apply(List.of(removeTopic(B)), 3)).getMessage());
        assertEquals("config record for unknown topic b", assertThrows(IllegalStateException.class,
                () -> image.apply(List.of(topicConfig("b", "x", "y")), 3)).getMessage());
    }

    @Test
    void internalTopicsStartWithTwoUnderscores() {
        MetadataImage image = MetadataImage.EMPTY.apply(List.of(topic("__consumer_offsets", A),
                topic("_single", B)), 1);
        assertTrue(image.topic("__consumer_offsets").isInternal());
        assertFalse(image.topic("_single").isInternal());
    }
}
