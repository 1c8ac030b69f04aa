package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
import org.apache.kafka.common.Uuid;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster metadata at one point of the metadata log: immutable, shared freely between
 * threads. A new image is made by {@link #apply(List)}; nothing else changes metadata.
 */
public final class MetadataImage {
    public static final MetadataImage EMPTY = new MetadataImage(-1, Map.of(), Map.of(), 0);

    private final long offset;
    private final Map<String, TopicImage> topicsByName;
    private final Map<Uuid, TopicImage> topicsById;
    private final long nextProducerId;

    private MetadataImage(long offset, Map<String, TopicImage> topicsByName, Map<Uuid, TopicImage> topicsById,
                          long nextProducerId) {
        this.offset = offset;
        this.topicsByName = topicsByName;
        this.topicsById = topicsById;
        this.nextProducerId = nextProducerId;
    }

    /** The image after {@code records}, which were written at offsets up to {@code lastOffset}. */
    public MetadataImage apply(List<MetadataRecord> records, long lastOffset) {
        Map<Uuid, TopicImage> byId = new HashMap<>(topicsById);
        long producerIds = nextProducerId;
        for (MetadataRecord record : records) {
            if (record instanceof TopicRecord r) {
                byId.put(r.topicId(), new TopicImage(r.name(), r.topicId(), Collections.emptySortedMap(), Map.of()));
            } else if (record instanceof PartitionRecord r) {
                TopicImage t = require(byId, r.topicId());
                TreeMap<Integer, PartitionImage> parts = new TreeMap<>(t.partitions());
                parts.put(r.partition(), new PartitionImage(r.partition(), r.replicas(), r.isr(), r.leader(),
                        r.leaderEpoch(), r.partitionEpoch()));
                byId.put(t.id(), new TopicImage(t.name(), t.id(), Collections.unmodifiableSortedMap(parts),
                        t.configs()));
            } else if (record instanceof ConfigRecord r) {
                TopicImage t = null;
                for (TopicImage candidate : byId.values()) {
                    if (candidate.name().equals(r.topic())) {
                        t = candidate;
                    }
                }
                if (t == null) {
                    throw new IllegalStateException("config record for unknown topic " + r.topic());
                }
                Map<String, String> configs = new HashMap<>(t.configs());
                if (r.value() == null) {
                    configs.remove(r.name());
                } else {
                    configs.put(r.name(), r.value());
                }
                byId.put(t.id(), new TopicImage(t.name(), t.id(), t.partitions(), Map.copyOf(configs)));
            } else if (record instanceof RemoveTopicRecord r) {
                require(byId, r.topicId());
                byId.remove(r.topicId());
            } else if (record instanceof ProducerIdsRecord r) {
                producerIds = Math.max(producerIds, r.nextProducerId());
            }
        }
        Map<String, TopicImage> byName = new HashMap<>();
        for (TopicImage t : byId.values()) {
            byName.put(t.name(), t);
        }
        return new MetadataImage(lastOffset, Map.copyOf(byName), Map.copyOf(byId), producerIds);
    }

    private static TopicImage require(Map<Uuid, TopicImage> byId, Uuid id) {
        TopicImage t = byId.get(id);
        if (t == null) {
            throw new IllegalStateException("metadata record for unknown topic id " + id);
        }
        return t;
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

    public Map<String, TopicImage> topicsByName() {
        return topicsByName;
    }

    public long nextProducerId() {
        return nextProducerId;
    }
}
