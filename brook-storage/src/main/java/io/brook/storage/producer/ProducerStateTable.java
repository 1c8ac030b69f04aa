package io.brook.storage.producer;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Producer state of one partition: per producer id, its epoch, the metadata of its last
 * {@value #CACHED_BATCHES} batches (so a retried batch is recognised and answered with its original
 * offsets instead of being written twice) and its open transaction, if any (so the partition knows
 * its first unstable offset, and a marker knows where the transaction it ends began).
 *
 * <p>The checks are pure: {@link #checkClientBatch} and {@link #checkMarker} decide, the
 * {@code on...} methods apply. Thread-safety: used only under the owning log's append lock.
 */
public final class ProducerStateTable {
    /** Kafka keeps the last five batches per producer: clients have at most five in flight. */
    public static final int CACHED_BATCHES = 5;
    private static final long NO_TXN = -1;

    /** Metadata of one appended batch. */
    public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
    }

    /** A transaction ended by a marker: the producer's records in [firstOffset, lastOffset] are decided. */
    public record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {
    }

    /** What is known of one producer. */
    public static final class Entry {
        short epoch = RecordBatch.NO_PRODUCER_EPOCH;
        long lastTimestamp;
        int coordinatorEpoch = -1;
        long currentTxnFirstOffset = NO_TXN;
        final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>(CACHED_BATCHES);

        public short epoch() {
            return epoch;
        }

        /** First offset of the producer's open transaction in this partition, or -1. */
        public long currentTxnFirstOffset() {
            return currentTxnFirstOffset;
        }

        int lastSeq() {
            return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSeq();
        }
    }

    private final Map<Long, Entry> producers = new HashMap<>();
    /** Open transactions by first offset: the first key is the partition's first unstable offset. */
    private final TreeMap<Long, Long> ongoingTxns = new TreeMap<>();

    /**
     * Checks a batch from a client (or written by a coordinator, with {@code checkSequence} false)
     * against the producer's state.
     *
     * <p>A producer this table does not know may start at any sequence (its state may have expired, or gone with
     * deleted records), except on a partition that has never held a record ({@code neverWritten}): there nothing
     * can have been lost, so a first sequence other than 0 means the producer's earlier batches were refused (a
     * request that came before this node had the partition, say, while a later one came after) and are still to
     * come. Taking it would leave them a gap they could never fill; OUT_OF_ORDER_SEQUENCE_NUMBER makes the client
     * retry it after them (Kafka 4.5's rule, KAFKA-15591).
     *
     * @param neverWritten whether the partition's log end offset is 0 (no record was ever appended)
     * @return the original batch when this is a retried duplicate, else null (append it)
     * @throws InvalidProducerEpochException for an epoch older than the producer's current one
     * @throws OutOfOrderSequenceException   for a sequence that does not follow the last one
     * @throws InvalidTxnStateException      for a non-transactional batch inside an open transaction
     */
    public BatchMetadata checkClientBatch(RecordBatch batch, boolean checkSequence, boolean neverWritten) {
        long producerId = batch.producerId();
        short epoch = batch.producerEpoch();
        Entry entry = producers.get(producerId);
        if (entry == null || entry.epoch == RecordBatch.NO_PRODUCER_EPOCH) {
            if (checkSequence && neverWritten && batch.baseSequence() != 0) {
                throw new OutOfOrderSequenceException("Producer " + producerId + " sent sequence "
                        + batch.baseSequence() + " as its first to a partition that has never held a record; "
                        + "0 was expected");
            }
            return null; // unknown producer (new, or its state expired): accept any sequence
        }
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Producer " + producerId + " has epoch " + epoch
                    + " but the partition has already seen epoch " + entry.epoch);
        }
        if (!batch.isTransactional() && entry.currentTxnFirstOffset != NO_TXN) {
            throw new InvalidTxnStateException("Producer " + producerId + " sent a non-transactional batch while "
                    + "its transaction starting at offset " + entry.currentTxnFirstOffset + " is open");
        }
        if (!checkSequence) {
            return null;
        }
        int firstSeq = batch.baseSequence();
        if (epoch > entry.epoch) {
            if (firstSeq != 0) {
                throw new OutOfOrderSequenceException("Producer " + producerId + " started epoch " + epoch
                        + " at sequence " + firstSeq + " instead of 0");
            }
            return null;
        }
        for (BatchMetadata b : entry.batches) {
            if (b.firstSeq() == firstSeq && b.lastSeq() == batch.lastSequence()) {
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

    /**
     * Checks a transaction marker written by a coordinator.
     *
     * @throws InvalidProducerEpochException          when the marker's epoch is older than the producer's
     * @throws TransactionCoordinatorFencedException  when a newer coordinator already wrote for this producer
     */
    public void checkMarker(long producerId, short epoch, int coordinatorEpoch) {
        Entry entry = producers.get(producerId);
        if (entry == null) {
            return;
        }
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Transaction marker of producer " + producerId + " has epoch "
                    + epoch + " but the partition has already seen epoch " + entry.epoch);
        }
        if (coordinatorEpoch < entry.coordinatorEpoch) {
            throw new TransactionCoordinatorFencedException("Transaction marker of producer " + producerId
                    + " comes from coordinator epoch " + coordinatorEpoch + ", older than " + entry.coordinatorEpoch);
        }
    }

    /** Records an appended data batch (from a client, a coordinator or found during recovery). */
    public void onDataBatch(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
        }
        Entry entry = entryAtEpoch(batch.producerId(), batch.producerEpoch());
        if (batch.baseSequence() != RecordBatch.NO_SEQUENCE) {
            if (entry.batches.size() == CACHED_BATCHES) {
                entry.batches.removeFirst();
            }
            entry.batches.addLast(new BatchMetadata(batch.baseSequence(), batch.lastSequence(), batch.baseOffset(),
                    batch.lastOffset(), batch.maxTimestamp()));
        }
        entry.lastTimestamp = Math.max(entry.lastTimestamp, batch.maxTimestamp());
        if (batch.isTransactional() && entry.currentTxnFirstOffset == NO_TXN) {
            entry.currentTxnFirstOffset = batch.baseOffset();
            ongoingTxns.put(batch.baseOffset(), batch.producerId());
        }
    }

    /**
     * Records an appended transaction marker: the producer's open transaction, if any, ends.
     *
     * @return the transaction it ended, or null when the producer had none open here
     */
    public CompletedTxn onMarker(long producerId, short epoch, int coordinatorEpoch, long markerOffset,
                                 boolean commit, long timestamp) {
        Entry entry = entryAtEpoch(producerId, epoch);
        entry.coordinatorEpoch = coordinatorEpoch;
        entry.lastTimestamp = Math.max(entry.lastTimestamp, timestamp);
        if (entry.currentTxnFirstOffset == NO_TXN) {
            return null;
        }
        CompletedTxn completed = new CompletedTxn(producerId, entry.currentTxnFirstOffset, markerOffset, !commit);
        ongoingTxns.remove(entry.currentTxnFirstOffset);
        entry.currentTxnFirstOffset = NO_TXN;
        return completed;
    }

    private Entry entryAtEpoch(long producerId, short epoch) {
        Entry entry = producers.computeIfAbsent(producerId, id -> new Entry());
        if (epoch != entry.epoch) {
            entry.batches.clear();
            entry.epoch = epoch;
        }
        return entry;
    }

    /** The first offset of the earliest open transaction, or -1 when none is open. */
    public long firstUnstableOffset() {
        return ongoingTxns.isEmpty() ? -1 : ongoingTxns.firstKey();
    }

    /** Forgets producers idle for longer than {@code expirationMs}, except those with an open transaction. */
    public void expire(long nowMs, long expirationMs) {
        Iterator<Entry> it = producers.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (nowMs - e.lastTimestamp > expirationMs && e.currentTxnFirstOffset == NO_TXN) {
                it.remove();
            }
        }
    }

    /**
     * When {@link #expire} may next forget a producer: just after the earliest last timestamp plus
     * {@code expirationMs} among producers outside a transaction; {@link Long#MAX_VALUE} when there is none.
     */
    public long earliestExpiryMs(long expirationMs) {
        long earliest = Long.MAX_VALUE;
        for (Entry e : producers.values()) {
            if (e.currentTxnFirstOffset == NO_TXN) {
                long due = e.lastTimestamp + expirationMs + 1;
                earliest = Math.min(earliest, due < e.lastTimestamp ? Long.MAX_VALUE : due);
            }
        }
        return earliest;
    }

    /** What DescribeProducers reports of one producer. */
    public record ProducerSummary(long producerId, short epoch, int lastSequence, long lastTimestamp,
                                  int coordinatorEpoch, long currentTxnStartOffset) {
    }

    public List<ProducerSummary> summaries() {
        List<ProducerSummary> list = new ArrayList<>();
        producers.forEach((id, e) -> list.add(new ProducerSummary(id, e.epoch, e.lastSeq(), e.lastTimestamp,
                e.coordinatorEpoch, e.currentTxnFirstOffset)));
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

    /** The state to snapshot: each producer's epoch, last batch and open transaction. */
    public List<ProducerSnapshotFile.Entry> snapshotEntries() {
        List<ProducerSnapshotFile.Entry> entries = new ArrayList<>();
        producers.forEach((id, e) -> {
            BatchMetadata last = e.batches.peekLast();
            entries.add(last == null
                    ? new ProducerSnapshotFile.Entry(id, e.epoch, RecordBatch.NO_SEQUENCE, -1, 0, e.lastTimestamp,
                            e.coordinatorEpoch, e.currentTxnFirstOffset)
                    : new ProducerSnapshotFile.Entry(id, e.epoch, last.lastSeq(), last.lastOffset(),
                            (int) (last.lastOffset() - last.firstOffset()), e.lastTimestamp, e.coordinatorEpoch,
                            e.currentTxnFirstOffset));
        });
        return entries;
    }

    /** Replaces the state with a snapshot's. */
    public void load(List<ProducerSnapshotFile.Entry> entries) {
        clear();
        for (ProducerSnapshotFile.Entry s : entries) {
            Entry entry = entryAtEpoch(s.producerId(), s.epoch());
            if (s.lastSequence() != RecordBatch.NO_SEQUENCE) {
                entry.batches.addLast(new BatchMetadata(s.lastSequence() - s.offsetDelta(), s.lastSequence(),
                        s.lastOffset() - s.offsetDelta(), s.lastOffset(), s.timestamp()));
            }
            entry.lastTimestamp = s.timestamp();
            entry.coordinatorEpoch = s.coordinatorEpoch();
            entry.currentTxnFirstOffset = s.currentTxnFirstOffset();
            if (s.currentTxnFirstOffset() != NO_TXN) {
                ongoingTxns.put(s.currentTxnFirstOffset(), s.producerId());
            }
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
        ongoingTxns.clear();
    }

    private static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
