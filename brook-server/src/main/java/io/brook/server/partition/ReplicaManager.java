package io.brook.server.partition;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicDelta;
import io.brook.metadata.image.TopicImage;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The partitions this node hosts, kept in line with the metadata image: each committed
 * {@link MetadataDelta} creates the logs of new partitions, applies config changes and deletes the
 * logs of deleted topics. It visits only what the delta changed, so a producer-id block or a new
 * topic costs nothing for the topics already there. {@link #onImage} reconciles with a whole
 * image once, at start-up.
 *
 * <p>Thread-safety: {@link #onImage} and {@link #onMetadataUpdate} run on the metadata publisher
 * thread; lookups may come from any thread and see either the old or the new set of partitions.
 */
public final class ReplicaManager {
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final int nodeId;
    private final LogManager logManager;
    private final Map<String, String> topicDefaults;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile Consumer<TopicPartition> highWatermarkListener = tp -> { };

    public ReplicaManager(int nodeId, LogManager logManager, Map<String, String> topicDefaults) {
        this.nodeId = nodeId;
        this.logManager = logManager;
        this.topicDefaults = topicDefaults;
    }

    /** The log config of a topic: broker defaults overlaid with the topic's overrides. */
    public LogConfig logConfig(TopicImage topic) {
        return LogConfig.fromMap(effectiveConfigs(topic.configs()));
    }

    public Map<String, String> effectiveConfigs(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(topicDefaults);
        merged.putAll(overrides);
        return merged;
    }

    /** Brings hosted partitions in line with the committed change {@code delta}, which made {@code next}. */
    public synchronized void onMetadataUpdate(MetadataDelta delta, MetadataImage next) {
        try {
            for (TopicImage gone : delta.deletedTopics()) {
                deleteLogs(gone);
            }
            for (TopicDelta changed : delta.changedTopics()) {
                TopicImage topic = next.topic(changed.id());
                LogConfig config = logConfig(topic); // parsed once per changed topic, not per partition
                int created = 0;
                for (PartitionImage p : changed.changedPartitions().values()) {
                    if (p.replicas().contains(nodeId)) {
                        created += host(topic, p, config) ? 1 : 0;
                    }
                }
                if (!changed.created() && changed.configsChanged()) {
                    for (PartitionImage p : topic.partitions().values()) {
                        Partition existing = partitions.get(new TopicPartition(topic.name(), p.partition()));
                        if (existing != null) {
                            existing.log().updateConfig(config);
                        }
                    }
                }
                if (created > 0 && changed.created()) {
                    log.info("Created topic {} (id {}): {} partitions, configs {}", topic.name(), topic.id(), created,
                            topic.configs());
                } else if (created > 0) {
                    log.info("Added {} partitions to topic {}: now {}", created, topic.name(),
                            topic.partitions().size());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image = next;
    }

    /** Creates the log of a partition new to this node (true), or updates the one it has (false). */
    private boolean host(TopicImage topic, PartitionImage p, LogConfig config) throws IOException {
        TopicPartition tp = new TopicPartition(topic.name(), p.partition());
        Partition existing = partitions.get(tp);
        if (existing != null) {
            existing.update(p);
            return false;
        }
        PartitionLog partitionLog;
        try {
            partitionLog = logManager.getOrCreate(tp, topic.id(), config);
        } catch (KafkaStorageException offline) {
            return false; // its files did not load at start-up (logged then): not hosted
        }
        Partition partition = new Partition(tp, topic.id(), partitionLog, p, nodeId);
        partition.onHighWatermarkAdvanced(highWatermarkListener);
        partitions.put(tp, partition);
        return true;
    }

    private void deleteLogs(TopicImage topic) throws IOException {
        for (PartitionImage p : topic.partitions().values()) {
            TopicPartition tp = new TopicPartition(topic.name(), p.partition());
            partitions.remove(tp);
            logManager.delete(tp);
        }
        log.info("Deleted the logs of topic {} ({} partitions)", topic.name(), topic.partitions().size());
    }

    /** Brings hosted partitions in line with the whole image {@code next} (at start-up). */
    public synchronized void onImage(MetadataImage next) {
        MetadataImage previous = image;
        try {
            for (TopicImage topic : next.topicsByName().values()) {
                TopicImage before = previous.topic(topic.id());
                LogConfig config = logConfig(topic);
                int created = 0;
                for (PartitionImage p : topic.partitions().values()) {
                    if (!p.replicas().contains(nodeId)) {
                        continue;
                    }
                    TopicPartition tp = new TopicPartition(topic.name(), p.partition());
                    Partition existing = partitions.get(tp);
                    if (existing == null) {
                        PartitionLog partitionLog;
                        try {
                            partitionLog = logManager.getOrCreate(tp, topic.id(), config);
                        } catch (KafkaStorageException offline) {
                            continue; // its files did not load at start-up (logged then): not hosted
                        }
                        Partition partition = new Partition(tp, topic.id(), partitionLog, p, nodeId);
                        partition.onHighWatermarkAdvanced(highWatermarkListener);
                        partitions.put(tp, partition);
                        created++;
                    } else {
                        existing.update(p);
                        if (before == null || !before.configs().equals(topic.configs())) {
                            existing.log().updateConfig(config);
                        }
                    }
                }
                if (created > 0 && before == null && previous != MetadataImage.EMPTY) {
                    log.info("Created topic {} (id {}): {} partitions, configs {}", topic.name(), topic.id(), created,
                            topic.configs());
                } else if (created > 0 && before != null) {
                    log.info("Added {} partitions to topic {}: now {}", created, topic.name(),
                            topic.partitions().size());
                }
            }
            for (TopicImage topic : previous.topicsByName().values()) {
                if (next.topic(topic.id()) == null) {
                    deleteLogs(topic);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image = next;
    }

    /**
     * Sets what every hosted partition calls after its high watermark advanced (see
     * {@link Partition#onHighWatermarkAdvanced}): delayed operations waiting on it are checked then.
     */
    public void onHighWatermarkAdvanced(Consumer<TopicPartition> listener) {
        this.highWatermarkListener = listener;
        partitions.values().forEach(p -> p.onHighWatermarkAdvanced(listener));
    }

    public Partition partition(TopicPartition tp) {
        return partitions.get(tp);
    }

    public Map<TopicPartition, Partition> partitions() {
        return partitions;
    }

    public MetadataImage image() {
        return image;
    }

    /** The node's log directories, each online or offline after an I/O error. */
    public List<LogDir> logDirs() {
        return logManager.dirs();
    }
}
