package io.brook.metadata.image;

import org.apache.kafka.common.Uuid;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one {@link MetadataDelta} changes in one topic: the partitions and config overrides the
 * records set, on top of the topic as it was in the base image (none for a topic created in the
 * delta). Applying it copies only this topic's maps, and only those that changed.
 *
 * <p>Thread-safety: built on the controller (or replay) thread; read-only once the delta is
 * published.
 */
public final class TopicDelta {
    private final TopicImage base;
    private final String name;
    private final Uuid id;
    private final TreeMap<Integer, PartitionImage> changedPartitions = new TreeMap<>();
    /** Config names set (value) or removed (null value). */
    private final Map<String, String> configChanges = new HashMap<>();

    TopicDelta(TopicImage base, String name, Uuid id) {
        this.base = base;
        this.name = name;
        this.id = id;
    }

    /** The topic before this delta; null when the delta created it. */
    public TopicImage base() {
        return base;
    }

    public boolean created() {
        return base == null;
    }

    public String name() {
        return name;
    }

    public Uuid id() {
        return id;
    }

    /** The partitions this delta created or changed, by index. */
    public SortedMap<Integer, PartitionImage> changedPartitions() {
        return Collections.unmodifiableSortedMap(changedPartitions);
    }

    /** Whether a config record touched this topic (its overrides may differ from the base's). */
    public boolean configsChanged() {
        return !configChanges.isEmpty();
    }

    /** The partition at this point of the delta (changed, else as in the base), or null. */
    PartitionImage partition(int partition) {
        PartitionImage changedPartition = changedPartitions.get(partition);
        if (changedPartition != null || base == null) {
            return changedPartition;
        }
        return base.partitions().get(partition);
    }

    void replacePartition(PartitionImage partition) {
        changedPartitions.put(partition.partition(), partition);
    }

    void changeConfig(String config, String value) {
        configChanges.put(config, value);
    }

    /** The topic after this delta. */
    TopicImage apply() {
        SortedMap<Integer, PartitionImage> partitions;
        if (changedPartitions.isEmpty()) {
            partitions = base == null ? Collections.emptySortedMap() : base.partitions();
        } else {
            // linear: both copies of sorted maps are built in one pass
            TreeMap<Integer, PartitionImage> merged = base == null ? new TreeMap<>(changedPartitions)
                    : new TreeMap<>(base.partitions());
            if (base != null) {
                merged.putAll(changedPartitions);
            }
            partitions = Collections.unmodifiableSortedMap(merged);
        }
        Map<String, String> configs = base == null ? Map.of() : base.configs();
        if (!configChanges.isEmpty()) {
            Map<String, String> merged = new HashMap<>(configs);
            for (Map.Entry<String, String> change : configChanges.entrySet()) {
                if (change.getValue() == null) {
                    merged.remove(change.getKey());
                } else {
                    merged.put(change.getKey(), change.getValue());
                }
            }
            configs = Map.copyOf(merged);
        }
        return new TopicImage(name, id, partitions, configs);
    }
}
