package io.brook.server.fetch;

import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * An incremental fetch session (KIP-227): the partitions a client fetches, with the fetch state
 * it last sent and what it was last told (high watermark, log start offset), so that later
 * requests carry only changed partitions and responses only partitions with news.
 *
 * <p>Thread-safety: callers synchronize on the session; a client has one fetch in flight per
 * session.
 */
public final class FetchSession {

    /** A partition named by topic id (v13+, {@code topic} null) or by name ({@code topicId} zero). */
    public record Key(Uuid topicId, String topic, int partition) {
    }

    /** What the client asked for a partition and what it was last told. */
    public static final class Entry {
        final Key key;
        long fetchOffset;
        int maxBytes;
        int currentLeaderEpoch;
        long sentHighWatermark = -1;
        long sentLogStartOffset = -1;

        Entry(Key key) {
            this.key = key;
        }

        public Key key() {
            return key;
        }

        public long fetchOffset() {
            return fetchOffset;
        }

        public int maxBytes() {
            return maxBytes;
        }

        public int currentLeaderEpoch() {
            return currentLeaderEpoch;
        }
    }

    private final int id;
    private final boolean usesTopicIds;
    private final LinkedHashMap<Key, Entry> partitions = new LinkedHashMap<>();
    private int nextEpoch = 1;
    private long lastUsedMs;

    FetchSession(int id, boolean usesTopicIds, long nowMs) {
        this.id = id;
        this.usesTopicIds = usesTopicIds;
        this.lastUsedMs = nowMs;
    }

    public int id() {
        return id;
    }

    public boolean usesTopicIds() {
        return usesTopicIds;
    }

    public int nextEpoch() {
        return nextEpoch;
    }

    long lastUsedMs() {
        return lastUsedMs;
    }

    int size() {
        return partitions.size();
    }

    /** Adds a partition or replaces the fetch state the client sent for it. */
    public void upsert(Key key, long fetchOffset, int maxBytes, int currentLeaderEpoch) {
        Entry entry = partitions.computeIfAbsent(key, Entry::new);
        entry.fetchOffset = fetchOffset;
        entry.maxBytes = maxBytes;
        entry.currentLeaderEpoch = currentLeaderEpoch;
    }

    public void forget(Key key) {
        partitions.remove(key);
    }

    /** Marks one request as served: the next one must carry the following epoch. */
    public void advance(long nowMs) {
        nextEpoch = nextEpoch == Integer.MAX_VALUE ? 1 : nextEpoch + 1;
        lastUsedMs = nowMs;
    }

    /** The partitions in fetch order (partitions that last returned data go last, for fairness). */
    public List<Entry> entries() {
        return new ArrayList<>(partitions.values());
    }

    /**
     * Whether an incremental response must include this partition, and records what it is told:
     * records, an error, or a new high watermark or log start offset.
     */
    public boolean mustRespond(Key key, boolean hasRecords, boolean hasError, long highWatermark,
                               long logStartOffset) {
        Entry entry = partitions.get(key);
        if (entry == null) {
            return false;
        }
        boolean respond = hasRecords || hasError || entry.sentHighWatermark != highWatermark
                || entry.sentLogStartOffset != logStartOffset;
        entry.sentHighWatermark = hasError ? -1 : highWatermark; // after an error, tell the next state again
        entry.sentLogStartOffset = logStartOffset;
        if (hasRecords) {
            partitions.remove(key);
            partitions.put(key, entry);
        }
        return respond;
    }
}
