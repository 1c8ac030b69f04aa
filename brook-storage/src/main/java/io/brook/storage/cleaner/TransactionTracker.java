package io.brook.storage.cleaner;

import io.brook.storage.index.TransactionIndex.AbortedTxn;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one cleaning pass knows of transactions, fed every batch in offset order: which
 * transactional batches belong to aborted transactions (they go), and which markers no longer
 * guard any record (they may go once their delete horizon passed, Kafka's rule). An abort marker
 * whose transaction still had data in this pass is kept, and so is its aborted-transaction index
 * entry ({@link #drainRetained}); a commit marker is kept while a batch of its transaction was seen
 * in this pass.
 *
 * <p>Pure: no I/O; one instance per pass. A producer has at most one transaction open at a time,
 * so a transactional batch is aborted exactly when an aborted transaction of its producer spans it.
 */
final class TransactionTracker {
    private final Map<Long, List<AbortedTxn>> abortedByProducer = new HashMap<>();
    /** Marker offsets of aborted transactions with a batch seen in this pass. */
    private final Set<Long> abortedWithData = new HashSet<>();
    /** Producers with a batch of a not-aborted transaction seen since their last marker. */
    private final Set<Long> committedWithData = new HashSet<>();
    private final Map<Long, AbortedTxn> abortedByMarker = new HashMap<>();
    private final List<AbortedTxn> retained = new ArrayList<>();

    /** @param aborted the aborted transactions overlapping the range the pass reads */
    TransactionTracker(List<AbortedTxn> aborted) {
        for (AbortedTxn txn : aborted) {
            abortedByProducer.computeIfAbsent(txn.producerId(), id -> new ArrayList<>()).add(txn);
            abortedByMarker.put(txn.lastOffset(), txn);
        }
    }

    /** Whether a data batch belongs to an aborted transaction (and so is dropped). */
    boolean isAborted(RecordBatch batch) {
        return abortedTxnOf(batch) != null;
    }

    /** Records a data batch the pass reads; returns whether it belongs to an aborted transaction. */
    boolean onDataBatch(RecordBatch batch) {
        if (!batch.isTransactional()) {
            return false;
        }
        AbortedTxn aborted = abortedTxnOf(batch);
        if (aborted != null) {
            abortedWithData.add(aborted.lastOffset());
            return true;
        }
        committedWithData.add(batch.producerId());
        return false;
    }

    /** Records a marker the pass reads; returns whether no record of its transaction was seen (it may go). */
    boolean onControlBatch(RecordBatch batch) {
        Iterator<Record> records = batch.iterator();
        if (!records.hasNext()) {
            return true; // emptied by an earlier cleaning
        }
        ControlRecordType type = ControlRecordType.parse(records.next().key());
        if (type == ControlRecordType.ABORT) {
            committedWithData.remove(batch.producerId());
            if (abortedWithData.remove(batch.baseOffset())) {
                AbortedTxn txn = abortedByMarker.get(batch.baseOffset());
                if (txn != null) {
                    retained.add(txn);
                }
                return false;
            }
            return true;
        }
        if (type == ControlRecordType.COMMIT) {
            return !committedWithData.remove(batch.producerId());
        }
        return false;
    }

    /** The aborted transactions whose markers this pass kept because their data was still there. */
    List<AbortedTxn> drainRetained() {
        List<AbortedTxn> drained = new ArrayList<>(retained);
        retained.clear();
        return drained;
    }

    private AbortedTxn abortedTxnOf(RecordBatch batch) {
        if (!batch.isTransactional() || batch.isControlBatch()) {
            return null;
        }
        List<AbortedTxn> txns = abortedByProducer.get(batch.producerId());
        if (txns != null) {
            for (AbortedTxn txn : txns) {
                if (batch.baseOffset() >= txn.firstOffset() && batch.lastOffset() <= txn.lastOffset()) {
                    return txn;
                }
            }
        }
        return null;
    }
}
