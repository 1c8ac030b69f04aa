package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** An offset store in memory: what was written, plain and transactional. */
final class MemoryOffsetStore implements OffsetStore {
    final Map<TopicPartition, CommittedOffset> written = new HashMap<>();
    final Map<Long, Map<TopicPartition, CommittedOffset>> writtenInTransactions = new HashMap<>();
    /** The last record of each group (an entry with a null value: deleted). */
    final Map<String, StoredGroup> groups = new HashMap<>();
    /** Every consumer group record written, in order, by group. */
    final Map<String, List<ConsumerGroupRecords.GroupRecord>> consumerGroupRecords = new HashMap<>();
    /** When set, consumer group writes answer it (not yet replicated, until the test completes it). */
    CompletableFuture<Void> pendingGroupWrite;
    /** When set, group writes fail with it (a partition that lost its leadership, too few in-sync replicas). */
    RuntimeException failGroupWrites;

    @Override
    public synchronized CompletableFuture<Void> write(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        written.putAll(offsets);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Void> writeTransactional(String groupId, long producerId, short epoch,
                                                                   Map<TopicPartition, CommittedOffset> offsets) {
        writtenInTransactions.computeIfAbsent(producerId, id -> new HashMap<>()).putAll(offsets);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Void> writeGroup(String groupId, StoredGroup group,
                                                           Map<TopicPartition, CommittedOffset> offsets) {
        if (failGroupWrites != null) {
            return CompletableFuture.failedFuture(failGroupWrites);
        }
        groups.put(groupId, group);
        written.putAll(offsets);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Void> writeConsumerGroup(String groupId,
            List<ConsumerGroupRecords.GroupRecord> records, Map<TopicPartition, CommittedOffset> offsets) {
        if (failGroupWrites != null) {
            return CompletableFuture.failedFuture(failGroupWrites);
        }
        if (pendingGroupWrite != null) {
            return pendingGroupWrite; // the test completes it
        }
        consumerGroupRecords.computeIfAbsent(groupId, g -> new ArrayList<>()).addAll(records);
        written.putAll(offsets);
        return CompletableFuture.completedFuture(null);
    }

    /** Topic ids for the records' bytes: one made up per topic name, as the metadata would give. */
    private final Map<String, org.apache.kafka.common.Uuid> topicIds = new HashMap<>();

    /**
     * What a coordinator that loads the offsets partition reads: every consumer group record written, through
     * Kafka's byte layout, in order.
     */
    synchronized void replayConsumerGroupsInto(GroupCoordinator coordinator) {
        Map<org.apache.kafka.common.Uuid, String> names = new HashMap<>();
        consumerGroupRecords.forEach((groupId, records) -> {
            for (ConsumerGroupRecords.GroupRecord record : records) {
                byte[] key = ConsumerGroupRecords.key(groupId, record);
                byte[] value = ConsumerGroupRecords.value(record, topic -> {
                    org.apache.kafka.common.Uuid id = topicIds.computeIfAbsent(topic,
                            t -> org.apache.kafka.common.Uuid.randomUuid());
                    names.put(id, topic);
                    return id;
                });
                ConsumerGroupRecords.DecodedKey decoded = ConsumerGroupRecords.parseKey(java.nio.ByteBuffer.wrap(key));
                coordinator.loadConsumerGroup(decoded.groupId(), ConsumerGroupRecords.parse(decoded,
                        value == null ? null : java.nio.ByteBuffer.wrap(value), names::get));
            }
        });
    }
}
