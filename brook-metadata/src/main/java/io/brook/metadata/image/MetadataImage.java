package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecord;
import org.apache.kafka.common.Uuid;

import java.util.List;

/**
 * The cluster metadata at one point of the metadata log: immutable, shared freely between
 * threads. A new image is made from a {@link MetadataDelta}; nothing else changes metadata. Images
 * share their unchanged topics with the image they came from (the topic maps are
 * {@link PersistentMap}s), so a change costs what it touches, not the size of the cluster.
 */
public final class MetadataImage {
    public static final MetadataImage EMPTY = new MetadataImage(-1, PersistentMap.empty(), PersistentMap.empty(), 0);

    private final long offset;
    private final PersistentMap<String, TopicImage> topicsByName;
    private final PersistentMap<Uuid, TopicImage> topicsById;
    private final long nextProducerId;

    MetadataImage(long offset, PersistentMap<String, TopicImage> topicsByName,
                  PersistentMap<Uuid, TopicImage> topicsById, long nextProducerId) {
        this.offset = offset;
        this.topicsByName = topicsByName;
        this.topicsById = topicsById;
        this.nextProducerId = nextProducerId;
    }

    /** The image after {@code records}, which were written at offsets up to {@code lastOffset}. */
    public MetadataImage apply(List<MetadataRecord> records, long lastOffset) {
        MetadataDelta delta = new MetadataDelta(this);
        for (MetadataRecord record : records) {
            delta.replay(record);
        }
        return delta.apply(lastOffset);
    }

    /** Offset of the last metadata record applied (-1 for none). */
    public long offset() {
        return offset;
    }

    public TopicImage topic(String name) {
        return topicsByName.get(name);
    }

    public TopicImage topic(Uuid id) {
        return topicsById.get(id);
    }

    /** Every topic by name (read-only). */
    public PersistentMap<String, TopicImage> topicsByName() {
        return topicsByName;
    }

    /** Every topic by id (read-only). */
    public PersistentMap<Uuid, TopicImage> topicsById() {
        return topicsById;
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    /** Images are equal when they hold the same topics and producer ids at the same offset. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MetadataImage other && offset == other.offset && nextProducerId == other.nextProducerId
                && topicsById.equals(other.topicsById) && topicsByName.equals(other.topicsByName);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + topicsById.hashCode();
    }

    @Override
    public String toString() {
        return "MetadataImage(offset " + offset + ", next producer id " + nextProducerId + ", topics "
                + topicsById.values() + ")";
    }
}
