package io.brook.metadata.image;

import org.apache.kafka.common.Uuid;

import java.util.Map;
import java.util.SortedMap;

/** One topic: name, id, partitions by index, and its topic-level config overrides. */
public record TopicImage(String name, Uuid id, SortedMap<Integer, PartitionImage> partitions,
                         Map<String, String> configs) {

    public boolean isInternal() {
        return name.startsWith("__");
    }
}
