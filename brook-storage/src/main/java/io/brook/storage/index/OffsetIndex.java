package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;

/**
 * The sparse offset index of one segment, in Kafka's {@code .index} format, memory-mapped (see
 * {@link MappedIndex} for the life of the file and the mapping, and for thread-safety).
 *
 * <pre>
 * file = entry*            (no header; preallocated with zeros while the segment is active,
 *                           exactly entries * 8 bytes once it rolled or closed)
 * entry:
 *   0: int32 relativeOffset   (offset - segment base offset)
 *   4: int32 position         (byte position of the batch in the .log file)
 * </pre>
 *
 * An entry maps the last offset of a batch to the position where that batch starts, so a
 * lookup of any offset at or after it may start scanning there. Entries are strictly increasing
 * in both fields.
 */
public final class OffsetIndex extends MappedIndex {
    public static final int ENTRY_BYTES = 8;
    private static final Key RELATIVE_OFFSET = (buf, slot) -> buf.getInt(slot * ENTRY_BYTES);
    private static final Key POSITION = (buf, slot) -> buf.getInt(slot * ENTRY_BYTES + 4);

    /** The last entry's fields (0 when there is none), kept so that start-up and appends need no mapping. */
    private volatile int lastRelativeOffset;
    private volatile int lastPosition;

    private OffsetIndex(File file, long baseOffset, int maxEntries, int entries, int lastRelativeOffset,
                        int lastPosition) {
        super(file, baseOffset, ENTRY_BYTES, maxEntries, entries);
        this.lastRelativeOffset = lastRelativeOffset;
        this.lastPosition = lastPosition;
    }

    /**
     * Opens an existing index file after checking it, without mapping it (nothing is mapped until a
     * lookup or an append). Returns null when the file is not a valid index for a log of
     * {@code logSizeBytes} bytes, the caller must then rebuild it: a length that is not a whole number
     * of entries (a torn entry), more entries than {@code maxEntries}, entries that do not strictly
     * increase (a preallocated tail of zeros), or a position outside the log.
     */
    public static OffsetIndex openIfValid(File file, long baseOffset, int maxEntries, int logSizeBytes)
            throws IOException {
        long length = file.exists() ? file.length() : 0;
        if (length % ENTRY_BYTES != 0 || length / ENTRY_BYTES > maxEntries) {
            return null;
        }
        int n = (int) (length / ENTRY_BYTES);
        int[] last = {-1, -1};
        boolean valid = IndexFile.checkEntries(file, ENTRY_BYTES, n, (buf, at, slot) -> {
            int rel = buf.getInt(at);
            int pos = buf.getInt(at + 4);
            boolean ordered = slot == 0 ? rel >= 0 && pos >= 0 : rel > last[0] && pos > last[1];
            last[0] = rel;
            last[1] = pos;
            return ordered && pos < logSizeBytes;
        });
        if (!valid) {
            return null;
        }
        return n == 0 ? new OffsetIndex(file, baseOffset, maxEntries, 0, 0, 0)
                : new OffsetIndex(file, baseOffset, maxEntries, n, last[0], last[1]);
    }

    /** Creates an empty index, replacing any file there (the file appears with the first entry). */
    public static OffsetIndex createEmpty(File file, long baseOffset, int maxEntries) throws IOException {
        Files.deleteIfExists(file.toPath());
        return new OffsetIndex(file, baseOffset, maxEntries, 0, 0, 0);
    }

    /** Appends an entry; offsets and positions must increase. Caller is the single appender. */
    public synchronized void append(long offset, int position) throws IOException {
        int rel = Math.toIntExact(offset - baseOffset);
        int n = entries();
        if (n > 0 && (rel <= lastRelativeOffset || position <= lastPosition)) {
            throw new IllegalStateException("index entry out of order: offset " + offset + " at " + position
                    + " after " + (baseOffset + lastRelativeOffset) + " at " + lastPosition + " in " + file());
        }
        if (rel < 0 || position < 0) {
            throw new IllegalArgumentException("index entry before its segment: offset " + offset + " at " + position
                    + " in " + file());
        }
        if (isFull()) {
            throw new IllegalStateException("index is full (" + maxEntries() + " entries): " + file());
        }
        ByteBuffer buf = writableMapping(n);
        buf.putInt(n * ENTRY_BYTES, rel);
        buf.putInt(n * ENTRY_BYTES + 4, position);
        lastRelativeOffset = rel;
        lastPosition = position;
        publishEntries(n + 1);
    }

    /**
     * The position to start scanning from for {@code targetOffset}: the position of the largest
     * entry whose offset is at most the target, or 0 when there is none (or the index is closed).
     */
    public int lookupPosition(long targetOffset) throws IOException {
        long stamp = beginRead();
        try {
            ByteBuffer buf = mapped();
            if (buf == null) {
                return 0;
            }
            int slot = floorSlot(buf, readableEntries(), targetOffset - baseOffset, RELATIVE_OFFSET);
            return slot < 0 ? 0 : buf.getInt(slot * ENTRY_BYTES + 4);
        } finally {
            endRead(stamp);
        }
    }

    /** The file position of the last entry, or 0 when there is none. */
    public int lastPosition() {
        return entries() == 0 ? 0 : lastPosition;
    }

    /** Removes every entry whose position is at or after {@code position} (Kafka's truncation by position). */
    public synchronized void truncateToPosition(int position) throws IOException {
        int n = entries();
        if (n == 0 || lastPosition < position) {
            return;
        }
        keepEntriesUpTo((long) position - 1, POSITION);
    }

    /** Removes every entry for an offset at or after {@code offset} (Kafka's {@code truncateTo}). */
    public synchronized void truncateTo(long offset) throws IOException {
        int n = entries();
        if (n == 0 || baseOffset + lastRelativeOffset < offset) {
            return;
        }
        keepEntriesUpTo(offset - baseOffset - 1, RELATIVE_OFFSET);
    }

    /** Keeps the entries whose {@code field} is at most {@code key} and drops the rest; under the index's lock. */
    private void keepEntriesUpTo(long key, Key field) throws IOException {
        int keep;
        int rel = 0;
        int pos = 0;
        long stamp = beginRead();
        try {
            ByteBuffer buf = mapped();
            keep = buf == null ? 0 : floorSlot(buf, readableEntries(), key, field) + 1;
            if (keep > 0) {
                rel = buf.getInt((keep - 1) * ENTRY_BYTES);
                pos = buf.getInt((keep - 1) * ENTRY_BYTES + 4);
            }
        } finally {
            endRead(stamp);
        }
        lastRelativeOffset = rel;
        lastPosition = pos;
        truncateToEntries(keep);
    }

    @Override
    public String toString() {
        return "OffsetIndex(" + file() + ", entries=" + entries() + ")";
    }
}
