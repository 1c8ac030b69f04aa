package io.brook.storage.index;

import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;

/**
 * The sparse time index of one segment, in Kafka's {@code .timeindex} format, memory-mapped (see
 * {@link MappedIndex}).
 *
 * <pre>
 * file = entry*            (no header; preallocated with zeros while the segment is active,
 *                           exactly entries * 12 bytes once it rolled or closed)
 * entry:
 *   0: int64 timestamp        (largest timestamp seen in the segment so far)
 *   8: int32 relativeOffset   (offset of the batch that carried it - segment base offset)
 * </pre>
 *
 * Timestamps strictly increase from entry to entry and are never negative (as in Kafka, a
 * timestamp is appended only when it is larger than the last one, which is -1 for an empty index);
 * offsets do not decrease.
 *
 * <p>Thread-safety: as {@link MappedIndex}.
 */
public final class TimeIndex extends MappedIndex {
    public static final int ENTRY_BYTES = 12;
    private static final Key TIMESTAMP = (buf, slot) -> buf.getLong(slot * ENTRY_BYTES);
    private static final Key RELATIVE_OFFSET = (buf, slot) -> buf.getInt(slot * ENTRY_BYTES + 8);

    /** The last entry's fields (NO_TIMESTAMP and 0 when there is none), kept so that start-up needs no mapping. */
    private volatile long lastTimestamp;
    private volatile int lastRelativeOffset;

    private TimeIndex(File file, long baseOffset, int maxEntries, int entries, long lastTimestamp,
                      int lastRelativeOffset) {
        super(file, baseOffset, ENTRY_BYTES, maxEntries, entries);
        this.lastTimestamp = lastTimestamp;
        this.lastRelativeOffset = lastRelativeOffset;
    }

    /**
     * Opens an existing time index after checking it, without mapping it; null when the file is not
     * a valid index (see {@link OffsetIndex#openIfValid}; a preallocated tail of zeros fails because
     * timestamps must strictly increase) or names an offset at or after {@code nextOffset}.
     */
    public static TimeIndex openIfValid(File file, long baseOffset, int maxEntries, long nextOffset)
            throws IOException {
        long length = file.exists() ? file.length() : 0;
        if (length % ENTRY_BYTES != 0 || length / ENTRY_BYTES > maxEntries) {
            return null;
        }
        int n = (int) (length / ENTRY_BYTES);
        long[] last = {RecordBatch.NO_TIMESTAMP, 0};
        boolean valid = IndexFile.checkEntries(file, ENTRY_BYTES, n, (buf, at, slot) -> {
            long ts = buf.getLong(at);
            int rel = buf.getInt(at + 8);
            boolean ordered = ts > last[0] && (slot == 0 ? rel >= 0 : rel >= last[1]);
            last[0] = ts;
            last[1] = rel;
            return ordered && baseOffset + rel < nextOffset;
        });
        if (!valid) {
            return null;
        }
        return new TimeIndex(file, baseOffset, maxEntries, n, last[0], (int) last[1]);
    }

    /** Creates an empty index, replacing any file there (the file appears with the first entry). */
    public static TimeIndex createEmpty(File file, long baseOffset, int maxEntries) throws IOException {
        Files.deleteIfExists(file.toPath());
        return new TimeIndex(file, baseOffset, maxEntries, 0, RecordBatch.NO_TIMESTAMP, 0);
    }

    /** The timestamp of the last entry, or -1 when there is none. */
    public long lastTimestamp() {
        return entries() == 0 ? RecordBatch.NO_TIMESTAMP : lastTimestamp;
    }

    /** The offset of the last entry, or -1 when there is none. */
    public long lastOffset() {
        return entries() == 0 ? -1L : baseOffset + lastRelativeOffset;
    }

    /** Appends (timestamp, offset) if the timestamp is larger than the last entry's (or than -1). */
    public synchronized void maybeAppend(long timestamp, long offset) throws IOException {
        maybeAppend(timestamp, offset, false);
    }

    /**
     * As {@link #maybeAppend(long, long)}, for the last entry of a segment that stops being active
     * (its max timestamp, at a roll or a clean close): written without preallocating and mapping the
     * file when it is not mapped already (see {@link MappedIndex#appendWithoutMapping}).
     */
    public synchronized void maybeAppendLast(long timestamp, long offset) throws IOException {
        maybeAppend(timestamp, offset, true);
    }

    private void maybeAppend(long timestamp, long offset, boolean last) throws IOException {
        int n = entries();
        if (timestamp <= lastTimestamp()) {
            return;
        }
        if (isFull()) {
            throw new IllegalStateException("time index is full (" + maxEntries() + " entries): " + file());
        }
        int rel = Math.toIntExact(offset - baseOffset);
        if (last && (rel < 0 || (n > 0 && rel < lastRelativeOffset))) {
            // the segment's closing entry behind an entry read from a damaged file (its offset beyond
            // the segment): the entry is only a shortcut for lookups, and a close must not fail for it
            return;
        }
        if (rel < 0 || (n > 0 && rel < lastRelativeOffset)) {
            throw new IllegalStateException("time index entry out of order: offset " + offset + " after "
                    + lastOffset() + " in " + file());
        }
        if (!last || !appendWithoutMapping(n, ByteBuffer.allocate(ENTRY_BYTES).putLong(timestamp).putInt(rel).flip())) {
            ByteBuffer buf = writableMapping(n);
            buf.putLong(n * ENTRY_BYTES, timestamp);
            buf.putInt(n * ENTRY_BYTES + 8, rel);
        }
        lastTimestamp = timestamp;
        lastRelativeOffset = rel;
        publishEntries(n + 1);
    }

    /**
     * The offset to start searching from for the first record with timestamp &gt;= target: the
     * offset of the largest entry whose timestamp is below the target, or the segment base offset.
     */
    public long lookupOffsetBefore(long targetTimestamp) throws IOException {
        if (targetTimestamp == Long.MIN_VALUE) {
            return baseOffset;
        }
        long stamp = beginRead();
        try {
            ByteBuffer buf = mapped();
            if (buf == null) {
                return baseOffset;
            }
            int slot = floorSlot(buf, readableEntries(), targetTimestamp - 1, TIMESTAMP);
            return slot < 0 ? baseOffset : baseOffset + buf.getInt(slot * ENTRY_BYTES + 8);
        } finally {
            endRead(stamp);
        }
    }

    /** Removes every entry whose offset is at or after {@code offset} (Kafka's {@code truncateTo}). */
    public synchronized void truncateToOffset(long offset) throws IOException {
        int n = entries();
        if (n == 0 || baseOffset + lastRelativeOffset < offset) {
            return;
        }
        int keep;
        long ts = RecordBatch.NO_TIMESTAMP;
        int rel = 0;
        long stamp = beginRead();
        try {
            ByteBuffer buf = mapped();
            keep = buf == null ? 0 : floorSlot(buf, readableEntries(), offset - baseOffset - 1, RELATIVE_OFFSET) + 1;
            if (keep > 0) {
                ts = buf.getLong((keep - 1) * ENTRY_BYTES);
                rel = buf.getInt((keep - 1) * ENTRY_BYTES + 8);
            }
        } finally {
            endRead(stamp);
        }
        lastTimestamp = ts;
        lastRelativeOffset = rel;
        truncateToEntries(keep);
    }

    @Override
    public String toString() {
        return "TimeIndex(" + file() + ", entries=" + entries() + ")";
    }
}
