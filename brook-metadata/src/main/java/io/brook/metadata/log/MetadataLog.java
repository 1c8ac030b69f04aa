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
 * A torn or corrupt tail (a frame cut by a crash) is truncated when the log is opened: the first frame
 * that is incomplete, has an impossible length or fails its checksum ends the log. A frame that passes
 * its checksum but does not decode was written so (a bug or a newer format, not a crash): opening
 * fails with an {@link IOException} naming its position, and nothing is truncated.
 * This is the seam where the Raft quorum replaces local storage: callers only append batches
 * and replay them.
 *
 * <p>Thread-safety: not thread-safe; owned by the controller thread.
 */
public final class MetadataLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataLog.class);
    /** Upper bound of one frame, so a corrupt length cannot make recovery allocate gigabytes. */
    public static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    public static final String FILE_NAME = "metadata.log";

    private final FileChannel channel;
    private long nextOffset;

    private MetadataLog(FileChannel channel, long nextOffset) {
        this.channel = channel;
        this.nextOffset = nextOffset;
    }

    /**
     * Opens the log in {@code dir}, replaying every complete frame into {@code onBatch}.
     *
     * @throws IOException if a frame passing its checksum does not decode, or on an I/O error
     */
    public static MetadataLog open(File dir, BiConsumer<List<MetadataRecord>, Long> onBatch) throws IOException {
        Files.createDirectories(dir.toPath());
        File file = new File(dir, FILE_NAME);
        FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long position = 0;
            long offset = 0;
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate(8);
            while (position + 8 <= size) {
                header.clear();
                channel.read(header, position);
                header.flip();
                int length = header.getInt();
                int crc = header.getInt();
                if (length < 4 || length > MAX_FRAME_BYTES || position + 8 + length > size) {
                    break;
                }
                ByteBuffer payload = ByteBuffer.allocate(length);
                channel.read(payload, position + 8);
                CRC32C check = new CRC32C();
                check.update(payload.array(), 0, length);
                if ((int) check.getValue() != crc) {
                    break;
                }
                payload.flip();
                List<MetadataRecord> records;
                try {
                    records = decodeFrame(payload);
                } catch (IOException e) {
                    throw new IOException(file + ": the frame at byte " + position + " passes its checksum but does "
                            + "not decode: " + e.getMessage(), e);
                }
                offset += records.size();
                onBatch.accept(records, offset - 1);
                position += 8 + length;
            }
            if (position < size) {
                log.warn("Truncating {} bytes of a torn or corrupt tail from the metadata log", size - position);
                channel.truncate(position);
                channel.force(true);
            }
            channel.position(position);
            return new MetadataLog(channel, offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
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

    /** Appends the records as one frame and fsyncs; returns the offset of the last record. */
    public long append(List<MetadataRecord> records) throws IOException {
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
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
        channel.force(false);
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
