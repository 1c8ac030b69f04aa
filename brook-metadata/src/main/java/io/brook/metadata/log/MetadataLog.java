package io.brook.metadata.log;

import io.brook.metadata.log.MetadataBatches.Batch;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The local, durable metadata log, in Kafka's format: the directory {@code __cluster_metadata-0} holds
 * segments {@code <20-digit base offset>.log} of record batches v2 ({@link MetadataBatches}), one batch
 * per controller decision, fsynced before the append returns, so Kafka's
 * {@code kafka-dump-log --cluster-metadata-decoder} reads it. A new segment starts when a snapshot is
 * taken ({@link #roll}); segments wholly below the oldest kept snapshot are deleted
 * ({@link #deleteSegmentsBelow}).
 *
 * <p>Damage found when the log is opened (only the last segment can hold an append cut by a crash;
 * earlier ones were synced before they were rolled): the first batch of the last segment that is
 * incomplete, has an impossible length (below Kafka's batch header, above
 * {@link MetadataBatches#MAX_BATCH_BYTES}, or past the end of the file), is not magic 2, fails its
 * checksum or does not carry the next offset is the <em>damaged batch</em>. From the byte after its
 * start to the end of the file, every byte position is then tried as the start of a batch. A position
 * holding an <em>intact batch</em> (plausible length, inside the file, magic 2, checksum verifies; its
 * records need not decode) means the damage is in the middle of committed metadata.
 * <ul>
 *   <li>no intact batch follows (a batch cut by a crash, or zeros or garbage after the last batch): the
 *       tail from the damaged batch on is truncated, with a WARN;</li>
 *   <li>an intact batch follows: opening fails with an {@link IOException} naming the file, the byte
 *       position of the damaged batch and of the intact batch after it, and nothing is truncated, so an
 *       operator restores the file instead of Brook dropping committed metadata.</li>
 * </ul>
 * A batch that passes its checksum but does not decode, damage in an earlier segment, or segments whose
 * offsets do not follow each other fail {@link #replay} with an {@link IOException} naming the file and
 * position; nothing is truncated.
 *
 * <p>A failed append (an I/O error while writing or syncing its batch) truncates the segment back to the
 * start of that batch, so a partial batch never stays in front of later appends. If that truncation fails
 * too, the log is failed: every further append throws, and the next open sorts out the tail by the rules
 * above.
 *
 * <p>The Raft quorum carries exactly these batches: {@link #append(ByteBuffer)} appends one that was
 * encoded elsewhere.
 *
 * <p>Thread-safety: not thread-safe; owned by the controller thread.
 */
public final class MetadataLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataLog.class);
    public static final String SEGMENT_SUFFIX = ".log";
    private static final Pattern SEGMENT_NAME = Pattern.compile("\\d{20}\\.log");
    /** Bytes read at a time when scanning the file after a damaged batch. */
    private static final int SCAN_WINDOW_BYTES = 1024 * 1024;

    /** Called with each batch {@link #replay} reads. */
    @FunctionalInterface
    public interface BatchConsumer {
        void accept(Batch batch) throws IOException;
    }

    private final File dir;
    private final UnaryOperator<FileChannel> wrap;
    /** Every segment by base offset; the last is the active one. */
    private final TreeMap<Long, File> segments;
    private FileChannel active;
    private long nextOffset;
    /** Bytes of batches appended since the log was opened. */
    private long appendedBytes;
    /** Why the log refuses appends: an append failed and its partial batch could not be removed; or null. */
    private IOException failure;

    private MetadataLog(File dir, UnaryOperator<FileChannel> wrap, TreeMap<Long, File> segments, FileChannel active,
                        long nextOffset) {
        this.dir = dir;
        this.wrap = wrap;
        this.segments = segments;
        this.active = active;
        this.nextOffset = nextOffset;
    }

    /** The file name of the segment starting at {@code baseOffset}. */
    public static String segmentName(long baseOffset) {
        return String.format("%020d%s", baseOffset, SEGMENT_SUFFIX);
    }

    /**
     * Opens the log in {@code dir} (created if missing, with an empty first segment at offset 0) and
     * recovers the tail of its last segment. Nothing is replayed: see {@link #replay}.
     *
     * @throws IOException if a damaged batch has an intact batch after it, or on an I/O error
     */
    public static MetadataLog open(File dir) throws IOException {
        return open(dir, UnaryOperator.identity());
    }

    /** {@link #open(File)} using {@code wrap} of the active segment's channel: a seam to inject I/O errors. */
    static MetadataLog open(File dir, UnaryOperator<FileChannel> wrap) throws IOException {
        Files.createDirectories(dir.toPath());
        TreeMap<Long, File> segments = new TreeMap<>();
        File[] files = dir.listFiles();
        if (files == null) {
            throw new IOException("cannot list the metadata log directory " + dir);
        }
        for (File f : files) {
            if (SEGMENT_NAME.matcher(f.getName()).matches()) {
                segments.put(Long.parseLong(f.getName().substring(0, 20)), f);
            }
        }
        if (segments.isEmpty()) {
            segments.put(0L, new File(dir, segmentName(0)));
        }
        Map.Entry<Long, File> last = segments.lastEntry();
        FileChannel channel = openChannel(last.getValue(), wrap);
        try {
            long end = recover(channel, last.getValue(), last.getKey());
            return new MetadataLog(dir, wrap, segments, channel, end);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static FileChannel openChannel(File file, UnaryOperator<FileChannel> wrap) throws IOException {
        return wrap.apply(FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE));
    }

    /** Checks the batches of the active segment, truncates a torn tail; returns the next offset. */
    private static long recover(FileChannel channel, File file, long baseOffset) throws IOException {
        long size = channel.size();
        long position = 0;
        long offset = baseOffset;
        ByteBuffer header = ByteBuffer.allocate(MetadataBatches.HEADER_BYTES);
        while (true) {
            ByteBuffer batch = readIntactBatch(channel, position, size, header);
            if (batch == null || batch.getLong(0) != offset) {
                break;
            }
            offset = batch.getLong(0) + batch.getInt(23) + 1; // base offset + last offset delta + 1
            position += batch.capacity();
        }
        if (position < size) {
            long later = findIntactBatch(channel, position + 1, size);
            if (later >= 0) {
                throw new IOException(file + ": the batch at byte " + position + " is damaged (incomplete, "
                        + "impossible length, failed checksum or wrong offset) but an intact batch follows at byte "
                        + later + ": refusing to open rather than drop the committed metadata after the damage; "
                        + "restore the file from a backup");
            }
            log.warn("Truncating {} bytes of a torn or corrupt tail from the metadata log {} at byte {}",
                    size - position, file, position);
            channel.truncate(position);
            channel.force(true);
        }
        channel.position(position);
        return offset;
    }

    /**
     * Reads the batch at {@code position} of a file of {@code size} bytes.
     *
     * @return the whole batch (position 0), or null if no intact batch starts there
     */
    private static ByteBuffer readIntactBatch(FileChannel channel, long position, long size, ByteBuffer header)
            throws IOException {
        if (position + MetadataBatches.HEADER_BYTES > size) {
            return null;
        }
        header.clear();
        readFully(channel, header, position);
        header.flip();
        int length = header.getInt(8);
        if (length < MetadataBatches.HEADER_BYTES - MetadataBatches.LOG_OVERHEAD
                || length > MetadataBatches.MAX_BATCH_BYTES - MetadataBatches.LOG_OVERHEAD
                || position + MetadataBatches.LOG_OVERHEAD + length > size) {
            return null;
        }
        ByteBuffer batch = ByteBuffer.allocate(MetadataBatches.LOG_OVERHEAD + length);
        readFully(channel, batch, position);
        batch.flip();
        return MetadataBatches.isIntactBatch(batch) ? batch : null;
    }

    /** The first position in [from, size) where an intact batch starts (see the class comment), or -1. */
    private static long findIntactBatch(FileChannel channel, long from, long size) throws IOException {
        Window scan = new Window(channel, size, SCAN_WINDOW_BYTES);
        ByteBuffer header = ByteBuffer.allocate(MetadataBatches.HEADER_BYTES);
        for (long position = from; position + MetadataBatches.HEADER_BYTES <= size; position++) {
            int length = scan.intAt(position + 8);
            if (length >= MetadataBatches.HEADER_BYTES - MetadataBatches.LOG_OVERHEAD
                    && length <= MetadataBatches.MAX_BATCH_BYTES - MetadataBatches.LOG_OVERHEAD
                    && position + MetadataBatches.LOG_OVERHEAD + length <= size
                    && scan.byteAt(position + 16) == 2
                    && readIntactBatch(channel, position, size, header) != null) {
                return position;
            }
        }
        return -1;
    }

    /** Reads the file through a buffer, refilled from the position asked for when it misses. */
    private static final class Window {
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer buffer;
        private long start;

        Window(FileChannel channel, long size, int capacity) {
            this.channel = channel;
            this.size = size;
            this.buffer = ByteBuffer.allocate(capacity).limit(0);
        }

        /** The int at {@code position}, which must be at least 4 bytes before the end of the file. */
        int intAt(long position) throws IOException {
            fill(position, 4);
            return buffer.getInt((int) (position - start));
        }

        byte byteAt(long position) throws IOException {
            fill(position, 1);
            return buffer.get((int) (position - start));
        }

        private void fill(long position, int bytes) throws IOException {
            if (position < start || position + bytes > start + buffer.limit()) {
                start = position;
                buffer.clear().limit((int) Math.min(buffer.capacity(), size - position));
                readFully(channel, buffer, position);
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position() - start) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position() - start));
            }
        }
    }

    /**
     * Reads every batch holding offsets from {@code fromOffset} on, in order, into {@code onBatch}.
     * Segments wholly below {@code fromOffset} are not read.
     *
     * @throws IOException if a batch does not decode, offsets do not follow each other, a batch straddles
     *                     {@code fromOffset}, the log does not reach back to {@code fromOffset}, or on an
     *                     I/O error
     */
    public void replay(long fromOffset, BatchConsumer onBatch) throws IOException {
        if (fromOffset < startOffset() || fromOffset > nextOffset) {
            throw new IOException(dir + ": the metadata log holds offsets " + startOffset() + " to " + (nextOffset - 1)
                    + ", cannot replay from " + fromOffset);
        }
        List<Map.Entry<Long, File>> entries = new ArrayList<>(segments.entrySet());
        long expected = -1;
        for (int i = 0; i < entries.size(); i++) {
            boolean isActive = i == entries.size() - 1;
            long base = entries.get(i).getKey();
            if (!isActive && entries.get(i + 1).getKey() <= fromOffset) {
                continue;
            }
            if (expected >= 0 && base != expected) {
                throw new IOException(entries.get(i).getValue() + ": the segment starts at offset " + base
                        + " but the one before it ends before " + expected);
            }
            expected = replaySegment(entries.get(i).getValue(), base, isActive ? nextOffset : -1, fromOffset, onBatch);
        }
    }

    /** Replays one segment; returns the offset after its last batch. */
    private long replaySegment(File file, long base, long end, long fromOffset, BatchConsumer onBatch)
            throws IOException {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            long size = channel.size();
            long position = 0;
            long offset = base;
            ByteBuffer header = ByteBuffer.allocate(MetadataBatches.LOG_OVERHEAD);
            while (position < size && (end < 0 || offset < end)) {
                if (position + MetadataBatches.LOG_OVERHEAD > size) {
                    throw new IOException(file + ": a batch is cut short at byte " + position);
                }
                header.clear();
                readFully(channel, header, position);
                int length = header.getInt(8);
                if (length < 0 || length > MetadataBatches.MAX_BATCH_BYTES
                        || position + MetadataBatches.LOG_OVERHEAD + length > size) {
                    throw new IOException(file + ": the batch at byte " + position + " has an impossible length "
                            + length);
                }
                ByteBuffer bytes = ByteBuffer.allocate(MetadataBatches.LOG_OVERHEAD + length);
                readFully(channel, bytes, position);
                bytes.flip();
                Batch batch;
                try {
                    batch = MetadataBatches.decode(bytes);
                } catch (IOException e) {
                    throw new IOException(file + ": the batch at byte " + position + " does not decode: "
                            + e.getMessage(), e);
                }
                if (batch.baseOffset() != offset) {
                    throw new IOException(file + ": the batch at byte " + position + " starts at offset "
                            + batch.baseOffset() + " where " + offset + " was due");
                }
                if (batch.baseOffset() < fromOffset && batch.lastOffset() >= fromOffset) {
                    throw new IOException(file + ": the batch at byte " + position + " holds offsets "
                            + batch.baseOffset() + " to " + batch.lastOffset() + ", across " + fromOffset);
                }
                if (batch.baseOffset() >= fromOffset) {
                    onBatch.accept(batch);
                }
                offset = batch.lastOffset() + 1;
                position += bytes.capacity();
            }
            return offset;
        }
    }

    /**
     * Appends the records as one batch of epoch {@code epoch} and fsyncs; returns the offset of the last
     * record. If this fails, the batch is removed from the file again, or, if that fails too, the log
     * refuses all further appends.
     */
    public long append(List<ApiMessageAndVersion> records, int epoch, long timestampMs) throws IOException {
        ByteBuffer batch;
        try {
            batch = MetadataBatches.encode(records, nextOffset, epoch, timestampMs);
        } catch (RuntimeException e) { // too large, or a field Kafka's schema cannot hold
            throw new IOException(e.getMessage(), e);
        }
        return write(batch, nextOffset + records.size());
    }

    /**
     * Appends a batch encoded elsewhere (by {@link MetadataBatches#encode}, carried by the quorum); its
     * base offset must be {@link #nextOffset()}. Returns the offset of its last record.
     *
     * @throws IOException if it is not a valid metadata batch at the next offset, or as {@link #append(List, int, long)}
     */
    public long append(ByteBuffer batch) throws IOException {
        Batch decoded = MetadataBatches.decode(batch);
        if (decoded.baseOffset() != nextOffset) {
            throw new IOException("a batch at offset " + decoded.baseOffset() + " cannot follow offset "
                    + (nextOffset - 1));
        }
        return write(batch.duplicate(), decoded.lastOffset() + 1);
    }

    private long write(ByteBuffer batch, long newNextOffset) throws IOException {
        if (failure != null) {
            throw new IOException(segments.lastEntry().getValue() + ": the metadata log refuses appends since an "
                    + "append failed and its partial batch could not be removed; restart to recover", failure);
        }
        long start = active.position();
        int bytes = batch.remaining();
        try {
            while (batch.hasRemaining()) {
                active.write(batch);
            }
            active.force(false);
        } catch (IOException e) {
            try {
                active.truncate(start); // also moves the position back to start
                active.force(true);
            } catch (IOException truncateFailure) {
                e.addSuppressed(truncateFailure);
                failure = e;
                log.error("Could not remove the partial batch at byte {} of the metadata log {} after a failed "
                        + "append; refusing further appends", start, segments.lastEntry().getValue(), truncateFailure);
            }
            throw e;
        }
        nextOffset = newNextOffset;
        appendedBytes += bytes;
        return nextOffset - 1;
    }

    /** Starts a new segment at {@link #nextOffset()} unless the active one is empty. */
    public void roll() throws IOException {
        if (active.size() == 0) {
            return;
        }
        File file = new File(dir, segmentName(nextOffset));
        FileChannel next = openChannel(file, wrap);
        active.force(true);
        active.close();
        active = next;
        segments.put(nextOffset, file);
        syncDirectory();
    }

    /**
     * Deletes the segments all of whose offsets are below {@code offset} (never the active one);
     * returns how many.
     */
    public int deleteSegmentsBelow(long offset) throws IOException {
        int deleted = 0;
        while (segments.size() > 1) {
            Map.Entry<Long, File> first = segments.firstEntry();
            long nextBase = segments.higherKey(first.getKey());
            if (nextBase > offset) {
                break;
            }
            Files.deleteIfExists(first.getValue().toPath());
            segments.remove(first.getKey());
            deleted++;
        }
        return deleted;
    }

    /**
     * Drops every segment and starts empty at {@code offset}: for a snapshot that reaches past the end of
     * the log (its tail was lost), so appends continue after the snapshot.
     */
    public void restartAt(long offset) throws IOException {
        active.close();
        for (File f : segments.values()) {
            Files.deleteIfExists(f.toPath());
        }
        segments.clear();
        File file = new File(dir, segmentName(offset));
        active = openChannel(file, wrap);
        segments.put(offset, file);
        nextOffset = offset;
        failure = null;
        syncDirectory();
    }

    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir.toPath(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("Could not sync the directory {}", dir, e); // not supported on every platform
        }
    }

    /** Offset of the first record the log holds (or would hold: {@link #nextOffset()} when empty). */
    public long startOffset() {
        return segments.firstKey();
    }

    /** Offset the next appended record will get. */
    public long nextOffset() {
        return nextOffset;
    }

    /** Bytes of batches appended since the log was opened. */
    public long appendedBytes() {
        return appendedBytes;
    }

    /** The segment files, oldest first. */
    public List<File> segmentFiles() {
        return List.copyOf(segments.values());
    }

    public File directory() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        active.close();
    }
}
