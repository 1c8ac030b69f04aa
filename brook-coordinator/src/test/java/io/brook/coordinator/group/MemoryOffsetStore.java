package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** An offset store in memory: what was written, plain and transactional. */
final class MemoryOffsetStore implements OffsetStore {
    final Map<TopicPartition, CommittedOffset> written = new HashMap<>();
    final Map<Long, Map<TopicPartition, CommittedOffset>> writtenInTransactions = new HashMap<>();
    /** The last record of each group (an entry with a null value: deleted). */
    final Map<String, StoredGroup> groups = new HashMap<>();
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
}
