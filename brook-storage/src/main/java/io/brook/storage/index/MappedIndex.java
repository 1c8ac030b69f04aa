package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.StampedLock;

/**
 * A segment index whose entries live in a memory-mapped file, as Kafka's do: no copy of them on the
 * Java heap and no per-entry object; lookups binary-search the mapping. The file layout is the
 * format's own (fixed-size entries, nothing else), so Kafka's tools read it.
 *
 * <p>Life of the file and the mapping:
 * <ul>
 *   <li>No file until the first entry (creating a segment, and so a partition, creates only its
 *       {@code .log}), nor mapping until a lookup or an append needs one.</li>
 *   <li>The first append maps the file read-write, preallocated (sparse) to
 *       {@code maxEntries * entryBytes}; entries are written straight into the mapping, so they are
 *       in the page cache at once (a process crash loses none; {@link #flush} fsyncs).</li>
 *   <li>{@link #trimToValidSize} (the segment rolled or is closed) cuts the file to its entries and
 *       unmaps it: an inactive segment's index is exactly {@code entries * entryBytes} bytes, and a
 *       later lookup maps it read-only. An append to a trimmed index grows it again.</li>
 *   <li>{@link #unload} (the segment is idle) unmaps without changing the file.</li>
 * </ul>
 * After a crash the active segment's file may be preallocated, its tail zeros: the segment is then
 * recovered and its index rebuilt from the log, and a trusted index with such a tail fails its
 * checks (entries must strictly increase) and is rebuilt as well.
 *
 * <p>Thread-safety and memory visibility: one appender; every change (append, truncation, trim,
 * unload, rename, close) is synchronized on this object. Lookups take no monitor but a read stamp of
 * {@link #remapLock} for as long as they touch the mapping; anything that unmaps, or replaces, the
 * mapping does so holding both the monitor and the write stamp, so a buffer is unmapped only when no
 * lookup can still touch it (touching an unmapped buffer would crash the JVM), and the file is cut
 * only after its mapping is gone (touching a mapped page past the end of the file would, too). An
 * append writes its entry into the mapping with plain stores, then publishes the new count with a
 * volatile write of {@link #entries}; a lookup reads the count (volatile) before reading entries, so
 * it sees every entry below the count it read (the stores happen-before the volatile write, which
 * happens-before the read that sees it). All buffer accesses are absolute, so no buffer state
 * (position, limit) is shared. A truncation lowers the count under the write stamp.
 */
abstract class MappedIndex implements AutoCloseable {
    /**
     * Lookups first decide between the last {@value} bytes of entries and the rest, then binary-search
     * one of them (Kafka's "warm section"): the lookups of readers near the end and of appends touch
     * only the same few pages, which so stay in memory.
     */
    static final int WARM_BYTES = 8192;

    /** The key of an entry, read from a mapping at an entry number (the keys of an index do not decrease). */
    interface Key {
        long at(ByteBuffer buf, int slot);
    }

    protected final long baseOffset;
    private final int entryBytes;
    private final int maxEntries;
    private final int warmEntries;
    /** Read stamps: lookups touching the mapping; write stamp: mapping, remapping, unmapping (with the monitor). */
    private final StampedLock remapLock = new StampedLock();
    /** Under this object's monitor. */
    private File file;
    /** Set by close or delete: nothing is mapped or written any more (the file may be gone). */
    private volatile boolean closed;
    /** The mapping, null while unmapped; written holding the monitor and the write stamp. */
    private MappedByteBuffer mapping;
    /** Entries {@link #mapping} has room for. Same guard. */
    private int mappedEntries;
    /** Whether {@link #mapping} is read-write. Same guard. */
    private boolean mappedWritable;
    /** Whether the file is longer than its entries (preallocated for appends). Under the monitor. */
    private boolean preallocated;
    private volatile int entries;

