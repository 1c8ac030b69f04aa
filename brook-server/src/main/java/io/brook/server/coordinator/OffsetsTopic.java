package io.brook.server.coordinator;

import io.brook.coordinator.group.CommittedOffset;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.group.OffsetRecords;
import io.brook.coordinator.group.OffsetStore;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The {@code __consumer_offsets} topic: created at first start, replayed into the group
 * coordinator at every start, and written by it (through {@link OffsetStore}) before a commit
 * is acknowledged.
 */
public final class OffsetsTopic implements OffsetStore {
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopic.class);

    private final ReplicaManager replicas;
    private final int partitions;

    private OffsetsTopic(ReplicaManager replicas, int partitions) {
        this.replicas = replicas;
        this.partitions = partitions;
    }

    /**
     * Creates the topic if it does not exist yet (with {@code offsets.topic.num.partitions}
     * partitions, compacted, {@code offsets.topic.segment.bytes} segments).
     */
    public static OffsetsTopic createIfAbsent(MetadataController controller, ReplicaManager replicas,
                                              List<Integer> brokers, int numPartitions, short replicationFactor,
                                              int segmentBytes) throws IOException {
        if (controller.image().topic(Topic.GROUP_METADATA_TOPIC_NAME) == null) {
            TopicControl.NewTopic topic = new TopicControl.NewTopic(Topic.GROUP_METADATA_TOPIC_NAME, numPartitions,
                    replicationFactor, Map.of(), Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(segmentBytes),
                    TopicConfig.COMPRESSION_TYPE_CONFIG, "producer"));
            try {
                controller.submit(image -> TopicControl.createTopic(image, topic, brokers, numPartitions,
                        replicationFactor, Uuid::randomUuid)).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while creating " + Topic.GROUP_METADATA_TOPIC_NAME, e);
            } catch (ExecutionException e) {
                throw new IOException("could not create " + Topic.GROUP_METADATA_TOPIC_NAME + ": "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
        int actual = controller.image().topic(Topic.GROUP_METADATA_TOPIC_NAME).partitions().size();
        return new OffsetsTopic(replicas, actual);
    }

    /** Reads every partition from its start and hands each offset commit to the coordinator. */
    public void replayInto(GroupCoordinator coordinator) throws IOException {
        int records = 0;
        for (int p = 0; p < partitions; p++) {
            Partition partition = replicas.partition(new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME, p));
            if (partition == null) {
                continue;
            }
            long offset = partition.log().logStartOffset();
            long end = partition.log().logEndOffset();
            while (offset < end) {
                Records chunk = partition.log().read(offset, 1024 * 1024, end, true);
                if (chunk.sizeInBytes() == 0) {
                    break;
                }
                for (RecordBatch batch : chunk.batches()) {
                    for (Record record : batch) {
                        if (record.offset() >= offset && record.hasKey()) {
                            OffsetRecords.Key key = OffsetRecords.parseKey(record.key());
                            if (key != null) {
                                coordinator.loadOffset(key.groupId(), key.partition(),
                                        record.hasValue() ? OffsetRecords.parseValue(record.value()) : null);
                                records++;
                            }
                        }
                    }
                    offset = batch.nextOffset();
                }
            }
        }
        log.info("Loaded {} offset commits from {}", records, Topic.GROUP_METADATA_TOPIC_NAME);
    }

    @Override
    public CompletableFuture<Void> write(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        TopicPartition tp = new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME,
                OffsetRecords.partitionFor(groupId, partitions));
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return CompletableFuture.failedFuture(new IOException(tp + " is not hosted here"));
        }
        List<SimpleRecord> records = new ArrayList<>();
        long now = System.currentTimeMillis();
        offsets.forEach((committed, offset) -> records.add(new SimpleRecord(now,
                OffsetRecords.key(groupId, committed), offset == null ? null : OffsetRecords.value(offset))));
        try {
            partition.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                    records.toArray(new SimpleRecord[0])), (short) -1);
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
