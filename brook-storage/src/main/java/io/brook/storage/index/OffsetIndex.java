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
 * {@code index.interval.bytes} of log); {@link #unload()} drops that copy for an idle segment and
 * the next lookup or append reads the file again.
 *
 * <p>New entries reach the file in batches ({@value #WRITE_BATCH_ENTRIES} at a time) and at
 * every flush, truncation and close, not one write per entry: the log flushes a segment's
 * indexes before its recovery point moves past it, and recovery rebuilds the indexes of
 * everything after the recovery point, so a crash never leaves a trusted index short.
 *
 * <p>Thread-safety: one appender; changes and file writes are synchronized (a background flush
 * may run during appends); lookups take no lock and see either the old or the new entry count
 * (entries are published after both arrays are written; a lookup that finds the entries
 * unloaded loads them under the lock).
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
    /** The entries in memory; null while unloaded. */
    private volatile Loaded loaded;
    private volatile int entries;
    /** Entries already in the file. */
    private int persisted;

    private OffsetIndex(File file, long baseOffset, int maxEntries, int[] relativeOffsets, int[] positions,
                        int entries) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.maxEntries = maxEntries;
        this.loaded = new Loaded(relativeOffsets, positions);
        this.entries = entries;
        this.persisted = entries;
        // no file handle is kept between writes, and the file appears with the first write (as in
        // Kafka): creating a segment, and so a partition, creates only its .log
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
            ByteBuffer buf = IndexFile.read(file, (int) length);
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
        Loaded e = load();
        if (n > 0 && (rel <= e.relativeOffsets[n - 1] || position <= e.positions[n - 1])) {
            throw new IllegalStateException("index entry out of order: offset " + offset + " at " + position
                    + " after " + (baseOffset + e.relativeOffsets[n - 1]) + " at " + e.positions[n - 1] + " in " + file);
        }
        if (n >= maxEntries) {
            throw new IllegalStateException("index is full (" + maxEntries + " entries): " + file);
        }
        if (n == e.relativeOffsets.length) {
            int capacity = Math.min(maxEntries, n * 2);
            e = new Loaded(Arrays.copyOf(e.relativeOffsets, capacity), Arrays.copyOf(e.positions, capacity));
        }
        e.relativeOffsets[n] = rel;
        e.positions[n] = position;
        loaded = e;
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
        Loaded e = load();
        ByteBuffer buf = ByteBuffer.allocate((n - persisted) * ENTRY_BYTES);
        for (int i = persisted; i < n; i++) {
            buf.putInt(e.relativeOffsets[i]).putInt(e.positions[i]);
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
    public int lookupPosition(long targetOffset) throws IOException {
        int n = entries;
        Loaded e = load();
        int[] rels = e.relativeOffsets;
        int[] poss = e.positions;
        n = Math.min(n, rels.length);
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
    public int lastPosition() throws IOException {
        int n = entries;
        return n == 0 ? 0 : load().positions[n - 1];
    }

    /** Removes every entry whose position is at or after {@code position}. */
    public synchronized void truncateToPosition(int position) throws IOException {
        int n = entries;
        int[] positions = load().positions;
        while (n > 0 && positions[n - 1] >= position) {
            n--;
        }
        entries = n;
        persisted = Math.min(persisted, n);
        long length = (long) persisted * ENTRY_BYTES;
        withChannel(channel -> channel.truncate(length));
        writePending();
    }

    /**
     * Drops the in-memory entries after writing those still pending; the next lookup or append
     * reads them back from the file. Nothing once closed.
     */
    public synchronized void unload() throws IOException {
        if (!closed) {
            writePending();
            loaded = null;
        }
    }

    private Loaded load() throws IOException {
        Loaded e = loaded;
        return e != null ? e : loadFromFile();
    }

    /** Reads the entries back after {@link #unload()} (all of them are in the file then). */
    private synchronized Loaded loadFromFile() throws IOException {
        if (loaded != null) {
            return loaded;
        }
        int n = entries;
        int[] rels = new int[Math.max(16, n)];
        int[] poss = new int[rels.length];
        if (n > 0 && !closed) {
            ByteBuffer buf = IndexFile.read(file, n * ENTRY_BYTES);
            for (int i = 0; i < n; i++) {
                rels[i] = buf.getInt();
                poss[i] = buf.getInt();
            }
        }
        // a closed index (its segment deleted meanwhile) answers from zeros: position 0, a full scan
        loaded = new Loaded(rels, poss);
        return loaded;
    }

    /** Two parallel arrays, valid up to {@link #entries}. */
    private record Loaded(int[] relativeOffsets, int[] positions) {
    }

    public synchronized void flush() throws IOException {
        writePending();
        withChannel(channel -> channel.force(true));
    }

    /** Renames the file; an index never written has no file yet and only takes the new name. */
    public synchronized void renameTo(File target) throws IOException {
        if (file.exists()) {
            java.nio.file.Files.move(file.toPath(), target.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
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