    MappedIndex(File file, long baseOffset, int entryBytes, int maxEntries, int entries) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entryBytes = entryBytes;
        this.maxEntries = maxEntries;
        this.warmEntries = Math.max(1, WARM_BYTES / entryBytes);
        this.entries = entries;
    }

    public final int entries() {
        return entries;
    }

    public final boolean isFull() {
        return entries >= maxEntries;
    }

    public final int maxEntries() {
        return maxEntries;
    }

    public final synchronized File file() {
        return file;
    }

    /** Whether the entries are mapped now (for tests and the idle sweep's accounting). */
    public final synchronized boolean isMapped() {
        return mapping != null;
    }

    // ------------------------------------------------------------------ lookups

    /**
     * Takes a read stamp and maps the entries if they are not (unless the index is closed or empty);
     * then {@link #mapped()} is the mapping to read, or null. Always pair with {@link #endRead}.
     */
    protected final long beginRead() throws IOException {
        long stamp = remapLock.readLock();
        if (mapping != null || closed || entries == 0) {
            return stamp;
        }
        remapLock.unlockRead(stamp);
        synchronized (this) {
            stamp = remapLock.writeLock();
            try {
                if (mapping == null && !closed && entries > 0) {
                    mapLocked(false);
                }
            } catch (IOException | RuntimeException e) {
                remapLock.unlockWrite(stamp);
                throw e;
            }
            return remapLock.tryConvertToReadLock(stamp); // a downgrade: always succeeds
        }
    }

    /** The mapping, between {@link #beginRead} and {@link #endRead}; null for a closed or empty index. */
    protected final ByteBuffer mapped() {
        return mapping;
    }

    /** Entries readable from {@link #mapped()}: the published count, within what is mapped. */
    protected final int readableEntries() {
        return Math.min(entries, mappedEntries);
    }

    protected final void endRead(long stamp) {
        remapLock.unlockRead(stamp);
    }

    /**
     * The largest entry number in {@code [0, n)} whose key is at most {@code target}, or -1 when
     * there is none. Decides between the warm section (the last {@link #WARM_BYTES}) and the rest
     * first, then binary-searches that part.
     */
    protected final int floorSlot(ByteBuffer buf, int n, long target, Key key) {
        if (n <= 0 || key.at(buf, 0) > target) {
            return -1;
        }
        int firstWarm = Math.max(0, n - warmEntries);
        int lo;
        int hi;
        if (key.at(buf, firstWarm) <= target) {
            lo = firstWarm;
            hi = n - 1;
        } else {
            lo = 0;
            hi = firstWarm - 1;
        }
        // key(lo) <= target throughout
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (key.at(buf, mid) <= target) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    // ------------------------------------------------------------------ changes (under the monitor)

    /**
     * The mapping to write entry number {@code slot} into: mapped read-write and preallocated first
     * if it is not (the first append, or an append after a trim or an unload). Caller holds the monitor.
     */
    protected final ByteBuffer writableMapping(int slot) throws IOException {
        if (closed) {
            throw new IllegalStateException("index is closed: " + file);
        }
        if (mapping == null || !mappedWritable || slot >= mappedEntries) {
            long stamp = remapLock.writeLock();
            try {
                unmapLocked();
                mapLocked(true);
            } finally {
                remapLock.unlockWrite(stamp);
            }
        }
        return mapping;
    }

    /**
     * Appends one entry with a positional write instead of through a mapping, when the index is
     * neither mapped nor preallocated: for the last entry of a segment that stops being active (the
     * time index's max timestamp at a roll or a clean close), which would otherwise preallocate and
     * map the file only to trim and unmap it at once (10,000 times at the shutdown of 10,000 idle
     * partitions). Returns false, writing nothing, when the index is mapped or preallocated: the caller
     * then appends through {@link #writableMapping}. Caller holds the monitor and publishes the entry.
     */
    protected final boolean appendWithoutMapping(int slot, ByteBuffer entry) throws IOException {
        if (closed) {
            throw new IllegalStateException("index is closed: " + file);
        }
        if (mapping != null || preallocated) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            long at = (long) slot * entryBytes;
            if (channel.size() > at) {
                channel.truncate(at); // nothing may follow the entries of an exact file
            }
            while (entry.hasRemaining()) {
                channel.write(entry, at + entry.position());
            }
        }
        return true;
    }

    /** Publishes the entry count after an append wrote the entry (see the class comment). Caller holds the monitor. */
    protected final void publishEntries(int n) {
        entries = n;
    }

    /**
     * Keeps only the first {@code n} entries: the file is cut to them and unmapped (the next append
     * grows it again). Caller holds the monitor.
     */
    protected final void truncateToEntries(int n) throws IOException {
        if (n >= entries) {
            return;
        }
        long stamp = remapLock.writeLock();
        try {
            entries = n;
            unmapLocked();
            if (!closed && file.exists()) {
                cut((long) n * entryBytes);
            }
        } finally {
            remapLock.unlockWrite(stamp);
        }
    }

    /** Cuts the file to its entries and unmaps it (the segment is no longer the active one, or closes). */
    public final synchronized void trimToValidSize() throws IOException {
        if (closed) {
            return;
        }
        long stamp = remapLock.writeLock();
        try {
            unmapLocked();
            if (preallocated || (file.exists() && file.length() != (long) entries * entryBytes)) {
                cut((long) entries * entryBytes);
            }
        } finally {
            remapLock.unlockWrite(stamp);
        }
    }

    /** Unmaps the entries of an idle segment; the next lookup or append maps them again. */
    public final synchronized void unload() {
        long stamp = remapLock.writeLock();
        try {
            unmapLocked();
        } finally {
            remapLock.unlockWrite(stamp);
        }
    }

    /** Writes the mapped entries out and fsyncs the file (creating it, empty, if it has no entry yet). */
    public final synchronized void flush() throws IOException {
        if (closed) {
            return;
        }
        if (mapping != null && mappedWritable) {
            mapping.force();
        }
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            channel.force(true); // the length too, which msync does not cover
        }
    }

    /** Renames the file (a mapping stays valid); an index without a file yet only takes the new name. */
    public final synchronized void renameTo(File target) throws IOException {
        if (file.exists()) {
            Files.move(file.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE);
        }
        file = target;
    }

    /** Trims and unmaps the file; later lookups find no entry, later changes are refused or ignored. */
    @Override
    public final synchronized void close() throws IOException {
        if (!closed) {
            trimToValidSize();
            closed = true;
        }
    }

    /** Unmaps and deletes the file (no trim first: it goes anyway). */
    public final synchronized void deleteFile() throws IOException {
        long stamp = remapLock.writeLock();
        try {
            unmapLocked();
            closed = true;
        } finally {
            remapLock.unlockWrite(stamp);
        }
        Files.deleteIfExists(file.toPath());
    }

    // ------------------------------------------------------------------ mapping (monitor and write stamp held)

    /**
     * Maps the file: read-write and preallocated to {@code maxEntries} for appends (or when the file
     * is preallocated already), else read-only, exactly its entries.
     */
    private void mapLocked(boolean forAppends) throws IOException {
        if (forAppends || preallocated) {
            long length = (long) maxEntries * entryBytes;
            try (RandomAccessFile raf = new RandomAccessFile(file, "rw")) {
                if (raf.length() != length) {
                    raf.setLength(length); // sparse: costs no disk space until entries are written
                }
                mapping = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
            }
            mappedEntries = maxEntries;
            mappedWritable = true;
            preallocated = length > (long) entries * entryBytes;
        } else {
            try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
                long length = Math.min(channel.size(), (long) maxEntries * entryBytes) / entryBytes * entryBytes;
                mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, length);
                mappedEntries = (int) (length / entryBytes);
            }
            mappedWritable = false;
        }
    }

    private void unmapLocked() {
        MappedByteBuffer m = mapping;
        if (m != null) {
            mapping = null;
            mappedEntries = 0;
            mappedWritable = false;
            BufferUnmapper.unmap(m);
        }
    }

    /** Cuts (or extends) the file to {@code length}; only while unmapped. */
    private void cut(long length) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file, "rw")) {
            raf.setLength(length);
        }
        preallocated = false;
    }
}
