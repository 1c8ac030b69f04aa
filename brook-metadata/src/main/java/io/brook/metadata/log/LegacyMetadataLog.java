package io.brook.metadata.log;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads the metadata log of Brook builds before the Kafka-format log ({@code metadata.log} in Brook's own
 * framing and record encoding) and converts it once into a {@link MetadataLog}: every frame becomes one
 * batch of the same records as Kafka's record classes, then the old file is renamed to
 * {@code metadata.log.migrated}.
 *
 * <pre>
 * frame:
 *   0: int32 payloadLength
 *   4: int32 crc32c(payload)
 *   8: payload = int32 recordCount, then per record: int32 length, bytes
 * record: int8 type (1 topic, 2 partition, 3 config, 4 remove topic, 5 producer ids), int8 version 0, then
 *   the fields: strings as a presence byte and modified UTF-8, uuids as two int64, int lists count-prefixed
 * </pre>
 *
 * <p>Damage follows the old log's rules: the complete frames before the first damaged one are converted;
 * if an intact frame (plausible length, records filling the payload, checksum verifies) follows the
 * damage, the migration fails with an {@link IOException} and changes nothing; otherwise the damaged
 * tail is dropped with a WARN, as the old build would have truncated it.
 *
 * <p>Thread-safety: static methods only, run at start-up before the metadata log is opened.
 */
public final class LegacyMetadataLog {
    private static final Logger log = LoggerFactory.getLogger(LegacyMetadataLog.class);
    /** Upper bound of one frame, so a corrupt length cannot make recovery allocate gigabytes. */
    public static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    public static final String FILE_NAME = "metadata.log";
    public static final String MIGRATED_NAME = "metadata.log.migrated";
    /** Bytes read at a time when scanning the file after a damaged frame. */
    private static final int SCAN_WINDOW_BYTES = 1024 * 1024;

    private LegacyMetadataLog() {
    }

    /**
     * Converts {@code dir/metadata.log}, if there is one, into the Kafka-format log of {@code dir}, its
     * batches written with epoch {@code epoch}; returns whether there was one. Segments in {@code dir}
     * next to a legacy file can only come from a conversion cut short (a finished one renames the legacy
     * file), so they are deleted first.
     */
    public static boolean migrateIfPresent(File dir, int epoch, long timestampMs) throws IOException {
        File legacy = new File(dir, FILE_NAME);
        if (!legacy.isFile()) {
            return false;
        }
        List<List<ApiMessageAndVersion>> batches = read(legacy);
        File[] leftovers = dir.listFiles((d, name) -> name.matches("\\d{20}\\.log"));
        if (leftovers != null) {
            for (File f : leftovers) {
                Files.delete(f.toPath());
            }
        }
        long records = 0;
        try (MetadataLog converted = MetadataLog.open(dir)) {
            for (List<ApiMessageAndVersion> batch : batches) {
                if (!batch.isEmpty()) {
                    converted.append(batch, epoch, timestampMs);
                    records += batch.size();
                }
            }
        }
        Files.move(legacy.toPath(), new File(dir, MIGRATED_NAME).toPath(), StandardCopyOption.ATOMIC_MOVE);
        log.info("Converted the metadata log {} ({} batches, {} records) to Kafka's format in {}; the old file is now {}",
                legacy, batches.size(), records, dir, MIGRATED_NAME);
        return true;
    }

