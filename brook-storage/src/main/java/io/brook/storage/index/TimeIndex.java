package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The sparse time index of one segment, in Kafka's {@code .timeindex} format.
 *
 * <pre>
 * file = entry*            (no header, no preallocation: length = entries * 12)
 * entry:
 *   0: int64 timestamp        (largest timestamp seen in the segment so far)
 *   8: int32 relativeOffset   (offset of the batch that carried it - segment base offset)
 * </pre>
 *
 * Timestamps strictly increase from entry to entry; offsets do not decrease.
 *
 * <p>Thread-safety: as {@link OffsetIndex}.
 */
public final class TimeIndex implements AutoCloseable {
    public static final int ENTRY_BYTES = 12;
    /** Entries kept in memory before they are written out together (see {@link OffsetIndex}). */
    static final int WRITE_BATCH_ENTRIES = 128;

    private final long baseOffset;
    private final int maxEntries;
    private File file;
    /** Set by close: later writes are dropped (the files may be gone). */
    private boolean closed;
    /** The entries in memory; null while unloaded (see {@link OffsetIndex#unload()}). */
    private volatile Loaded loaded;
    private volatile int entries;
    /** Entries already in the file. */
    private int persisted;

    private TimeIndex(File file, long baseOffset, int maxEntries, long[] timestamps, int[] relativeOffsets,
                      int entries) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.maxEntries = maxEntries;
        this.loaded = new Loaded(timestamps, relativeOffsets);
        this.entries = entries;
        this.persisted = entries;
        // no file handle is kept between writes, and the file appears with the first write (as in
        // Kafka): creating a segment, and so a partition, creates only its .log
    }

    /** Opens (or creates) a time index; null when the file is not a valid index and must be rebuilt. */
    public static TimeIndex openIfValid(File file, long baseOffset, int maxEntries, long nextOffset)
            throws IOException {
        long length = file.exists() ? file.length() : 0;
        if (length % ENTRY_BYTES != 0 || length / ENTRY_BYTES > maxEntries) {
            return null;
        }
        int n = (int) (length / ENTRY_BYTES);
        long[] ts = new long[Math.max(16, n)];
        int[] rel = new int[Math.max(16, n)];
        if (n > 0) {
            ByteBuffer buf = IndexFile.read(file, (int) length);
            for (int i = 0; i < n; i++) {
                ts[i] = buf.getLong();
                rel[i] = buf.getInt();
                boolean ordered = i == 0 || (ts[i] > ts[i - 1] && rel[i] >= rel[i - 1]);
                if (!ordered || rel[i] < 0 || baseOffset + rel[i] >= nextOffset) {
                    return null;
                }
            }
        }
        return new TimeIndex(file, baseOffset, maxEntries, ts, rel, n);
    }

    public static TimeIndex createEmpty(File file, long baseOffset, int maxEntries) throws IOException {
        java.nio.file.Files.deleteIfExists(file.toPath());
        return new TimeIndex(file, baseOffset, maxEntries, new long[16], new int[16], 0);
    }

    public boolean isFull() {
        return entries >= maxEntries;
    }

    public int entries() {
        return entries;
    }

    public long lastTimestamp() throws IOException {
        int n = entries;
        return n == 0 ? -1L : load().timestamps[n - 1];
    }

    /** The offset of the last entry, or -1 when there is none. */
    public long lastOffset() throws IOException {
        int n = entries;
        return n == 0 ? -1L : baseOffset + load().relativeOffsets[n - 1];
    }

    /** Appends (timestamp, offset) if the timestamp is larger than the last entry's. */
    public synchronized void maybeAppend(long timestamp, long offset) throws IOException {
        int n = entries;
        Loaded e = load();
        if (n > 0 && timestamp <= e.timestamps[n - 1]) {
            return;
        }
        if (n >= maxEntries) {
            throw new IllegalStateException("time index is full (" + maxEntries + " entries): " + file);
        }
        int rel = Math.toIntExact(offset - baseOffset);
        if (n == e.timestamps.length) {
            int capacity = Math.min(maxEntries, n * 2);
            e = new Loaded(Arrays.copyOf(e.timestamps, capacity), Arrays.copyOf(e.relativeOffsets, capacity));
        }
        e.timestamps[n] = timestamp;
        e.relativeOffsets[n] = rel;
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
            buf.putLong(e.timestamps[i]).putInt(e.relativeOffsets[i]);
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
     * The offset to start searching from for the first record with timestamp &gt;= target: the
     * offset of the largest entry whose timestamp is below the target, or the segment base offset.
     */
    public long lookupOffsetBefore(long targetTimestamp) throws IOException {
        int n = entries;
        Loaded e = load();
        long[] tss = e.timestamps;
        int[] rels = e.relativeOffsets;
        n = Math.min(n, tss.length);
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (tss[mid] < targetTimestamp) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? baseOffset : baseOffset + rels[found];
    }

    /** Removes every entry whose offset is at or after {@code offset}. */
    public synchronized void truncateToOffset(long offset) throws IOException {
        int n = entries;
        int[] relativeOffsets = load().relativeOffsets;
        while (n > 0 && baseOffset + relativeOffsets[n - 1] >= offset) {
            n--;
        }
        entries = n;
        persisted = Math.min(persisted, n);
        long length = (long) persisted * ENTRY_BYTES;
        withChannel(channel -> channel.truncate(length));
        writePending();
    }

    /** Drops the in-memory entries after writing those still pending (see {@link OffsetIndex#unload()}). */
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
        long[] tss = new long[Math.max(16, n)];
        int[] rels = new int[tss.length];
        if (n > 0 && !closed) {
            ByteBuffer buf = IndexFile.read(file, n * ENTRY_BYTES);
            for (int i = 0; i < n; i++) {
                tss[i] = buf.getLong();
                rels[i] = buf.getInt();
            }
        }
        // a closed index (its segment deleted meanwhile) answers from zeros: the segment's base offset
        loaded = new Loaded(tss, rels);
        return loaded;
    }

    /** Two parallel arrays, valid up to {@link #entries}. */
    private record Loaded(long[] timestamps, int[] relativeOffsets) {
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
