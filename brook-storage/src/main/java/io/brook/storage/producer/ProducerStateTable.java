package io.brook.storage.producer;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the metadata of its
 * last {@value #CACHED_BATCHES} batches, so a retried batch is recognised and answered with its
 * original offsets instead of being written twice.
 *
 * <p>The checks are pure: {@link #check} decides, {@link #update} applies. Thread-safety: used
 * only under the owning log's append lock.
 */
public final class ProducerStateTable {
    /** Kafka keeps the last five batches per producer: clients have at most five in flight. */
    public static final int CACHED_BATCHES = 5;

    /** Metadata of one appended batch. */
    public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
    }

    /** What is known of one producer. */
    public static final class Entry {
        short epoch = RecordBatch.NO_PRODUCER_EPOCH;
        long lastTimestamp;
        final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>(CACHED_BATCHES);

        public short epoch() {
            return epoch;
        }

        int lastSeq() {
            return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSeq();
        }
    }

    private final Map<Long, Entry> producers = new HashMap<>();

    /**
     * Checks an idempotent batch from a client against the producer's state.
     *
     * @return the original batch when this is a retried duplicate, else null (append it)
     * @throws InvalidProducerEpochException for an epoch older than the producer's current one
     * @throws OutOfOrderSequenceException   for a sequence that does not follow the last one
     */
    public BatchMetadata check(long producerId, short epoch, int firstSeq, int lastSeq) {
        Entry entry = producers.get(producerId);
        if (entry == null || entry.epoch == RecordBatch.NO_PRODUCER_EPOCH) {
            return null; // unknown producer (new, or its state expired): accept any sequence
        }
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Producer " + producerId + " has epoch " + epoch
                    + " but the partition has already seen epoch " + entry.epoch);
        }
        if (epoch > entry.epoch) {
            if (firstSeq != 0) {
                throw new OutOfOrderSequenceException("Producer " + producerId + " started epoch " + epoch
                        + " at sequence " + firstSeq + " instead of 0");
            }
            return null;
        }
        for (BatchMetadata b : entry.batches) {
            if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                return b;
            }
        }
        int expected = nextSequence(entry.lastSeq());
        if (firstSeq != expected) {
            throw new OutOfOrderSequenceException("Producer " + producerId + " at epoch " + epoch
                    + " sent sequence " + firstSeq + " but " + expected + " was expected");
        }
        return null;
    }

    /** Records a batch that was appended (by a client or found during recovery). */
    public void update(long producerId, short epoch, BatchMetadata batch) {
        Entry entry = producers.computeIfAbsent(producerId, id -> new Entry());
        if (epoch != entry.epoch) {
            entry.batches.clear();
            entry.epoch = epoch;
        }
        if (batch.firstSeq() != RecordBatch.NO_SEQUENCE) {
            if (entry.batches.size() == CACHED_BATCHES) {
                entry.batches.removeFirst();
            }
            entry.batches.addLast(batch);
        }
        entry.lastTimestamp = Math.max(entry.lastTimestamp, batch.timestamp());
    }

    /** Records a batch read back from the log. */
    public void onRecoveredBatch(RecordBatch batch) {
        if (batch.hasProducerId()) {
            update(batch.producerId(), batch.producerEpoch(), new BatchMetadata(batch.baseSequence(),
                    batch.lastSequence(), batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp()));
        }
    }

    /** Forgets producers idle for longer than {@code expirationMs}. */
    public void expire(long nowMs, long expirationMs) {
        Iterator<Entry> it = producers.values().iterator();
        while (it.hasNext()) {
            if (nowMs - it.next().lastTimestamp > expirationMs) {
                it.remove();
            }
        }
    }

    /** What DescribeProducers reports of one producer. */
    public record ProducerSummary(long producerId, short epoch, int lastSequence, long lastTimestamp) {
    }

    public List<ProducerSummary> summaries() {
        List<ProducerSummary> list = new ArrayList<>();
        producers.forEach((id, e) -> list.add(new ProducerSummary(id, e.epoch, e.lastSeq(), e.lastTimestamp)));
        return list;
    }

    /** Each producer's last appended offset; the cleaner keeps those batches (maybe emptied) so sequences survive. */
    public Map<Long, Long> lastOffsets() {
        Map<Long, Long> last = new HashMap<>();
        producers.forEach((id, e) -> {
            if (!e.batches.isEmpty()) {
                last.put(id, e.batches.peekLast().lastOffset());
            }
        });
        return last;
    }

    /** The state to snapshot: each producer's epoch and last batch. */
    public List<ProducerSnapshotFile.Entry> snapshotEntries() {
        List<ProducerSnapshotFile.Entry> entries = new ArrayList<>();
        producers.forEach((id, e) -> {
            BatchMetadata last = e.batches.peekLast();
            if (last != null) {
                entries.add(new ProducerSnapshotFile.Entry(id, e.epoch, last.lastSeq(), last.lastOffset(),
                        (int) (last.lastOffset() - last.firstOffset()), e.lastTimestamp));
            }
        });
        return entries;
    }

    /** Replaces the state with a snapshot's. */
    public void load(List<ProducerSnapshotFile.Entry> entries) {
        producers.clear();
        for (ProducerSnapshotFile.Entry e : entries) {
            update(e.producerId(), e.epoch(), new BatchMetadata(e.lastSequence() - e.offsetDelta(), e.lastSequence(),
                    e.lastOffset() - e.offsetDelta(), e.lastOffset(), e.timestamp()));
        }
    }

    public Entry get(long producerId) {
        return producers.get(producerId);
    }

    public int size() {
        return producers.size();
    }

    public void clear() {
        producers.clear();
    }

    private static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