    /**
     * The record batches of a legacy log file, in order, by the damage rules of the class comment.
     *
     * @throws IOException if a frame passing its checksum does not decode, if a damaged frame has an intact
     *                     frame after it, or on an I/O error
     */
    public static List<List<ApiMessageAndVersion>> read(File file) throws IOException {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            List<List<ApiMessageAndVersion>> batches = new ArrayList<>();
            long position = 0;
            long size = channel.size();
            ByteBuffer payload;
            while ((payload = readFrame(channel, position, size)) != null) {
                try {
                    batches.add(decodeFrame(payload));
                } catch (IOException e) {
                    throw new IOException(file + ": the frame at byte " + position + " passes its checksum but does "
                            + "not decode: " + e.getMessage(), e);
                }
                position += 8 + payload.capacity();
            }
            if (position < size) {
                long later = findValidFrame(channel, position + 1, size);
                if (later >= 0) {
                    throw new IOException(file + ": the frame at byte " + position + " is damaged (incomplete, "
                            + "impossible length or failed checksum) but a valid frame follows at byte " + later
                            + ": refusing to convert it rather than drop the committed metadata after the damage; "
                            + "restore the file from a backup");
                }
                log.warn("Dropping {} bytes of a torn or corrupt tail of the legacy metadata log {} at byte {}",
                        size - position, file, position);
            }
            return batches;
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
    static List<ApiMessageAndVersion> decodeFrame(ByteBuffer payload) throws IOException {
        if (payload.remaining() < 4) {
            throw new IOException("frame of " + payload.remaining() + " bytes has no record count");
        }
        int count = payload.getInt();
        // every record takes at least 4 bytes of length and 2 of header
        if (count < 0 || count > payload.remaining() / 6) {
            throw new IOException("bad record count " + count + " for " + payload.remaining() + " bytes");
        }
        List<ApiMessageAndVersion> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = payload.remaining() < 4 ? -1 : payload.getInt();
            if (length < 0 || length > payload.remaining()) {
                throw new IOException("record " + i + " of " + count + " has a bad length " + length + " with "
                        + payload.remaining() + " bytes left");
            }
            byte[] bytes = new byte[length];
            payload.get(bytes);
            records.add(deserialize(bytes));
        }
        if (payload.hasRemaining()) {
            throw new IOException(payload.remaining() + " trailing bytes after " + count + " records");
        }
        return records;
    }

    private static final byte LEGACY_VERSION = 0;
    private static final byte TOPIC = 1;
    private static final byte PARTITION = 2;
    private static final byte CONFIG = 3;
    private static final byte REMOVE_TOPIC = 4;
    private static final byte PRODUCER_IDS = 5;

    /**
     * Decodes one record that must fill {@code data} exactly.
     *
     * @throws IOException if {@code data} is not the one encoding of such a record (cut short, unknown
     *                     type or version, a missing required string, a bad presence flag, string or list
     *                     length, overlong UTF-8, or trailing bytes); no other exception for any input
     */
    static ApiMessageAndVersion deserialize(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        byte type = in.readByte();
        byte version = in.readByte();
        if (version != LEGACY_VERSION) {
            throw new IOException("unknown metadata record version " + version + " for type " + type);
        }
        ApiMessageAndVersion record = switch (type) {
            case TOPIC -> MetadataRecords.topic(readRequiredString(in), readUuid(in));
            case PARTITION -> MetadataRecords.partition(readUuid(in), in.readInt(), readInts(in), readInts(in),
                    in.readInt(), in.readInt(), in.readInt());
            case CONFIG -> MetadataRecords.topicConfig(readRequiredString(in), readRequiredString(in), readString(in));
            case REMOVE_TOPIC -> MetadataRecords.removeTopic(readUuid(in));
            case PRODUCER_IDS -> MetadataRecords.producerIds(-1, -1, in.readLong());
            default -> throw new IOException("unknown metadata record type " + type);
        };
        if (in.available() > 0) {
            throw new IOException(in.available() + " trailing bytes after metadata record " + record);
        }
        return record;
    }

    private static String readString(DataInputStream in) throws IOException {
        byte present = in.readByte();
        if (present != 0 && present != 1) {
            throw new IOException("bad string presence flag " + present);
        }
        if (present == 0) {
            return null;
        }
        int before = in.available();
        String s = in.readUTF();
        if (before - in.available() != 2 + encodedLength(s)) {
            throw new IOException("overlong modified UTF-8 in string " + s);
        }
        return s;
    }

    /** Length of {@code s} in modified UTF-8, as DataOutputStream.writeUTF writes it. */
    private static int encodedLength(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            length += c >= 0x0001 && c <= 0x007f ? 1 : c <= 0x07ff ? 2 : 3;
        }
        return length;
    }

    private static String readRequiredString(DataInputStream in) throws IOException {
        String s = readString(in);
        if (s == null) {
            throw new IOException("missing required string");
        }
        return s;
    }

    private static Uuid readUuid(DataInputStream in) throws IOException {
        return new Uuid(in.readLong(), in.readLong());
    }

    private static List<Integer> readInts(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / Integer.BYTES) {
            throw new IOException("bad list length " + n + " with " + in.available() + " bytes left");
        }
        List<Integer> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(in.readInt());
        }
        return List.copyOf(values);
    }
}
