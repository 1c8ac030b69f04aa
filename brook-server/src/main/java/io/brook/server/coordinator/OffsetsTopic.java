package io.brook.server.coordinator;

import io.brook.coordinator.group.CommittedOffset;
import io.brook.coordinator.group.ConsumerGroupRecords;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.group.OffsetRecords;
import io.brook.coordinator.group.OffsetStore;
import io.brook.coordinator.group.StoredGroup;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code __consumer_offsets} topic: created at first start, replayed into the group
 * coordinator at every start, and written by it (through {@link OffsetStore}) before a commit
 * is acknowledged. Offsets committed in a transaction are written as a transactional batch of
 * the producer; its commit or abort marker decides them, at runtime and in the replay.
 */
public final class OffsetsTopic implements OffsetStore {
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopic.class);

    /**
     * Sequence of the transactional batches the coordinator writes: the batch format needs one, and
     * coordinator appends are not sequence-checked (clients never write to this topic).
     */
    private static final int COORDINATOR_SEQUENCE = 0;

    private final ReplicaManager replicas;
    /** The partition count to use while the topic does not exist yet (it is created with it). */
    private final int configuredPartitions;

    /** How records are appended: acks=all in a cluster (see {@link CoordinatorAppender}). */
    private final CoordinatorAppender appender;

    private OffsetsTopic(ReplicaManager replicas, int configuredPartitions, CoordinatorAppender appender) {
        this.replicas = replicas;
        this.configuredPartitions = configuredPartitions;
        this.appender = appender;
    }

    /**
     * The topic as this node's image has it, or, until it is created (in a cluster, by the first
     * FindCoordinator that needs it, see {@link CoordinatorTopics}), with {@code configuredPartitions}.
     */
    public static OffsetsTopic open(ReplicaManager replicas, int configuredPartitions) {
        return open(replicas, configuredPartitions, CoordinatorAppender.LOCAL);
    }

    /** As {@link #open(ReplicaManager, int)}, writing through {@code appender}. */
    public static OffsetsTopic open(ReplicaManager replicas, int configuredPartitions, CoordinatorAppender appender) {
        return new OffsetsTopic(replicas, configuredPartitions, appender);
    }

    /** The topic's partition count: the image's once it exists, else the configured one. */
    private int partitions() {
        TopicImage topic = replicas.image().topic(Topic.GROUP_METADATA_TOPIC_NAME);
        return topic != null ? topic.partitions().size() : configuredPartitions;
    }

    /**
     * The topic as the controller creates it: {@code offsets.topic.num.partitions} partitions, compacted,
     * {@code offsets.topic.segment.bytes} segments.
     */
    public static NewTopic spec(int numPartitions, short replicationFactor, int segmentBytes) {
        return new NewTopic(Topic.GROUP_METADATA_TOPIC_NAME, numPartitions, replicationFactor, Map.of(), Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(segmentBytes),
                TopicConfig.COMPRESSION_TYPE_CONFIG, "producer"));
    }

    /** Creates the topic ({@link #spec}) if it does not exist yet and waits until this node's image has it. */
    public static OffsetsTopic createIfAbsent(ControllerChannel channel, MetadataController controller,
                                              ReplicaManager replicas, NewTopic spec) throws IOException {
        return createIfAbsent(channel, controller, replicas, spec, CoordinatorAppender.LOCAL);
    }

    /** As {@link #createIfAbsent(ControllerChannel, MetadataController, ReplicaManager, NewTopic)} with an appender. */
    public static OffsetsTopic createIfAbsent(ControllerChannel channel, MetadataController controller,
                                      ReplicaManager replicas, NewTopic spec, CoordinatorAppender appender)
            throws IOException {
        InternalTopics.createIfAbsent(channel, controller, spec);
        return open(replicas, spec.numPartitions(), appender);
    }

    /** The partition holding a group's offsets. */
    public int partitionFor(String groupId) {
        return OffsetRecords.partitionFor(groupId, partitions());
    }

    /** Reads every partition from its start and hands each offset commit to the coordinator. */
    public void replayInto(GroupCoordinator coordinator) throws IOException {
        int offsets = 0;
        int groups = 0;
        for (int p = 0; p < partitions(); p++) {
            Replayed replayed = replayPartition(coordinator, p);
            offsets += replayed.offsets();
            groups += replayed.groups();
        }
        log.info("Loaded {} offset commits and {} group records from {}", offsets, groups,
                Topic.GROUP_METADATA_TOPIC_NAME);
    }

    /**
     * Loads one partition into the coordinator, as its new leader does: first forgets the groups stored there
     * (what it had is stale), then replays the partition's log. Returns the offset records read.
     */
    public int load(GroupCoordinator coordinator, int partition) throws IOException {
        int dropped = coordinator.unload(group -> partitionFor(group) == partition);
        Replayed replayed = replayPartition(coordinator, partition);
        log.info("Loaded {} offset commits and {} group records from {}-{} ({} stale groups dropped first)",
                replayed.offsets(), replayed.groups(), Topic.GROUP_METADATA_TOPIC_NAME, partition, dropped);
        return replayed.offsets();
    }

    /** Forgets the groups of one partition (this node no longer leads it); returns how many. */
    public int unload(GroupCoordinator coordinator, int partition) {
        int dropped = coordinator.unload(group -> partitionFor(group) == partition);
        log.info("Unloaded {} groups of {}-{}", dropped, Topic.GROUP_METADATA_TOPIC_NAME, partition);
        return dropped;
    }

    /** What one partition's replay read: offset records and group records (tombstones included). */
    private record Replayed(int offsets, int groups) {
    }

    private Replayed replayPartition(GroupCoordinator coordinator, int p) throws IOException {
        int[] counts = new int[2];
        InternalTopics.replayPartition(replicas, Topic.GROUP_METADATA_TOPIC_NAME, p, (partition, batch) -> {
            if (batch.isControlBatch()) {
                for (Record marker : batch) {
                    ControlRecordType type = ControlRecordType.parse(marker.key());
                    if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                        coordinator.completeTransaction(batch.producerId(), type == ControlRecordType.COMMIT,
                                group -> partitionFor(group) == partition);
                    }
                }
                return;
            }
            for (Record record : batch) {
                if (!record.hasKey()) {
                    continue;
                }
                ConsumerGroupRecords.DecodedKey consumerKey = batch.isTransactional() ? null
                        : ConsumerGroupRecords.parseKey(record.key());
                if (consumerKey != null) {
                    ConsumerGroupRecords.GroupRecord parsed = ConsumerGroupRecords.parse(consumerKey,
                            record.hasValue() ? record.value() : null, this::topicName);
                    if (parsed != null) {
                        coordinator.loadConsumerGroup(consumerKey.groupId(), parsed);
                        counts[1]++;
                    }
                    continue;
                }
                String group = batch.isTransactional() ? null : OffsetRecords.parseGroupKey(record.key());
                if (group != null) {
                    StoredGroup stored = record.hasValue() ? OffsetRecords.parseGroupValue(record.value()) : null;
                    if (stored != null || !record.hasValue()) {
                        coordinator.loadGroup(group, stored);
                        counts[1]++;
                    }
                    continue;
                }
                OffsetRecords.Key key = OffsetRecords.parseKey(record.key());
                if (key == null) {
                    continue;
                }
                CommittedOffset offset = record.hasValue() ? OffsetRecords.parseValue(record.value()) : null;
                if (batch.isTransactional()) {
                    coordinator.loadTransactionalOffsets(batch.producerId(), key.groupId(),
                            Map.of(key.partition(), offset));
                } else {
                    coordinator.loadOffset(key.groupId(), key.partition(), offset);
                }
                counts[0]++;
            }
        });
        return new Replayed(counts[0], counts[1]);
    }

    @Override
    public CompletableFuture<Void> write(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        return append(groupId, offsets, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
    }

    @Override
    public CompletableFuture<Void> writeTransactional(String groupId, long producerId, short producerEpoch,
                                                      Map<TopicPartition, CommittedOffset> offsets) {
        return append(groupId, offsets, producerId, producerEpoch);
    }

    @Override
    public CompletableFuture<Void> writeGroup(String groupId, StoredGroup group,
                                              Map<TopicPartition, CommittedOffset> offsets) {
        long now = System.currentTimeMillis();
        List<SimpleRecord> records = new ArrayList<>(offsetRecords(groupId, offsets, now));
        records.add(new SimpleRecord(now, OffsetRecords.groupKey(groupId),
                group == null ? null : OffsetRecords.groupValue(group)));
        return append(groupId, records, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
    }

    @Override
    public CompletableFuture<Void> writeConsumerGroup(String groupId, List<ConsumerGroupRecords.GroupRecord> groupRecords,
                                                      Map<TopicPartition, CommittedOffset> offsets) {
        long now = System.currentTimeMillis();
        List<SimpleRecord> records = new ArrayList<>(offsetRecords(groupId, offsets, now));
        for (ConsumerGroupRecords.GroupRecord record : groupRecords) {
            records.add(new SimpleRecord(now, ConsumerGroupRecords.key(groupId, record),
                    ConsumerGroupRecords.value(record, this::topicId)));
        }
        return append(groupId, records, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
    }

    /** A topic's id as this node's metadata has it; null once it is deleted. */
    private Uuid topicId(String name) {
        TopicImage topic = replicas.image().topic(name);
        return topic == null ? null : topic.id();
    }

    private String topicName(Uuid id) {
        TopicImage topic = replicas.image().topic(id);
        return topic == null ? null : topic.name();
    }

    private static List<SimpleRecord> offsetRecords(String groupId, Map<TopicPartition, CommittedOffset> offsets,
                                                    long now) {
        List<SimpleRecord> records = new ArrayList<>(offsets.size() + 1);
        for (Map.Entry<TopicPartition, CommittedOffset> e : offsets.entrySet()) {
            records.add(new SimpleRecord(now, OffsetRecords.key(groupId, e.getKey()),
                    e.getValue() == null ? null : OffsetRecords.value(e.getValue())));
        }
        return records;
    }

    private CompletableFuture<Void> append(String groupId, Map<TopicPartition, CommittedOffset> offsets,
                                           long producerId, short producerEpoch) {
        return append(groupId, offsetRecords(groupId, offsets, System.currentTimeMillis()), producerId,
                producerEpoch);
    }

    private CompletableFuture<Void> append(String groupId, List<SimpleRecord> records, long producerId,
                                           short producerEpoch) {
        TopicPartition tp = new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME, partitionFor(groupId));
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return CompletableFuture.failedFuture(new IOException(tp + " is not hosted here"));
        }
        try {
            SimpleRecord[] array = records.toArray(new SimpleRecord[0]);
            MemoryRecords batch = producerId == RecordBatch.NO_PRODUCER_ID
                    ? MemoryRecords.withRecords(Compression.NONE, array)
                    : MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, producerEpoch,
                            COORDINATOR_SEQUENCE, array);
            return appender.append(partition, batch);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
