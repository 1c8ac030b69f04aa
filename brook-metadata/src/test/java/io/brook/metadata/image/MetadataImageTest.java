package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
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

    /** Kafka's PartitionChangeRecord semantics: -2 and null lists change nothing, -1 is no leader; epochs bump. */
    @Test
    void aPartitionChangeRecordChangesOnlyWhatItSets() {
        MetadataImage base = withTopicA().apply(List.of(
                partition(A, 1, List.of(1, 2, 3), List.of(1, 2, 3), 1, 5, 7)), 3);
        MetadataImage shrunk = base.apply(List.of(
                MetadataRecords.partitionChange(A, 1, null, List.of(1, 2), MetadataRecords.NO_LEADER_CHANGE)), 4);
        assertEquals(new PartitionImage(1, List.of(1, 2, 3), List.of(1, 2), 1, 5, 8),
                shrunk.topic("a").partitions().get(1), "ISR only: the partition epoch moves, the leader epoch not");
        MetadataImage moved = shrunk.apply(List.of(MetadataRecords.partitionChange(A, 1, null, null, 2)), 5);
        assertEquals(new PartitionImage(1, List.of(1, 2, 3), List.of(1, 2), 2, 6, 9),
                moved.topic("a").partitions().get(1), "a new leader: both epochs move");
        MetadataImage leaderless = moved.apply(List.of(MetadataRecords.partitionChange(A, 1, List.of(3, 2), List.of(),
                MetadataRecords.NO_LEADER)), 6);
        assertEquals(new PartitionImage(1, List.of(3, 2), List.of(), -1, 7, 10),
                leaderless.topic("a").partitions().get(1));
        assertSame(base.topic("a").partitions().get(0), leaderless.topic("a").partitions().get(0));
        assertThrows(IllegalStateException.class, () -> base.apply(List.of(
                MetadataRecords.partitionChange(A, 9, null, null, 1)), 4), "an unknown partition");
    }

    /**
     * KIP-966's fields: a PartitionRecord without them is empty lists, a PartitionChangeRecord's null leaves them,
     * an empty list clears them; the snapshot records (through Kafka's serde) rebuild them, and leave them out when empty.
     */
    @Test
    void eligibleLeaderReplicasReplayAndSurviveASnapshot() throws java.io.IOException {
        MetadataImage base = withTopicA().apply(List.of(
                partition(A, 1, List.of(1, 2, 3), List.of(1, 2, 3), 1, 5, 7)), 3);
        assertEquals(List.of(), base.topic("a").partitions().get(1).elr());
        assertEquals(List.of(), base.topic("a").partitions().get(1).lastKnownElr());
        MetadataImage emptied = base.apply(List.of(new ApiMessageAndVersion(
                new org.apache.kafka.common.metadata.PartitionChangeRecord().setTopicId(A).setPartitionId(1)
                        .setLeader(MetadataRecords.NO_LEADER).setIsr(List.of()).setEligibleLeaderReplicas(List.of(2, 3))
                        .setLastKnownElr(List.of(1)), MetadataRecords.METADATA_VERSION.partitionChangeRecordVersion())),
                4);
        PartitionImage p = emptied.topic("a").partitions().get(1);
        assertEquals(new PartitionImage(1, List.of(1, 2, 3), List.of(), -1, 6, 8, PartitionImage.RECOVERED, List.of(),
                List.of(), List.of(2, 3), List.of(1)), p);
        MetadataImage kept = emptied.apply(List.of(MetadataRecords.partitionChange(A, 1, null, null, 2)), 5);
        assertEquals(List.of(2, 3), kept.topic("a").partitions().get(1).elr(), "null: unchanged");
        assertEquals(List.of(1), kept.topic("a").partitions().get(1).lastKnownElr(), "null: unchanged");

        List<ApiMessageAndVersion> records = kept.records();
        MetadataDelta rebuilt = new MetadataDelta(MetadataImage.EMPTY);
        for (ApiMessageAndVersion record : records) {
            rebuilt.replay(io.brook.metadata.record.MetadataRecordCodec.decode(java.nio.ByteBuffer.wrap(
                    io.brook.metadata.record.MetadataRecordCodec.encode(record))));
        }
        assertEquals(kept, rebuilt.apply(kept.offset()));
        org.apache.kafka.common.metadata.PartitionRecord partition0 = records.stream()
                .filter(r -> r.message() instanceof org.apache.kafka.common.metadata.PartitionRecord pr
                        && pr.partitionId() == 0)
                .map(r -> (org.apache.kafka.common.metadata.PartitionRecord) r.message()).findFirst().orElseThrow();
        assertNull(partition0.eligibleLeaderReplicas(), "left out when empty");
        assertNull(partition0.lastKnownElr(), "left out when empty");

        MetadataImage cleared = kept.apply(List.of(new ApiMessageAndVersion(
                new org.apache.kafka.common.metadata.PartitionChangeRecord().setTopicId(A).setPartitionId(1)
                        .setEligibleLeaderReplicas(List.of()).setLastKnownElr(List.of()),
                MetadataRecords.METADATA_VERSION.partitionChangeRecordVersion())), 6);
        assertEquals(List.of(), cleared.topic("a").partitions().get(1).elr());
        assertEquals(List.of(), cleared.topic("a").partitions().get(1).lastKnownElr());
    }

    @Test
    void brokerConfigsAndFeaturesAreKept() {
        MetadataImage image = MetadataImage.EMPTY.apply(List.of(
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "log.retention.ms", "5"),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "1", "log.retention.ms", "6"),
                MetadataRecords.featureLevel("metadata.version", (short) 30)), 2);
        assertEquals(Map.of("", Map.of("log.retention.ms", "5"), "1", Map.of("log.retention.ms", "6")),
                image.brokerConfigs());
        assertEquals(Map.of("metadata.version", (short) 30), image.features());
        MetadataImage removed = image.apply(List.of(
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "1", "log.retention.ms", null)), 3);
        assertEquals(Map.of("", Map.of("log.retention.ms", "5")), removed.brokerConfigs());
        assertThrows(IllegalStateException.class, () -> image.apply(List.of(
                MetadataRecords.config((byte) 8, "x", "a", "b")), 3), "a resource type Brook does not keep");
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

    @Test
    void brokerRecordsBuildTheClusterImageAndSnapshotsKeepThem() {
        org.apache.kafka.common.metadata.RegisterBrokerRecord register =
                new org.apache.kafka.common.metadata.RegisterBrokerRecord().setBrokerId(3).setBrokerEpoch(7)
                        .setIncarnationId(B).setRack("r1");
        MetadataDelta delta = new MetadataDelta(withTopicA());
        delta.replay(new ApiMessageAndVersion(register, (short) 0));
        delta.replay(new ApiMessageAndVersion(new org.apache.kafka.common.metadata.UnfenceBrokerRecord()
                .setId(3).setEpoch(7), (short) 0));
        assertTrue(delta.brokersChanged());
        assertEquals(List.of(3), List.copyOf(delta.changedBrokers().keySet()));
        assertTrue(delta.changedTopics().isEmpty());
        MetadataImage image = delta.apply(4);
        assertTrue(image.cluster().usable(3));
        assertEquals(7, image.cluster().broker(3).epoch());

        MetadataImage rebuilt = MetadataImage.EMPTY.apply(image.records(), image.offset());
        assertEquals(image, rebuilt);
        assertEquals(image.cluster(), rebuilt.cluster());

        MetadataDelta topicsOnly = new MetadataDelta(image);
        topicsOnly.replay(topic("b", A == B ? null : new Uuid(9, 9)));
        assertFalse(topicsOnly.brokersChanged());
        assertSame(image.cluster(), topicsOnly.apply(5).cluster());
    }

    @Test
    void betweenTwoImagesMakesOneDeltaToTheSecond() {
        org.apache.kafka.common.metadata.RegisterBrokerRecord three =
                new org.apache.kafka.common.metadata.RegisterBrokerRecord().setBrokerId(3).setBrokerEpoch(7)
                        .setIncarnationId(B);
        org.apache.kafka.common.metadata.RegisterBrokerRecord four =
                new org.apache.kafka.common.metadata.RegisterBrokerRecord().setBrokerId(4).setBrokerEpoch(8)
                        .setIncarnationId(B);
        Uuid c = new Uuid(3, 3);
        Uuid d = new Uuid(4, 4);
        MetadataImage from = withTopicA().apply(List.of(topic("b", B), partition(B, 0, List.of(1), List.of(1), 1, 0, 0),
                topic("c", c), topicConfig("c", "retention.ms", "1"),
                new ApiMessageAndVersion(three, (short) 0),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "x", "1"),
                MetadataRecords.featureLevel("f", (short) 2), producerIds(1, 1, 1000)), 10);
        MetadataImage to = withTopicA().apply(List.of(topic("c", d), topicConfig("c", "retention.ms", "2"),
                new ApiMessageAndVersion(four, (short) 0),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "y", "2"),
                MetadataRecords.featureLevel("g", (short) 1), producerIds(1, 1, 2000)), 20);

        MetadataDelta delta = MetadataDelta.between(from, to);
        assertEquals(to, delta.apply(to.offset()));
        assertEquals(java.util.Set.of(B, c), delta.deletedTopics().stream().map(TopicImage::id)
                .collect(java.util.stream.Collectors.toSet()));
        assertEquals(List.of(d), delta.changedTopics().stream().map(TopicDelta::id).toList(),
                "topic a is unchanged, so not in the delta");
        assertEquals(java.util.Set.of(3, 4), delta.changedBrokers().keySet());
        assertTrue(delta.brokerConfigsChanged() && delta.featuresChanged() && delta.producerIdsChanged());
        assertEquals(from, MetadataDelta.between(from, from).apply(from.offset()));
        assertTrue(MetadataDelta.between(from, from).changedTopics().isEmpty());
    }
}
