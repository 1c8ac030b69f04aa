package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The sparse offset index of one segment, in Kafka's {@code .index} format.
 *
 * <pre>
 * file = entry*            (no header, no preallocation: length = entries * 8)
 * entry:
 *   0: int32 relativeOffset   (offset - segment base offset)
 *   4: int32 position         (byte position of the batch in the .log file)
 * </pre>
 *
 * An entry maps the last offset of a batch to the position where that batch starts, so a
 * lookup of any offset at or after it may start scanning there. Entries are strictly increasing
 * in both fields. The entries are mirrored in memory for lookups (8 bytes per entry, one entry per
 * {@code index.interval.bytes} of log).
 *
 * <p>New entries reach the file in batches ({@value #WRITE_BATCH_ENTRIES} at a time) and at
 * every flush, truncation and close, not one write per entry: the log flushes a segment's
 * indexes before its recovery point moves past it, and recovery rebuilds the indexes of
 * everything after the recovery point, so a crash never leaves a trusted index short.
 *
 * <p>Thread-safety: one appender; changes and file writes are synchronized (a background flush
 * may run during appends); lookups take no lock and see either the old or the new entry count
 * (entries are published after both arrays are written).
 */
public final class OffsetIndex implements AutoCloseable {
    public static final int ENTRY_BYTES = 8;
    /** Entries kept in memory before they are written out together. */
    static final int WRITE_BATCH_ENTRIES = 128;

    private final long baseOffset;
    private final int maxEntries;
    private File file;
    /** Set by close: later writes are dropped (the files may be gone). */
    private boolean closed;
    private volatile int[] relativeOffsets;
    private volatile int[] positions;
    private volatile int entries;
    /** Entries already in the file. */
    private int persisted;

    private OffsetIndex(File file, long baseOffset, int maxEntries, int[] relativeOffsets, int[] positions,
                        int entries) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.maxEntries = maxEntries;
        this.relativeOffsets = relativeOffsets;
        this.positions = positions;
        this.entries = entries;
        this.persisted = entries;
        // no file handle is kept between writes: a node with many segments holds one per segment (its log)
        withChannel(channel -> { });
    }

    /**
     * Opens (or creates) an index file. Returns null when the existing file is not a valid index
     * for a log of {@code logSizeBytes} bytes: the caller must then rebuild it.
     */
    public static OffsetIndex openIfValid(File file, long baseOffset, int maxEntries, int logSizeBytes)
            throws IOException {
        long length = file.exists() ? file.length() : 0;
        if (length % ENTRY_BYTES != 0 || length / ENTRY_BYTES > maxEntries) {
            return null;
        }
        int n = (int) (length / ENTRY_BYTES);
        int[] rel = new int[Math.max(16, n)];
        int[] pos = new int[Math.max(16, n)];
        if (n > 0) {
            ByteBuffer buf = ByteBuffer.allocate((int) length);
            try (FileChannel ch = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
                while (buf.hasRemaining() && ch.read(buf) >= 0) {
                    // read fully
                }
            }
            buf.flip();
            for (int i = 0; i < n; i++) {
                rel[i] = buf.getInt();
                pos[i] = buf.getInt();
                boolean ordered = i == 0 || (rel[i] > rel[i - 1] && pos[i] > pos[i - 1]);
                if (!ordered || rel[i] < 0 || pos[i] < 0 || pos[i] >= logSizeBytes) {
                    return null;
                }
            }
        }
        return new OffsetIndex(file, baseOffset, maxEntries, rel, pos, n);
    }

    /** Creates an empty index, replacing any file there. */
    public static OffsetIndex createEmpty(File file, long baseOffset, int maxEntries) throws IOException {
        java.nio.file.Files.deleteIfExists(file.toPath());
        return new OffsetIndex(file, baseOffset, maxEntries, new int[16], new int[16], 0);
    }

    public boolean isFull() {
        return entries >= maxEntries;
    }

    public int entries() {
        return entries;
    }

    /** Appends an entry; offsets and positions must increase. Caller is the single appender. */
    public synchronized void append(long offset, int position) throws IOException {
        int rel = Math.toIntExact(offset - baseOffset);
        int n = entries;
        if (n > 0 && (rel <= relativeOffsets[n - 1] || position <= positions[n - 1])) {
            throw new IllegalStateException("index entry out of order: offset " + offset + " at " + position
                    + " after " + (baseOffset + relativeOffsets[n - 1]) + " at " + positions[n - 1] + " in " + file);
        }
        if (n >= maxEntries) {
            throw new IllegalStateException("index is full (" + maxEntries + " entries): " + file);
        }
        int[] rels = relativeOffsets;
        int[] poss = positions;
        if (n == rels.length) {
            rels = Arrays.copyOf(rels, Math.min(maxEntries, n * 2));
            poss = Arrays.copyOf(poss, rels.length);
        }
        rels[n] = rel;
        poss[n] = position;
        relativeOffsets = rels;
        positions = poss;
        entries = n + 1;
        if (entries - persisted >= WRITE_BATCH_ENTRIES) {
            writePending();
        }
    }

    /** Writes the entries not yet in the file. */
    private void writePending() throws IOException {
        int n = entries;
        if (n <= persisted) {
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate((n - persisted) * ENTRY_BYTES);
        for (int i = persisted; i < n; i++) {
            buf.putInt(relativeOffsets[i]).putInt(positions[i]);
        }
        buf.flip();
        long at = (long) persisted * ENTRY_BYTES;
        long start = at;
        withChannel(channel -> {
            long position = start;
            while (buf.hasRemaining()) {
                position += channel.write(buf, position);
            }
        });
        persisted = n;
    }

    /**
     * The position to start scanning from for {@code targetOffset}: the position of the largest
     * entry whose offset is at most the target, or 0 when there is none.
     */
    public int lookupPosition(long targetOffset) {
        int n = entries;
        int[] rels = relativeOffsets;
        int[] poss = positions;
        long rel = targetOffset - baseOffset;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (rels[mid] <= rel) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : poss[found];
    }

    /** The file position of the last entry, or 0 when there is none. */
    public int lastPosition() {
        int n = entries;
        return n == 0 ? 0 : positions[n - 1];
    }

    /** Removes every entry whose position is at or after {@code position}. */
    public synchronized void truncateToPosition(int position) throws IOException {
        int n = entries;
        while (n > 0 && positions[n - 1] >= position) {
            n--;
        }
        entries = n;
        persisted = Math.min(persisted, n);
        long length = (long) persisted * ENTRY_BYTES;
        withChannel(channel -> channel.truncate(length));
        writePending();
    }

    public synchronized void flush() throws IOException {
        writePending();
        withChannel(channel -> channel.force(true));
    }

    public synchronized void renameTo(File target) throws IOException {
        java.nio.file.Files.move(file.toPath(), target.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        file = target;
    }

    private interface ChannelAction {
        void run(FileChannel channel) throws IOException;
    }

    /** Opens the file (creating it if needed) for one action; nothing once closed. */
    private void withChannel(ChannelAction action) throws IOException {
        if (closed) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            action.run(channel);
        }
    }

    public File file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            writePending();
            closed = true;
        }
    }
}
