package io.brook.storage.log;

import io.brook.storage.index.OffsetIndex;
import io.brook.storage.index.TimeIndex;
import io.brook.storage.index.TransactionIndex;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;

/**
 * One segment of a partition log: the {@code .log} file of record batches (Kafka's batch v2
 * format, byte for byte) and its sparse {@code .index} and {@code .timeindex}.
 *
 * <p>Thread-safety: appends, truncation and recovery come from the partition's single appender;
 * reads may run at any time and only look at bytes below a position published by the appender.
 */
public final class LogSegment implements AutoCloseable {
    public static final String LOG_SUFFIX = ".log";
    public static final String INDEX_SUFFIX = ".index";
    public static final String TIME_INDEX_SUFFIX = ".timeindex";
    public static final String TXN_INDEX_SUFFIX = ".txnindex";
    public static final String DELETED_SUFFIX = ".deleted";
    /** A segment being written by the cleaner; deleted at start-up if found. */
    public static final String CLEANED_SUFFIX = ".cleaned";
    /** A cleaned segment committed to replace the segments it overlaps; the swap is finished at start-up. */
    public static final String SWAP_SUFFIX = ".swap";

    private final long baseOffset;
    private final SegmentFile log;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final TransactionIndex txnIndex;
    private final int indexIntervalBytes;
    private final long createdMs;
    private int bytesSinceLastIndexEntry;
    private volatile long maxTimestampSoFar = RecordBatch.NO_TIMESTAMP;
    private volatile long offsetOfMaxTimestampSoFar = -1;
    private volatile long firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
    private volatile long nextOffset;

    private LogSegment(long baseOffset, FileRecords log, OffsetIndex offsetIndex, TimeIndex timeIndex,
                       TransactionIndex txnIndex, int indexIntervalBytes, long createdMs) {
        this.baseOffset = baseOffset;
        this.log = new SegmentFile(log);
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.txnIndex = txnIndex;
        this.indexIntervalBytes = indexIntervalBytes;
        this.createdMs = createdMs;
        this.nextOffset = baseOffset;
    }

    public static String fileName(long offset, String suffix) {
        // padded by hand: String.format was a tenth of the time spent creating an empty partition
        String digits = Long.toString(offset);
        return "0".repeat(Math.max(0, 20 - digits.length())) + digits + suffix;
    }

    public static File logFile(File dir, long baseOffset) {
        return new File(dir, fileName(baseOffset, LOG_SUFFIX));
    }

    /** Creates a new, empty segment. */
    public static LogSegment create(File dir, long baseOffset, LogConfig config, long nowMs) throws IOException {
        return create(dir, baseOffset, config, nowMs, "");
    }

    /** Creates a new, empty segment whose three file names end in {@code suffix} (e.g. {@link #CLEANED_SUFFIX}). */
    public static LogSegment create(File dir, long baseOffset, LogConfig config, long nowMs, String suffix)
            throws IOException {
        FileRecords log = FileRecords.open(new File(dir, fileName(baseOffset, LOG_SUFFIX) + suffix), false, 0, false);
        OffsetIndex index = OffsetIndex.createEmpty(new File(dir, fileName(baseOffset, INDEX_SUFFIX) + suffix),
                baseOffset, config.maxOffsetIndexEntries());
        TimeIndex timeIndex = TimeIndex.createEmpty(new File(dir, fileName(baseOffset, TIME_INDEX_SUFFIX) + suffix),
                baseOffset, config.segmentIndexBytes() / TimeIndex.ENTRY_BYTES);
        File txnFile = new File(dir, fileName(baseOffset, TXN_INDEX_SUFFIX) + suffix);
        Files.deleteIfExists(txnFile.toPath());
        return new LogSegment(baseOffset, log, index, timeIndex, TransactionIndex.open(txnFile),
                config.indexIntervalBytes(), nowMs);
    }

    /**
     * Opens an existing segment. With {@code recover} the whole file is validated batch by batch,
     * a corrupt or torn tail is truncated and both indexes are rebuilt; otherwise the indexes are
     * loaded and rebuilt only if they fail their checks.
     */
    public static LogSegment open(File dir, long baseOffset, LogConfig config, boolean recover) throws IOException {
        return open(dir, baseOffset, config, recover, !config.compact(), null);
    }

