package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
import org.apache.kafka.common.Uuid;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The changes a run of metadata records makes to a base image (KRaft's {@code MetadataDelta}):
 * records are {@linkplain #replay replayed} into it one by one, then {@link #apply} makes the
 * new image, which shares every topic the records did not touch with the base. Listeners get the
 * delta with the new image, so they visit what changed instead of the whole cluster.
 *
 * <p>A record the base image plus the records before it cannot take (a partition of an unknown
 * topic, say) throws {@link IllegalStateException} and leaves the delta unusable.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied and
 * handed to listeners.
 */
public final class MetadataDelta {
    private final MetadataImage base;
    /** Topics created or changed by the delta and alive at its end, by id, in order of first change. */
    private final Map<Uuid, TopicDelta> changed = new LinkedHashMap<>();
    /** Topics of the base image that the delta removed (a re-created id is also in {@link #changed}). */
    private final Map<Uuid, TopicImage> removed = new LinkedHashMap<>();
    /** Names of the topics the delta created, to find them by name before the image exists. */
    private final Map<String, Uuid> createdNames = new HashMap<>();
    private long nextProducerId;

    public MetadataDelta(MetadataImage base) {
        this.base = base;
        this.nextProducerId = base.nextProducerId();
    }

    public MetadataImage base() {
        return base;
    }

    /** Adds one record to the delta. */
    public void replay(MetadataRecord record) {
        if (record instanceof TopicRecord r) {
            replayTopic(r);
        } else if (record instanceof PartitionRecord r) {
            topicDelta(requireLive(r.topicId())).replacePartition(new PartitionImage(r.partition(), r.replicas(),
                    r.isr(), r.leader(), r.leaderEpoch(), r.partitionEpoch()));
        } else if (record instanceof ConfigRecord r) {
            Uuid id = liveId(r.topic());
            if (id == null) {
                throw new IllegalStateException("config record for unknown topic " + r.topic());
            }
            topicDelta(id).changeConfig(r.name(), r.value());
        } else if (record instanceof RemoveTopicRecord r) {
            Uuid id = requireLive(r.topicId());
            TopicDelta delta = changed.remove(id);
            if (delta != null && delta.created()) {
                createdNames.remove(delta.name());
            }
            TopicImage inBase = base.topic(id);
            if (inBase != null) {
                removed.put(id, inBase);
            }
        } else if (record instanceof ProducerIdsRecord r) {
            nextProducerId = Math.max(nextProducerId, r.nextProducerId());
        } else {
            throw new IllegalStateException("unknown metadata record " + record);
        }
    }

    /** A topic record starts the topic afresh: one that exists under the same id is replaced. */
    private void replayTopic(TopicRecord r) {
        Uuid sameName = liveId(r.name());
        if (sameName != null && !sameName.equals(r.topicId())) {
            throw new IllegalStateException("topic record for " + r.name() + " (id " + r.topicId()
                    + "), a name topic id " + sameName + " has");
        }
        if (live(r.topicId()) != null) {
            TopicDelta previous = changed.remove(r.topicId());
            if (previous != null && previous.created()) {
                createdNames.remove(previous.name());
            }
            TopicImage inBase = base.topic(r.topicId());
            if (inBase != null) {
                removed.put(r.topicId(), inBase);
            }
        }
        changed.put(r.topicId(), new TopicDelta(null, r.name(), r.topicId()));
        createdNames.put(r.name(), r.topicId());
    }

    /** The topic's name if it exists at this point of the delta, else null. */
    private String live(Uuid id) {
        TopicDelta delta = changed.get(id);
        if (delta != null) {
            return delta.name();
        }
        if (removed.containsKey(id)) {
            return null;
        }
        TopicImage topic = base.topic(id);
        return topic == null ? null : topic.name();
    }

    private Uuid requireLive(Uuid id) {
        if (live(id) == null) {
            throw new IllegalStateException("metadata record for unknown topic id " + id);
        }
        return id;
    }

    /** The id of the topic named {@code name} at this point of the delta, else null. */
    private Uuid liveId(String name) {
        Uuid created = createdNames.get(name);
        if (created != null) {
            return created;
        }
        TopicImage topic = base.topic(name);
        if (topic == null || removed.containsKey(topic.id())) {
            return null;
        }
        return topic.id();
    }

    /** The delta of a live topic, started from the base image's topic on its first change. */
    private TopicDelta topicDelta(Uuid id) {
        TopicDelta delta = changed.get(id);
        if (delta == null) {
            TopicImage topic = base.topic(id);
            delta = new TopicDelta(topic, topic.name(), id);
            changed.put(id, delta);
        }
        return delta;
    }

    /** Topics created or changed (and not removed again) by this delta. */
    public Collection<TopicDelta> changedTopics() {
        return Collections.unmodifiableCollection(changed.values());
    }

    /** The delta of topic {@code id}, or null when the delta did not create or change it. */
    public TopicDelta topic(Uuid id) {
        return changed.get(id);
    }

    /** Topics of the base image the delta deleted (or replaced by a topic record with their id). */
    public Collection<TopicImage> deletedTopics() {
        return Collections.unmodifiableCollection(removed.values());
    }

    /** Whether a producer-ids record raised the next producer id. */
    public boolean producerIdsChanged() {
        return nextProducerId != base.nextProducerId();
    }

    /** The image after this delta, whose last record has offset {@code lastOffset}. */
    public MetadataImage apply(long lastOffset) {
        PersistentMap<Uuid, TopicImage> byId = base.topicsById();
        PersistentMap<String, TopicImage> byName = base.topicsByName();
        for (TopicImage gone : removed.values()) {
            byId = byId.minus(gone.id());
            byName = byName.minus(gone.name());
        }
        for (TopicDelta delta : changed.values()) {
            TopicImage topic = delta.apply();
            byId = byId.plus(topic.id(), topic);
            byName = byName.plus(topic.name(), topic);
        }
        return new MetadataImage(lastOffset, byName, byId, nextProducerId);
    }
}
