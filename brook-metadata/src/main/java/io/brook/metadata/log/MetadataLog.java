package io.brook.metadata.log;

import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecordSerde;
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
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * The local, durable metadata log of a single-node quorum. Each append is one atomic frame holding
 * the records of one controller decision, fsynced before the append returns.
 *
 * <pre>
 * frame:
 *   0: int32 payloadLength
 *   4: int32 crc32c(payload)
 *   8: payload = int32 recordCount, then per record: int32 length, bytes (MetadataRecordSerde)
 * </pre>
 *
 * <p>Damage found when the log is opened: the first frame that is incomplete, has an impossible length
 * (below 4, above {@link #MAX_FRAME_BYTES}, or past the end of the file) or fails its checksum is the
 * <em>damaged frame</em>. From the byte after its start to the end of the file, every byte position
 * is then tried as the start of a frame. A position holding a <em>valid frame</em> means the damage is
 * in the middle of committed metadata. A valid frame has a plausible length, lies wholly inside the
 * file, is framed as the decoder expects (a record count, then that many length-prefixed records filling
 * the payload exactly) and has a checksum that verifies; its records need not decode. (The framing is
 * checked first, as it is cheap and fails fast on bytes that are not a frame; it keeps the scan of a large
 * torn frame short.)
 * <ul>
 *   <li>no valid frame follows (a frame cut by a crash, or zeros or garbage after the last frame): the
 *       tail from the damaged frame on is truncated, with a WARN;</li>
 *   <li>a valid frame follows: opening fails with an {@link IOException} naming the file, the byte
 *       position of the damaged frame and of the valid frame after it, and nothing is truncated, so an
 *       operator restores the file instead of Brook dropping committed metadata (newer topics, producer
 *       id blocks).</li>
 * </ul>
 * A frame that passes its checksum but does not decode was written so (a bug or a newer format, not a
 * crash): opening fails with an {@link IOException} naming its position, and nothing is truncated.
 *
 * <p>A failed append (an I/O error while writing or syncing its frame) truncates the file back to the
 * start of that frame, so a partial frame never stays in front of later appends. If that truncation fails
 * too, the log is failed: every further append throws, and the next open sorts out the tail by the rules
 * above.
 *
 * <p>This is the seam where the Raft quorum replaces local storage: callers only append batches
 * and replay them.
 *
 * <p>Thread-safety: not thread-safe; owned by the controller thread.
 */
public final class MetadataLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataLog.class);
    /** Upper bound of one frame, so a corrupt length cannot make recovery allocate gigabytes. */
    public static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    public static final String FILE_NAME = "metadata.log";
    /** Bytes read at a time when scanning the file after a damaged frame. */
    private static final int SCAN_WINDOW_BYTES = 1024 * 1024;

    private final File file;
    private final FileChannel channel;
    private long nextOffset;
    /** Why the log refuses appends: an append failed and its partial frame could not be removed; or null. */
    private IOException failure;

    private MetadataLog(File file, FileChannel channel, long nextOffset) {
        this.file = file;
        this.channel = channel;
        this.nextOffset = nextOffset;
    }

    /**
     * Opens the log in {@code dir}, replaying every complete frame into {@code onBatch}.
     *
     * @throws IOException if a frame passing its checksum does not decode, if a damaged frame has a valid
     *                     frame after it, or on an I/O error
     */
    public static MetadataLog open(File dir, BiConsumer<List<MetadataRecord>, Long> onBatch) throws IOException {
        return open(dir, onBatch, UnaryOperator.identity());
    }

    /** {@link #open(File, BiConsumer)} using {@code wrap} of the file's channel: a seam to inject I/O errors. */
    static MetadataLog open(File dir, BiConsumer<List<MetadataRecord>, Long> onBatch,
                            UnaryOperator<FileChannel> wrap) throws IOException {
        Files.createDirectories(dir.toPath());
        File file = new File(dir, FILE_NAME);
        FileChannel channel = wrap.apply(FileChannel.open(file.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        try {
            long position = 0;
            long offset = 0;
            long size = channel.size();
            ByteBuffer payload;
            while ((payload = readFrame(channel, position, size)) != null) {
                List<MetadataRecord> records;
                try {
                    records = decodeFrame(payload);
                } catch (IOException e) {
                    throw new IOException(file + ": the frame at byte " + position + " passes its checksum but does "
                            + "not decode: " + e.getMessage(), e);
                }
                offset += records.size();
                onBatch.accept(records, offset - 1);
                position += 8 + payload.capacity();
            }
            if (position < size) {
                long later = findValidFrame(channel, position + 1, size);
                if (later >= 0) {
                    throw new IOException(file + ": the frame at byte " + position + " is damaged (incomplete, "
                            + "impossible length or failed checksum) but a valid frame follows at byte " + later
                            + ": refusing to open rather than drop the committed metadata after the damage; "
                            + "restore the file from a backup");
                }
                log.warn("Truncating {} bytes of a torn or corrupt tail from the metadata log {} at byte {}",
                        size - position, file, position);
                channel.truncate(position);
                channel.force(true);
            }
            channel.position(position);
            return new MetadataLog(file, channel, offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Reads the frame at {@code position} of a file of {@code size} bytes.
     *
     * @return its payload (position 0, capacity = the frame's length), or null if no frame with a
     * plausible length and a verifying checksum starts there
     */
    private static ByteBuffer readFrame(FileChannel channel, long position, long size) throws IOException {
        if (position + 8 > size) {
            return null;
        }
        ByteBuffer header = ByteBuffer.allocate(8);
        readFully(channel, header, position);
        int length = header.getInt(0);
        int crc = header.getInt(4);
        if (length < 4 || length > MAX_FRAME_BYTES || position + 8 + length > size) {
            return null;
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(channel, payload, position + 8);
        CRC32C check = new CRC32C();
        check.update(payload.array(), 0, length);
        return (int) check.getValue() == crc ? payload.flip() : null;
    }

    /** The first position in [from, size) where a valid frame starts (see the class comment), or -1. */
    private static long findValidFrame(FileChannel channel, long from, long size) throws IOException {
        Window scan = new Window(channel, size, SCAN_WINDOW_BYTES);
        Window walk = new Window(channel, size, 8192);
        for (long position = from; position + 12 <= size; position++) { // a frame takes 12 bytes or more
            int length = scan.intAt(position);
            if (length >= 4 && length <= MAX_FRAME_BYTES && position + 8 + length <= size
                    && recordsFillPayload(walk, position + 8, length) && readFrame(channel, position, size) != null) {
                return position;
            }
        }
        return -1;
    }

    /**
     * Whether the {@code length} bytes at {@code payload} are framed as {@link #decodeFrame} expects: a
     * record count, then that many length-prefixed records filling the payload exactly. Cheap: it reads
     * only the count and the record lengths, and stops at the first that does not fit.
     */
    private static boolean recordsFillPayload(Window window, long payload, int length) throws IOException {
        int count = window.intAt(payload);
        if (count < 0 || count > (length - 4) / 6) {
            return false;
        }
        long end = payload + length;
        long position = payload + 4;
        for (int i = 0; i < count; i++) {
            int recordLength = position + 4 <= end ? window.intAt(position) : -1;
            if (recordLength < 0 || recordLength > end - position - 4) {
                return false;
            }
            position += 4 + recordLength;
        }
        return position == end;
    }

    /** Reads ints of the file through a buffer, refilled from the position asked for when it misses. */
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
            if (position < start || position + 4 > start + buffer.limit()) {
                start = position;
                buffer.clear().limit((int) Math.min(buffer.capacity(), size - position));
                readFully(channel, buffer, position);
            }
            return buffer.getInt((int) (position - start));
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
    }

    /**
     * Decodes a frame payload that must be filled exactly by its records.
     *
     * @throws IOException if it is not such a payload; no other exception for any input
     */
    static List<MetadataRecord> decodeFrame(ByteBuffer payload) throws IOException {
        if (payload.remaining() < 4) {
            throw new IOException("frame of " + payload.remaining() + " bytes has no record count");
        }
        int count = payload.getInt();
        // every record takes at least 4 bytes of length and 2 of header
        if (count < 0 || count > payload.remaining() / 6) {
            throw new IOException("bad record count " + count + " for " + payload.remaining() + " bytes");
        }
        List<MetadataRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = payload.remaining() < 4 ? -1 : payload.getInt();
            if (length < 0 || length > payload.remaining()) {
                throw new IOException("record " + i + " of " + count + " has a bad length " + length + " with "
                        + payload.remaining() + " bytes left");
            }
            byte[] bytes = new byte[length];
            payload.get(bytes);
            records.add(MetadataRecordSerde.deserialize(bytes));
        }
        if (payload.hasRemaining()) {
            throw new IOException(payload.remaining() + " trailing bytes after " + count + " records");
        }
        return records;
    }

    /**
     * Appends the records as one frame and fsyncs; returns the offset of the last record. If this fails,
     * the frame is removed from the file again, or, if that fails too, the log refuses all further appends.
     */
    public long append(List<MetadataRecord> records) throws IOException {
        if (failure != null) {
            throw new IOException(file + ": the metadata log refuses appends since an append failed and its partial "
                    + "frame could not be removed; restart to recover", failure);
        }
        List<byte[]> encoded = new ArrayList<>(records.size());
        int length = 4;
        for (MetadataRecord record : records) {
            byte[] bytes = MetadataRecordSerde.serialize(record);
            encoded.add(bytes);
            length += 4 + bytes.length;
        }
        if (length > MAX_FRAME_BYTES) {
            throw new IOException("metadata batch of " + length + " bytes exceeds " + MAX_FRAME_BYTES);
        }
        ByteBuffer frame = ByteBuffer.allocate(8 + length);
        frame.putInt(length).putInt(0).putInt(records.size());
        for (byte[] bytes : encoded) {
            frame.putInt(bytes.length).put(bytes);
        }
        CRC32C crc = new CRC32C();
        crc.update(frame.array(), 8, length);
        frame.putInt(4, (int) crc.getValue());
        frame.flip();
        long start = channel.position();
        try {
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
            channel.force(false);
        } catch (IOException e) {
            try {
                channel.truncate(start); // also moves the position back to start
                channel.force(true);
            } catch (IOException truncateFailure) {
                e.addSuppressed(truncateFailure);
                failure = e;
                log.error("Could not remove the partial frame at byte {} of the metadata log {} after a failed "
                        + "append; refusing further appends", start, file, truncateFailure);
            }
            throw e;
        }
        nextOffset += records.size();
        return nextOffset - 1;
    }

    /** Offset the next appended record will get. */
    public long nextOffset() {
        return nextOffset;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