    /**
     * As {@link #open(File, long, LogConfig, boolean)}, reporting the bytes truncated. With
     * {@code contiguous} every batch must start right after the previous one; only a log that was
     * never compacted may require that.
     */
    public static LogSegment open(File dir, long baseOffset, LogConfig config, boolean recover, boolean contiguous,
                                  int[] truncatedBytes) throws IOException {
        File file = logFile(dir, baseOffset);
        FileRecords log = FileRecords.open(file, true, 0, false);
        long createdMs = file.lastModified();
        File indexFile = new File(dir, fileName(baseOffset, INDEX_SUFFIX));
        File timeFile = new File(dir, fileName(baseOffset, TIME_INDEX_SUFFIX));
        boolean indexesPresent = indexFile.exists() && timeFile.exists();
        OffsetIndex index = recover ? null
                : OffsetIndex.openIfValid(indexFile, baseOffset, config.maxOffsetIndexEntries(), log.sizeInBytes());
        TimeIndex timeIndex = recover ? null
                : TimeIndex.openIfValid(timeFile, baseOffset, config.segmentIndexBytes() / TimeIndex.ENTRY_BYTES,
                        Long.MAX_VALUE);
        boolean rebuild = index == null || timeIndex == null
                || (log.sizeInBytes() > 0 && !indexesPresent);
        if (index == null) {
            index = OffsetIndex.createEmpty(indexFile, baseOffset, config.maxOffsetIndexEntries());
        }
        if (timeIndex == null) {
            timeIndex = TimeIndex.createEmpty(timeFile, baseOffset, config.segmentIndexBytes() / TimeIndex.ENTRY_BYTES);
        }
        LogSegment segment = new LogSegment(baseOffset, log, index, timeIndex,
                TransactionIndex.open(new File(dir, fileName(baseOffset, TXN_INDEX_SUFFIX))),
                config.indexIntervalBytes(), createdMs);
        if (rebuild) {
            index.truncateToPosition(0);
            timeIndex.truncateToOffset(baseOffset);
        }
        int truncated = 0;
        if (recover || rebuild) {
            truncated = segment.scan(recover, rebuild, contiguous);
        } else {
            segment.loadFromIndexes();
        }
        segment.txnIndex.truncateTo(segment.nextOffset); // entries of markers lost with a torn tail
        if (recover || rebuild) {
            // rebuilt indexes were mapped and preallocated by their appends: cut them to their entries and
            // unmap them, so loading a log leaves nothing mapped (the active segment's first append maps again)
            index.trimToValidSize();
            timeIndex.trimToValidSize();
        }
        if (truncatedBytes != null) {
            truncatedBytes[0] = truncated;
        }
        return segment;
    }

    /**
     * Restores the state of a segment whose indexes are trusted without reading all of it: the max
     * timestamp from the time index's last entry (exact for segments closed by a roll or a clean
     * shutdown, see {@link #onBecomeInactive()}), the first batch's timestamp, and the next offset
     * from a scan of the batches after the last offset index entry.
     */
    private void loadFromIndexes() throws IOException {
        FileChannelRecordBatch first = batchAt(0);
        if (first != null) {
            firstBatchTimestamp = first.maxTimestamp();
        }
        if (timeIndex.entries() > 0) {
            maxTimestampSoFar = timeIndex.lastTimestamp();
            offsetOfMaxTimestampSoFar = timeIndex.lastOffset();
        }
        long next = baseOffset;
        for (FileChannelRecordBatch batch : log.records().batchesFrom(offsetIndex.lastPosition())) {
            trackTimestamp(batch.maxTimestamp(), batch.lastOffset());
            next = batch.nextOffset();
        }
        nextOffset = next;
    }

    /**
     * Called when the segment stops being the active one (a roll, a clean close): records its max
     * timestamp in the time index even if no index entry was due, so the next start can read it
     * from there instead of from every batch, and trims both index files to their entries (Kafka
     * does the same).
     */
    public void onBecomeInactive() throws IOException {
        if (maxTimestampSoFar != RecordBatch.NO_TIMESTAMP && !timeIndex.isFull()) {
            timeIndex.maybeAppendLast(maxTimestampSoFar, offsetOfMaxTimestampSoFar);
        }
        // no more appends: the preallocated index files shrink to their entries, as Kafka's do
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
    }

