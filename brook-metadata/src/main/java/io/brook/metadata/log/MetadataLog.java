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
 * A torn or corrupt tail (a frame cut by a crash) is truncated when the log is opened.
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

    /** Opens the log in {@code dir}, replaying every complete frame into {@code onBatch}. */
    public static MetadataLog open(File dir, BiConsumer<List<MetadataRecord>, Long> onBatch) throws IOException {
        Files.createDirectories(dir.toPath());
        FileChannel channel = FileChannel.open(new File(dir, FILE_NAME).toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
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
            List<MetadataRecord> records = decode(payload);
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
    }

    private static List<MetadataRecord> decode(ByteBuffer payload) throws IOException {
        int count = payload.getInt();
        List<MetadataRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[payload.getInt()];
            payload.get(bytes);
            records.add(MetadataRecordSerde.deserialize(bytes));
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

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
