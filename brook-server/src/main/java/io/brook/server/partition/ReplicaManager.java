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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

    /** Threads creating the logs of many new partitions side by side. */
    static final int CREATION_THREADS = 8;
    /** Fewer new partitions than this are created on the publisher thread itself. */
    static final int PARALLEL_CREATION_MIN = 16;
    private static final long CREATION_THREAD_IDLE_S = 10;

    private final int nodeId;
    private final LogManager logManager;
    private final Map<String, String> topicDefaults;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile java.util.function.Consumer<TopicPartition> highWatermarkListener = tp -> { };
    /** Made on first use; its idle threads end by themselves (guarded by this). */
    private ExecutorService creationPool;

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
            List<Creation> creations = new ArrayList<>();
            Map<TopicDelta, AtomicInteger> createdPerTopic = new LinkedHashMap<>();
            for (TopicDelta changed : delta.changedTopics()) {
                TopicImage topic = next.topic(changed.id());
                LogConfig config = logConfig(topic); // parsed once per changed topic, not per partition
                AtomicInteger created = new AtomicInteger();
                createdPerTopic.put(changed, created);
                for (PartitionImage p : changed.changedPartitions().values()) {
                    if (!p.replicas().contains(nodeId)) {
                        continue;
                    }
                    Partition existing = partitions.get(new TopicPartition(topic.name(), p.partition()));
                    if (existing != null) {
                        existing.update(p);
                    } else {
                        creations.add(new Creation(topic, p, config, created));
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
            }
            createAll(creations);
            for (Map.Entry<TopicDelta, AtomicInteger> e : createdPerTopic.entrySet()) {
                TopicImage topic = next.topic(e.getKey().id());
                int created = e.getValue().get();
                if (created > 0 && e.getKey().created()) {
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

    /** Creates the log of a partition new to this node; false when its directory is offline. */
    private boolean create(TopicImage topic, PartitionImage p, LogConfig config) {
        TopicPartition tp = new TopicPartition(topic.name(), p.partition());
        PartitionLog partitionLog;
        try {
            partitionLog = logManager.getOrCreate(tp, topic.id(), config);
        } catch (KafkaStorageException offline) {
            return false; // its files did not load at start-up (logged then): not hosted
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Partition partition = new Partition(tp, topic.id(), partitionLog, p, nodeId);
        partition.onHighWatermarkAdvanced(highWatermarkListener);
        partitions.put(tp, partition);
        return true;
    }

    /** A partition new to this node, whose log is to be created; {@code created} counts its topic's. */
    private record Creation(TopicImage topic, PartitionImage partition, LogConfig config, AtomicInteger created) {
    }

    /**
     * Creates the logs of one delta's new partitions and returns once all exist: on up to
     * {@link #CREATION_THREADS} threads when there are many, since a new file mostly waits on the
     * file system's journal and many such waits overlap (a node creating 1,000 partitions spends
     * little CPU). The first failure is thrown once every creation has finished.
     */
    private void createAll(List<Creation> creations) {
        if (creations.size() < PARALLEL_CREATION_MIN) {
            for (Creation c : creations) {
                if (create(c.topic(), c.partition(), c.config())) {
                    c.created().incrementAndGet();
                }
            }
            return;
        }
        List<Future<?>> futures = new ArrayList<>();
        for (Creation c : creations) {
            futures.add(creationPool().submit(() -> {
                if (create(c.topic(), c.partition(), c.config())) {
                    c.created().incrementAndGet();
                }
            }));
        }
        RuntimeException failure = null;
        boolean interrupted = false;
        for (Future<?> future : futures) {
            while (true) {
                try {
                    future.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // every creation must have finished before the image moves on
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private synchronized ExecutorService creationPool() {
        if (creationPool == null) {
            ThreadPoolExecutor pool = new ThreadPoolExecutor(CREATION_THREADS, CREATION_THREADS,
                    CREATION_THREAD_IDLE_S, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "brook-log-creator");
                        t.setDaemon(true);
                        return t;
                    });
            pool.allowCoreThreadTimeOut(true); // no threads kept once the creations are done
            creationPool = pool;
        }
        return creationPool;
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
    public void onHighWatermarkAdvanced(java.util.function.Consumer<TopicPartition> listener) {
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