    /**
     * Reads every batch: checks it, restores the max-timestamp state,
     * optionally rebuilds the indexes, and truncates the file at the first invalid batch.
     * {@code contiguous} requires each batch to start right after the previous one.
     *
     * @return the number of bytes truncated
     */
    private int scan(boolean validate, boolean rebuildIndexes, boolean contiguous) throws IOException {
        int validBytes = 0;
        long expectedNextOffset = baseOffset;
        try {
            for (FileChannelRecordBatch batch : log.records().batches()) {
                if (validate) {
                    batch.ensureValid();
                }
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    throw new CorruptRecordException("unsupported magic " + batch.magic());
                }
                // the base offset is outside the CRC: check it against its neighbours instead
                if (batch.baseOffset() < expectedNextOffset
                        || (contiguous && batch.baseOffset() != expectedNextOffset)
                        || batch.lastOffset() < batch.baseOffset()
                        || batch.lastOffset() - baseOffset > Integer.MAX_VALUE) {
                    throw new CorruptRecordException("batch offsets " + batch.baseOffset() + "-" + batch.lastOffset()
                            + " do not follow offset " + expectedNextOffset);
                }
                if (rebuildIndexes) {
                    indexBatch(batch.lastOffset(), batch.maxTimestamp(), validBytes, batch.sizeInBytes());
                } else {
                    trackTimestamp(batch.maxTimestamp(), batch.lastOffset());
                }
                expectedNextOffset = batch.nextOffset();
                validBytes += batch.sizeInBytes();
            }
        } catch (CorruptRecordException e) {
            // torn or corrupt tail: everything from validBytes on is dropped below
        }
        nextOffset = expectedNextOffset;
        int truncated = log.sizeInBytes() - validBytes;
        if (truncated > 0) {
            log.records().truncateTo(validBytes);
            offsetIndex.truncateToPosition(validBytes);
            timeIndex.truncateToOffset(expectedNextOffset);
        }
        return truncated;
    }

    private void trackTimestamp(long maxTimestamp, long lastOffset) {
        if (firstBatchTimestamp == RecordBatch.NO_TIMESTAMP) {
            firstBatchTimestamp = maxTimestamp;
        }
        if (maxTimestamp > maxTimestampSoFar) {
            maxTimestampSoFar = maxTimestamp;
            offsetOfMaxTimestampSoFar = lastOffset;
        }
    }

    private void indexBatch(long lastOffset, long maxTimestamp, int position, int sizeBytes) throws IOException {
        trackTimestamp(maxTimestamp, lastOffset);
        if (bytesSinceLastIndexEntry > indexIntervalBytes) {
            offsetIndex.append(lastOffset, position);
            timeIndex.maybeAppend(maxTimestampSoFar, offsetOfMaxTimestampSoFar);
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += sizeBytes;
    }

    /**
     * Appends batches whose offsets are already assigned and indexes them.
     *
     * @return the position at which the first batch starts
     */
    public int append(MemoryRecords records) throws IOException {
        int position = log.sizeInBytes();
        // the records first, and all or nothing: a write that fails (a full disk) leaves neither part of its bytes
        // (they are cut off again) nor an index entry for them
        try {
            log.records().append(records);
        } catch (IOException e) {
            try {
                log.records().truncateTo(position);
            } catch (IOException | RuntimeException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
        int batchPosition = position;
        long last = -1;
        for (RecordBatch batch : records.batches()) {
            indexBatch(batch.lastOffset(), batch.maxTimestamp(), batchPosition, batch.sizeInBytes());
            batchPosition += batch.sizeInBytes();
            last = batch.lastOffset();
        }
        if (last >= 0) {
            nextOffset = last + 1;
        }
        return position;
    }

    /** The offset after the last batch of this segment (its base offset when empty). */
    public long nextOffset() {
        return nextOffset;
    }

    /**
     * Finds the batch holding {@code offset}, scanning from the index position.
     *
     * @return the position of that batch, or -1 if this segment has no batch at or after the offset
     */
    public int positionOf(long offset) throws IOException {
        FileRecords.LogOffsetPosition found =
                log.records().searchForOffsetFromPosition(offset, offsetIndex.lookupPosition(offset));
        return found == null ? -1 : found.position;
    }

    /**
     * The first offset in this segment whose timestamp is at least {@code timestamp}, with that
     * timestamp, or null if the segment has none.
     */
    public FileRecords.TimestampAndOffset findOffsetByTimestamp(long timestamp, long startingOffset)
            throws IOException {
        long from = Math.max(timeIndex.lookupOffsetBefore(timestamp), startingOffset);
        int position = offsetIndex.lookupPosition(from);
        return log.records().searchForTimestamp(timestamp, position, startingOffset);
    }

    /** Slices [position, position + length) for a zero-copy read (see {@link SegmentRecords#lease}). */
    public SegmentRecords slice(int position, int length) throws IOException {
        return new SegmentRecords(log, log.records().slice(position, length), position);
    }

    /** Leases held by zero-copy sends of this segment's bytes still in flight. */
    public int sendsInFlight() {
        return log.leases();
    }

    /**
     * Reads bytes from {@code position} on into {@code buffer} (cleared by the caller), as many as
     * it has room for or the segment has, and flips it for reading.
     */
    public void readInto(ByteBuffer buffer, int position) throws IOException {
        buffer.limit(Math.min(buffer.limit(), buffer.position() + Math.max(0, log.sizeInBytes() - position)));
        org.apache.kafka.common.utils.Utils.readFully(log.records().channel(), buffer, position);
        buffer.flip();
    }

    /** Reads the header of the batch at {@code position}; null if there is none. */
    public FileChannelRecordBatch batchAt(int position) throws IOException {
        var it = log.records().batchesFrom(position).iterator();
        return it.hasNext() ? it.next() : null;
    }

    /** Drops every batch at or after {@code offset}; returns the bytes removed. */
    public int truncateTo(long offset) throws IOException {
        int position = positionOf(offset);
        if (position < 0) {
            return 0;
        }
        int removed = log.sizeInBytes() - position;
        log.records().truncateTo(position);
        offsetIndex.truncateToPosition(position);
        txnIndex.truncateTo(offset);
        timeIndex.truncateToOffset(offset);
        maxTimestampSoFar = RecordBatch.NO_TIMESTAMP;
        offsetOfMaxTimestampSoFar = -1;
        firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
        bytesSinceLastIndexEntry = 0;
        nextOffset = baseOffset;
        for (FileChannelRecordBatch batch : log.records().batches()) {
            trackTimestamp(batch.maxTimestamp(), batch.lastOffset());
            nextOffset = batch.nextOffset();
        }
        return removed;
    }

    /**
     * Releases what an idle segment holds if nothing used it for {@code idleNanos}: the handle of
     * its {@code .log} file and the mappings of its indexes; the next use opens and maps them again.
     * Returns whether it released anything.
     */
    public boolean releaseIfIdle(long nowNanos, long idleNanos) throws IOException {
        if (!log.closeIfIdle(nowNanos, idleNanos)) {
            return false;
        }
        offsetIndex.unload();
        timeIndex.unload();
        return true;
    }

    /** Tells {@code listener} whenever the {@code .log} handle is opened again after an idle release. */
    public void onFileOpened(Runnable listener) {
        log.onReopen(listener);
    }

    /** Whether the {@code .log} file handle is open (it is closed while the segment is idle). */
    public boolean isFileOpen() {
        return log.isOpen();
    }

    /** Entries in the fuller of the two indexes. */
    public int indexEntries() {
        return Math.max(offsetIndex.entries(), timeIndex.entries());
    }

    /** The transactions aborted by markers in this segment. */
    public TransactionIndex txnIndex() {
        return txnIndex;
    }

    public boolean indexesFull() {
        return offsetIndex.isFull() || timeIndex.isFull();
    }

    /** Whether {@code more} appended batches could fill an index (each adds at most one entry to each). */
    public boolean indexesMayFill(int more) {
        return offsetIndex.entries() + more >= offsetIndex.maxEntries()
                || timeIndex.entries() + more >= timeIndex.maxEntries();
    }

    public long baseOffset() {
        return baseOffset;
    }

    public int sizeInBytes() {
        return log.sizeInBytes();
    }

    public long maxTimestamp() {
        return maxTimestampSoFar;
    }

    /** The max timestamp of the first batch, or {@link RecordBatch#NO_TIMESTAMP} when empty. */
    public long firstBatchTimestamp() {
        return firstBatchTimestamp;
    }

    public long offsetOfMaxTimestamp() {
        return offsetOfMaxTimestampSoFar;
    }

    /**
     * How long this segment has been open, for time-based rolling (Kafka's rule): the new batch's
     * timestamp minus the first batch's timestamp when both exist, else wall time since creation.
     */
    public long timeWaitedForRoll(long nowMs, long newBatchTimestamp) {
        return timeWaitedForRoll(nowMs, newBatchTimestamp, firstBatchTimestamp);
    }

    /** As {@link #timeWaitedForRoll(long, long)}, with the first batch's timestamp given (not yet appended). */
    public long timeWaitedForRoll(long nowMs, long newBatchTimestamp, long first) {
        if (first >= 0 && newBatchTimestamp >= 0) {
            return newBatchTimestamp - first;
        }
        return nowMs - createdMs;
    }

    /** The time retention judges this segment by: its largest timestamp, else its file's mtime. */
    public long largestTimestampForRetention() {
        long max = maxTimestampSoFar;
        return max == RecordBatch.NO_TIMESTAMP ? log.file().lastModified() : max;
    }

    public File logFile() {
        return log.file();
    }

    /** Fsyncs the {@code .log} file only (durable mode: recovery rebuilds the indexes from it). */
    public void flushData() throws IOException {
        log.records().flush();
    }

    public void flush() throws IOException {
        log.records().flush();
        offsetIndex.flush();
        timeIndex.flush();
        txnIndex.flush();
    }

    /**
     * Renames the three files from names ending in {@code from} to names ending in {@code to}; the
     * {@code .log} file is renamed last, so its new name marks a finished rename.
     */
    public void changeSuffix(String from, String to) throws IOException {
        offsetIndex.renameTo(renamed(offsetIndex.file(), from, to));
        timeIndex.renameTo(renamed(timeIndex.file(), from, to));
        txnIndex.renameTo(renamed(txnIndex.file(), from, to));
        log.renameTo(renamed(log.file(), from, to));
    }

    private static File renamed(File file, String from, String to) {
        String name = file.getName();
        if (!name.endsWith(from)) {
            throw new IllegalStateException(file + " does not end in '" + from + "'");
        }
        return new File(file.getParentFile(), name.substring(0, name.length() - from.length()) + to);
    }

    /** Renames the files with the {@code .deleted} suffix; deletion follows later. */
    public void markDeleted() throws IOException {
        File dir = log.file().getParentFile();
        log.renameTo(new File(dir, log.file().getName() + DELETED_SUFFIX));
        offsetIndex.renameTo(new File(dir, offsetIndex.file().getName() + DELETED_SUFFIX));
        timeIndex.renameTo(new File(dir, timeIndex.file().getName() + DELETED_SUFFIX));
        txnIndex.renameTo(new File(dir, txnIndex.file().getName() + DELETED_SUFFIX));
    }

    /**
     * Closes and removes every file of this segment. The index mappings go at once (a lookup still
     * running finishes first, see {@code MappedIndex}); a zero-copy send still in flight keeps the
     * {@code .log} handle until it is done (see {@link SegmentFile}).
     */
    public void delete() throws IOException {
        log.close();
        offsetIndex.deleteFile();
        timeIndex.deleteFile();
        Files.deleteIfExists(log.file().toPath());
        txnIndex.delete();
    }

    /** Closes the {@code .log} handle (once no send holds it) and trims and unmaps the indexes. */
    @Override
    public void close() throws IOException {
        log.close();
        offsetIndex.close();
        timeIndex.close();
    }

    /** Whether either index is mapped now (they are unmapped while idle, and once inactive until a lookup). */
    public boolean indexesMapped() {
        return offsetIndex.isMapped() || timeIndex.isMapped();
    }

    @Override
    public String toString() {
        return "LogSegment(" + log.file() + ", size=" + log.sizeInBytes() + ")";
    }
}
