package io.brook.metadata.record;

import org.apache.kafka.common.Uuid;

import java.util.List;

/**
 * A change to cluster metadata. The metadata image is the result of applying every record of the
 * metadata log in order; records are the only way the image changes.
 */
public sealed interface MetadataRecord {

    /** A topic was created. */
    record TopicRecord(String name, Uuid topicId) implements MetadataRecord {
    }

    /** A partition exists, or changed leader / replicas / ISR. */
    record PartitionRecord(Uuid topicId, int partition, List<Integer> replicas, List<Integer> isr, int leader,
                           int leaderEpoch, int partitionEpoch) implements MetadataRecord {
    }

    /** A topic-level config was set ({@code value} non-null) or removed (null). */
    record ConfigRecord(String topic, String name, String value) implements MetadataRecord {
    }

    /** A topic and all its partitions were deleted. */
    record RemoveTopicRecord(Uuid topicId) implements MetadataRecord {
    }

    /** Producer ids below {@code nextProducerId} have been handed out. */
    record ProducerIdsRecord(long nextProducerId) implements MetadataRecord {
    }
}
