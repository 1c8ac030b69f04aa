package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
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

@Timeout(30)
class MetadataImageTest {
    private static final Uuid A = new Uuid(1, 1);
    private static final Uuid B = new Uuid(2, 2);

    private static MetadataImage withTopicA() {
        return MetadataImage.EMPTY.apply(List.of(new TopicRecord("a", A),
                new PartitionRecord(A, 0, List.of(1), List.of(1), 1, 0, 0),
                new PartitionRecord(A, 1, List.of(1), List.of(1), 1, 0, 0)), 2);
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
                new PartitionRecord(A, 1, List.of(1, 2), List.of(2), 2, 3, 4)), 3);
        assertEquals(new PartitionImage(1, List.of(1, 2), List.of(2), 2, 3, 4), image.topic("a").partitions().get(1));
        assertEquals(new PartitionImage(0, List.of(1), List.of(1), 1, 0, 0), image.topic("a").partitions().get(0));
        assertEquals(image.topic("a"), image.topic(A));
    }

    @Test
    void configRecordsSetReplaceAndRemoveOverrides() {
        MetadataImage image = withTopicA().apply(List.of(
                new ConfigRecord("a", "retention.ms", "1"),
                new ConfigRecord("a", "cleanup.policy", "compact"),
                new ConfigRecord("a", "retention.ms", "2")), 5);
        assertEquals(Map.of("retention.ms", "2", "cleanup.policy", "compact"), image.topic("a").configs());
        image = image.apply(List.of(new ConfigRecord("a", "retention.ms", null),
                new ConfigRecord("a", "never.set", null)), 7);
        assertEquals(Map.of("cleanup.policy", "compact"), image.topic("a").configs());
        assertEquals(2, image.topic(A).partitions().size(), "configs keep the partitions");
        assertEquals(image.topic("a"), image.topic(A));
    }

    @Test
    void removeTopicDeletesTheTopicItsPartitionsAndConfigs() {
        MetadataImage image = withTopicA().apply(List.of(new ConfigRecord("a", "x", "y"),
                new TopicRecord("b", B)), 4);
        image = image.apply(List.of(new RemoveTopicRecord(A)), 5);
        assertNull(image.topic("a"));
        assertNull(image.topic(A));
        assertEquals(List.of("b"), List.copyOf(image.topicsByName().keySet()));
        image = image.apply(List.of(new TopicRecord("a", A)), 6);
        assertTrue(image.topic("a").partitions().isEmpty(), "a re-created topic starts empty");
        assertTrue(image.topic("a").configs().isEmpty());
    }

    @Test
    void producerIdsOnlyGrow() {
        MetadataImage image = MetadataImage.EMPTY.apply(List.of(new ProducerIdsRecord(1000)), 0);
        assertEquals(1000, image.nextProducerId());
        assertEquals(2000, image.apply(List.of(new ProducerIdsRecord(2000)), 1).nextProducerId());
        assertEquals(1000, image.apply(List.of(new ProducerIdsRecord(500)), 1).nextProducerId());
    }

    @Test
    void applyLeavesThePreviousImageUnchanged() {
        MetadataImage before = withTopicA();
        MetadataImage after = before.apply(List.of(new RemoveTopicRecord(A), new TopicRecord("b", B),
                new ProducerIdsRecord(7)), 5);
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
        List<MetadataRecord> partition = List.of(new PartitionRecord(B, 0, List.of(1), List.of(1), 1, 0, 0));
        assertEquals("metadata record for unknown topic id " + B,
                assertThrows(IllegalStateException.class, () -> image.apply(partition, 3)).getMessage());
        assertEquals("metadata record for unknown topic id " + B, assertThrows(IllegalStateException.class,
                () -> image.apply(List.of(new RemoveTopicRecord(B)), 3)).getMessage());
        assertEquals("config record for unknown topic b", assertThrows(IllegalStateException.class,
                () -> image.apply(List.of(new ConfigRecord("b", "x", "y")), 3)).getMessage());
    }

    @Test
    void internalTopicsStartWithTwoUnderscores() {
        MetadataImage image = MetadataImage.EMPTY.apply(List.of(new TopicRecord("__consumer_offsets", A),
                new TopicRecord("_single", B)), 1);
        assertTrue(image.topic("__consumer_offsets").isInternal());
        assertFalse(image.topic("_single").isInternal());
    }
}
