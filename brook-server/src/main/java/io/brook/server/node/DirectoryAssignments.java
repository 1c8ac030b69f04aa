package io.brook.server.node;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.controller.ControllerChannel;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * KIP-858 on a broker: tells the active controller which of this broker's log directories holds each of its replicas
 * (Kafka's AssignReplicasToDirs), so that when a directory fails the controller moves the leaderships and ISR places
 * of the replicas in it, and only those (the failed directories themselves travel in the heartbeat:
 * {@link #offlineDirs}).
 *
 * <p>A pass compares, for every local log of a partition this broker holds a replica of, the directory the log is in
 * with the one the metadata names; the ones that differ (a replica created or moved on a node with several
 * directories, or one whose directory failed before the controller knew it was there) are sent in one request. A pass
 * runs after a metadata change or a directory failure, and every {@link #RESCAN_TICKS}th tick regardless (a move
 * between directories changes no metadata); at most one request is out at a time. A refused or lost request is sent
 * again by a later pass (an assignment the controller already has writes nothing).
 *
 * <p>Thread-safety: passes run on the given scheduler, one at a time; {@link #trigger} and {@link #offlineDirs} may
 * be called from any thread.
 */
public final class DirectoryAssignments {
    private static final Logger log = LoggerFactory.getLogger(DirectoryAssignments.class);
    /** Most partitions one request carries (the rest go in the next pass). */
    static final int MAX_PARTITIONS_PER_REQUEST = 10_000;
    /** A pass runs at least every this many ticks, metadata changed or not. */
    static final int RESCAN_TICKS = 10;

    private final int brokerId;
    private final LogManager logs;
    /** Each log directory's id (its meta.properties {@code directory.id}). */
    private final Map<LogDir, Uuid> ids;
    private final ControllerChannel channel;
    private final Supplier<MetadataImage> image;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean inFlight = new AtomicBoolean();

    // scheduler thread only:
    private long lastOffset = -1;
    private int lastLogCount = -1;
    private int ticks;
    private LongSupplier brokerEpoch = () -> -1;
    private volatile boolean dirty = true;

    /**
     * @param directoryIds every log directory's id, by path (from the meta.properties files)
     */
    public DirectoryAssignments(int brokerId, LogManager logs, Map<File, Uuid> directoryIds,
                                ControllerChannel channel, Supplier<MetadataImage> image,
                                ScheduledExecutorService scheduler) throws IOException {
        this.brokerId = brokerId;
        this.logs = logs;
        this.channel = channel;
        this.image = image;
        this.scheduler = scheduler;
        Map<File, Uuid> canonical = new HashMap<>();
        for (Map.Entry<File, Uuid> e : directoryIds.entrySet()) {
            canonical.put(e.getKey().getCanonicalFile(), e.getValue());
        }
        this.ids = new LinkedHashMap<>();
        for (LogDir dir : logs.dirs()) {
            Uuid id = canonical.get(dir.logDir().getCanonicalFile());
            if (id == null) {
                throw new IOException("log directory " + dir.logDir() + " has no directory id in its meta.properties");
            }
            ids.put(dir, id);
        }
    }

    /**
     * Starts the passes, one tick every {@code intervalMs}.
     *
     * @param epoch this broker's current registration epoch, -1 while it has none
     */
    public void start(LongSupplier epoch, long intervalMs) {
        scheduler.execute(() -> brokerEpoch = epoch);
        scheduler.scheduleWithFixedDelay(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    /** The ids of the log directories that went offline, in {@code log.dirs} order. */
    public List<Uuid> offlineDirs() {
        List<Uuid> offline = new ArrayList<>();
        ids.forEach((dir, id) -> {
            if (dir.isOffline()) {
                offline.add(id);
            }
        });
        return offline;
    }

    /** Runs a pass soon (a directory failed). */
    public void trigger() {
        dirty = true;
        try {
            scheduler.execute(this::tick);
        } catch (RejectedExecutionException closed) {
            // the node is stopping
        }
    }

    private void tick() {
        try {
            MetadataImage current = image.get();
            int logCount = logs.dirs().stream().mapToInt(LogDir::logCount).sum();
            boolean due = dirty || current.offset() != lastOffset || logCount != lastLogCount
                    || ++ticks >= RESCAN_TICKS;
            long epoch = brokerEpoch.getAsLong();
            if (!due || epoch < 0 || inFlight.get()) {
                return;
            }
            dirty = false;
            ticks = 0;
            lastOffset = current.offset();
            lastLogCount = logCount;
            Map<TopicPartition, Uuid> local = new HashMap<>();
            Map<TopicPartition, Uuid> topicIds = new HashMap<>();
            ids.forEach((dir, id) -> dir.all().forEach(partition -> {
                local.put(partition.topicPartition(), id);
                topicIds.put(partition.topicPartition(), partition.topicId());
            }));
            Map<Uuid, Map<Uuid, List<Integer>>> needed = needed(current, brokerId, local, topicIds);
            if (!needed.isEmpty()) {
                send(needed, epoch);
            }
        } catch (RuntimeException e) {
            log.warn("Broker {}: could not compare its replicas' log directories with the metadata", brokerId, e);
            dirty = true;
        }
    }

    /**
     * The assignments the metadata lacks: by directory id, by topic id, the partitions whose replica on {@code broker}
     * is in that directory here ({@code local}) while the metadata names another (or none). Logs of a topic the
     * metadata does not have, or has under another id ({@code localTopicIds}: a log left from a deleted topic), and
     * partitions of which {@code broker} holds no replica, are left out. At most
     * {@link #MAX_PARTITIONS_PER_REQUEST} partitions.
     */
    static Map<Uuid, Map<Uuid, List<Integer>>> needed(MetadataImage image, int broker,
                                                       Map<TopicPartition, Uuid> local,
                                                       Map<TopicPartition, Uuid> localTopicIds) {
        Map<Uuid, Map<Uuid, List<Integer>>> needed = new TreeMap<>();
        int count = 0;
        for (Map.Entry<TopicPartition, Uuid> e : local.entrySet()) {
            TopicPartition tp = e.getKey();
            TopicImage topic = image.topic(tp.topic());
            if (topic == null || (localTopicIds.get(tp) != null && !topic.id().equals(localTopicIds.get(tp)))) {
                continue;
            }
            PartitionImage partition = topic.partitions().get(tp.partition());
            if (partition == null || !partition.replicas().contains(broker)
                    || partition.directory(broker).equals(e.getValue())) {
                continue;
            }
            needed.computeIfAbsent(e.getValue(), d -> new TreeMap<>())
                    .computeIfAbsent(topic.id(), t -> new ArrayList<>()).add(tp.partition());
            if (++count >= MAX_PARTITIONS_PER_REQUEST) {
                break;
            }
        }
        return needed;
    }

    private void send(Map<Uuid, Map<Uuid, List<Integer>>> needed, long epoch) {
        AssignReplicasToDirsRequestData request = new AssignReplicasToDirsRequestData().setBrokerId(brokerId)
                .setBrokerEpoch(epoch);
        needed.forEach((dir, topics) -> {
            AssignReplicasToDirsRequestData.DirectoryData dirData =
                    new AssignReplicasToDirsRequestData.DirectoryData().setId(dir);
            topics.forEach((topicId, partitions) -> {
                AssignReplicasToDirsRequestData.TopicData topicData =
                        new AssignReplicasToDirsRequestData.TopicData().setTopicId(topicId);
                partitions.forEach(p -> topicData.partitions()
                        .add(new AssignReplicasToDirsRequestData.PartitionData().setPartitionIndex(p)));
                dirData.topics().add(topicData);
            });
            request.directories().add(dirData);
        });
        inFlight.set(true);
        channel.assignReplicasToDirs(request).whenComplete((response, error) -> {
            inFlight.set(false);
            if (error != null) {
                log.debug("Broker {}: the controller did not take its replicas' directories ({}); sent again later",
                        brokerId, error.toString());
                dirty = true;
                return;
            }
            logRefusals(response);
        });
    }

    private void logRefusals(AssignReplicasToDirsResponseData response) {
        for (AssignReplicasToDirsResponseData.DirectoryData dir : response.directories()) {
            for (AssignReplicasToDirsResponseData.TopicData topic : dir.topics()) {
                for (AssignReplicasToDirsResponseData.PartitionData p : topic.partitions()) {
                    if (p.errorCode() != Errors.NONE.code()) {
                        log.debug("Broker {}: directory {} of partition {} of topic {} refused: {}", brokerId,
                                dir.id(), p.partitionIndex(), topic.topicId(), Errors.forCode(p.errorCode()));
                    }
                }
            }
        }
    }
}
