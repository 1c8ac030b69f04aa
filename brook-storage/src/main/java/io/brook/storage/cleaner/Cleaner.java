package io.brook.storage.cleaner;

import io.brook.storage.index.TransactionIndex;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogSegment;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter.BatchRetention;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter.BatchRetentionResult;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.Time;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Cleans one log at a time: builds the offset map of the dirty range, then rewrites every segment
 * below the end of that range, group by group, keeping only the latest record of each key, and
 * swaps each cleaned group in for the segments it replaces ({@link PartitionLog#replaceSegments}).
 *
 * <p>Offsets never change; emptied batches of a producer's last write stay (empty) so its
 * sequence numbers survive; tombstones get a delete horizon the first time they are cleaned and
 * are dropped by the first cleaning after it. Records of aborted transactions go, and do not
 * count as the latest value of their key; a transaction marker goes the same way as a tombstone
 * once no record of its transaction is left ({@link TransactionTracker}); the cleaned segment's
 * aborted-transaction index keeps the entries of the abort markers it keeps. Records of open
 * transactions are never cleaned (the plan stops at the first unstable offset). Memory is the
 * offset map plus two I/O buffers.
 * Not thread-safe: each cleaner thread owns one.
 */
public final class Cleaner {
    /** What one cleaning did. */
    public record Result(long endOffset, long bytesRead, long bytesWritten, long recordsRead, long recordsRetained,
                         int segmentsBefore, int segmentsAfter, long tombstonesExpireAtMs, boolean aborted) {
    }

    private final OffsetMap map;
    private final int initialBufferBytes;
    private final Throttler throttler;
    private final Time time;
    private final PartitionLog.SwapSteps swapSteps;
    private ByteBuffer readBuffer;
    private ByteBuffer writeBuffer;

    public Cleaner(OffsetMap map, int ioBufferBytes, Throttler throttler, Time time) {
        this(map, ioBufferBytes, throttler, time, PartitionLog.SwapSteps.NONE);
    }

    Cleaner(OffsetMap map, int ioBufferBytes, Throttler throttler, Time time, PartitionLog.SwapSteps swapSteps) {
        this.map = map;
        this.initialBufferBytes = ioBufferBytes;
        this.throttler = throttler;
        this.time = time;
        this.swapSteps = swapSteps;
        this.readBuffer = ByteBuffer.allocate(ioBufferBytes);
        this.writeBuffer = ByteBuffer.allocate(ioBufferBytes);
    }

    /** Cleans {@code log} as {@code plan} says. */
    public Result clean(PartitionLog log, CleaningPlanner.Plan plan) throws IOException {
        List<TransactionIndex.AbortedTxn> aborted = log.abortedTransactions(log.logStartOffset(),
                plan.firstUncleanableOffset());
        long endOffset = buildOffsetMap(log, plan.firstDirtyOffset(), plan.firstUncleanableOffset(),
                new TransactionTracker(aborted));
        long nowMs = time.milliseconds();
        LogConfig config = log.config();
        List<LogSegment> all = log.segments();
        List<LogSegment> cleanable = new ArrayList<>();
        List<CleaningPlanner.SegmentInfo> infos = new ArrayList<>();
        for (LogSegment segment : all.subList(0, all.size() - 1)) {
            if (segment.baseOffset() >= endOffset) {
                break;
            }
            cleanable.add(segment);
            infos.add(new CleaningPlanner.SegmentInfo(segment.baseOffset(), segment.nextOffset(),
                    segment.sizeInBytes(), segment.indexEntries(), 0, 0));
        }
        Filter filter = new Filter(nowMs, config.deleteRetentionMs(), log.producerLastOffsets(),
                new TransactionTracker(aborted));
        Stats stats = new Stats();
        int segmentsAfter = 0;
        for (List<Integer> group : CleaningPlanner.groupBySize(infos, config.segmentBytes(),
                config.maxOffsetIndexEntries())) {
            List<LogSegment> olds = new ArrayList<>();
            group.forEach(i -> olds.add(cleanable.get(i)));
            boolean firstOfLog = olds.get(0) == all.get(0);
            Boolean kept = cleanGroup(log, olds, firstOfLog, filter, stats, config, nowMs);
            if (kept == null) {
                return new Result(endOffset, stats.bytesRead, stats.bytesWritten, stats.recordsRead,
                        stats.recordsRetained, cleanable.size(), segmentsAfter, filter.tombstonesExpireAtMs, true);
            }
            segmentsAfter += kept ? 1 : 0;
        }
        return new Result(endOffset, stats.bytesRead, stats.bytesWritten, stats.recordsRead, stats.recordsRetained,
                cleanable.size(), segmentsAfter, filter.tombstonesExpireAtMs, false);
    }

    /**
     * Puts the keys of {@code [firstDirty, firstUncleanable)} into the map, stopping early when it
     * is full.
     *
     * @return the offset the map covers up to (exclusive): the end of this cleaning's dirty range
     */
    private long buildOffsetMap(PartitionLog log, long firstDirty, long firstUncleanable, TransactionTracker txns)
            throws IOException {
        map.clear(firstUncleanable - firstDirty);
        for (LogSegment segment : log.segments()) {
            if (segment.nextOffset() <= firstDirty) {
                continue;
            }
            if (segment.baseOffset() >= firstUncleanable) {
                break;
            }
            int position = Math.max(0, segment.positionOf(firstDirty));
            while (position < segment.sizeInBytes()) {
                MemoryRecords records = read(segment, position);
                if (records == null) {
                    break;
                }
                for (RecordBatch batch : records.batches()) {
                    if (batch.baseOffset() >= firstUncleanable) {
                        return firstUncleanable;
                    }
                    if (!batch.isControlBatch() && !txns.isAborted(batch)) {
                        for (Record record : batch) {
                            if (record.offset() < firstDirty || !record.hasKey()) {
                                continue;
                            }
                            if (map.isFull() && map.get(record.key()) < 0) {
                                return record.offset(); // the map is full: clean in parts
                            }
                            map.put(record.key(), record.offset());
                        }
                    }
                    position += batch.sizeInBytes();
                }
                throttler.maybeThrottle(records.sizeInBytes());
            }
        }
        return firstUncleanable;
    }

    /**
     * Writes the retained records of {@code olds} into one new segment and swaps it in.
     *
     * @return whether a segment replaced the group (false when nothing was left), null when the
     *         swap was refused because the log changed meanwhile
     */
    private Boolean cleanGroup(PartitionLog log, List<LogSegment> olds, boolean firstOfLog, Filter filter,
                               Stats stats, LogConfig config, long nowMs) throws IOException {
        LogSegment cleaned = LogSegment.create(log.dir(), olds.get(0).baseOffset(), config, nowMs,
                LogSegment.CLEANED_SUFFIX);
        try {
            cleaned.txnIndex().createFile(); // so a crash mid-swap can tell the new index from the old one
            for (LogSegment old : olds) {
                copyRetained(old, cleaned, filter, stats);
                cleaned.txnIndex().appendAll(filter.txns.drainRetained());
            }
            // an emptied group leaves a gap; only the log's first segment stays, empty, so the log
            // still starts at its log start offset
            if (cleaned.sizeInBytes() == 0 && !firstOfLog) {
                cleaned.delete();
                cleaned = null;
            } else {
                cleaned.onBecomeInactive();
                cleaned.flush();
                File last = olds.get(olds.size() - 1).logFile();
                cleaned.logFile().setLastModified(last.lastModified());
            }
            swapSteps.reached("written");
            if (!log.replaceSegments(olds, cleaned, swapSteps)) {
                if (cleaned != null) {
                    cleaned.delete();
                }
                return null;
            }
            return cleaned != null;
        } catch (IOException | RuntimeException e) {
            if (cleaned != null && cleaned.logFile().getName().endsWith(LogSegment.CLEANED_SUFFIX)) {
                cleaned.delete(); // not committed yet: the old segments stay
            }
            throw e;
        }
    }

    private void copyRetained(LogSegment source, LogSegment dest, Filter filter, Stats stats) throws IOException {
        int position = 0;
        while (position < source.sizeInBytes()) {
            MemoryRecords records = read(source, position);
            if (records == null) {
                break;
            }
            writeBuffer.clear();
            MemoryRecords.FilterResult result = records.filterTo(filter, writeBuffer, BufferSupplier.NO_CACHING);
            position += result.bytesRead();
            stats.bytesRead += result.bytesRead();
            stats.recordsRead += result.messagesRead();
            stats.recordsRetained += result.messagesRetained();
            ByteBuffer out = result.outputBuffer();
            if (out.position() > 0) {
                out.flip();
                MemoryRecords retained = MemoryRecords.readableRecords(out);
                dest.append(retained);
                stats.bytesWritten += retained.sizeInBytes();
            }
            if (out.capacity() > writeBuffer.capacity()) {
                writeBuffer = out; // grown for a large batch; keep it
            }
            throttler.maybeThrottle(result.bytesRead() + (long) out.limit());
        }
    }

    /**
     * Reads whole batches from {@code position} into the read buffer, growing it when the next batch
     * is larger.
     *
     * @return the batches, or null when no complete batch starts there
     */
    private MemoryRecords read(LogSegment segment, int position) throws IOException {
        readBuffer.clear();
        segment.readInto(readBuffer, position);
        MemoryRecords records = MemoryRecords.readableRecords(readBuffer);
        if (records.firstBatchSize() == null || records.firstBatchSize() > readBuffer.limit()) {
            RecordBatch next = segment.batchAt(position);
            if (next == null || next.sizeInBytes() <= readBuffer.capacity()) {
                return null; // a torn tail; recovery owns it
            }
            readBuffer = ByteBuffer.allocate(Math.max(next.sizeInBytes(), initialBufferBytes));
            return read(segment, position);
        }
        return records;
    }

    private static final class Stats {
        long bytesRead;
        long bytesWritten;
        long recordsRead;
        long recordsRetained;
    }

    /** Which batches and records survive a cleaning; see the class comment. */
    private final class Filter extends RecordFilter {
        private final Map<Long, Long> producerLastOffsets;
        final TransactionTracker txns;
        long tombstonesExpireAtMs = Long.MAX_VALUE;
        /** The records of the current batch go whatever their keys: aborted data or an expired marker. */
        private boolean discardBatchRecords;

        Filter(long nowMs, long deleteRetentionMs, Map<Long, Long> producerLastOffsets, TransactionTracker txns) {
            super(nowMs, deleteRetentionMs);
            this.producerLastOffsets = producerLastOffsets;
            this.txns = txns;
        }

        @Override
        protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
            boolean producersLast = batch.hasProducerId()
                    && producerLastOffsets.getOrDefault(batch.producerId(), -1L) == batch.lastOffset();
            boolean emptyTxnMarker = false;
            if (batch.isControlBatch()) {
                // a marker whose transaction left no record here goes once its delete horizon passed
                // (set at the first cleaning that found it so); until then consumers may still need it
                emptyTxnMarker = txns.onControlBatch(batch);
                OptionalLong horizon = batch.deleteHorizonMs();
                discardBatchRecords = emptyTxnMarker && horizon.isPresent() && horizon.getAsLong() <= currentTime;
                if (emptyTxnMarker && !discardBatchRecords) {
                    tombstonesExpireAtMs = Math.min(tombstonesExpireAtMs,
                            horizon.isPresent() ? horizon.getAsLong() : currentTime + deleteRetentionMs);
                }
            } else {
                discardBatchRecords = txns.onDataBatch(batch); // aborted: never visible to read_committed
            }
            BatchRetention retention = producersLast ? BatchRetention.RETAIN_EMPTY
                    : discardBatchRecords ? BatchRetention.DELETE : BatchRetention.DELETE_EMPTY;
            return new BatchRetentionResult(retention, emptyTxnMarker);
        }

        @Override
        protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
            if (discardBatchRecords) {
                return false;
            }
            if (batch.isControlBatch()) {
                return true;
            }
            if (!record.hasKey()) {
                return false; // a compacted log cannot hold records without a key
            }
            long latest = map.get(record.key());
            if (latest >= 0 && record.offset() < latest) {
                return false;
            }
            if (record.hasValue()) {
                return true;
            }
            OptionalLong horizon = batch.deleteHorizonMs();
            long expiresAt = horizon.isPresent() ? horizon.getAsLong() : currentTime + deleteRetentionMs;
            if (horizon.isPresent() && expiresAt <= currentTime) {
                return false;
            }
            tombstonesExpireAtMs = Math.min(tombstonesExpireAtMs, expiresAt);
            return true;
        }
    }
}
