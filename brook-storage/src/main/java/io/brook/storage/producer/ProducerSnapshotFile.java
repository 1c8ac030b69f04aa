package io.brook.storage.producer;

import org.apache.kafka.common.utils.Crc32C;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Producer-state snapshots, {@code <20-digit offset>.snapshot}, in Kafka's format (version 1):
 * version int16, CRC32C uint32 of what follows, then an array of (producer id int64, epoch
 * int16, last sequence int32, last offset int64, offset delta int32, timestamp int64,
 * coordinator epoch int32, current transaction first offset int64, -1 when none). The offset in
 * the name is the log end offset the state reflects.
 */
public final class ProducerSnapshotFile {
    public static final String SUFFIX = ".snapshot";
    private static final short VERSION = 1;
    private static final int ENTRIES_OFFSET = 2 + 4;
    private static final int ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

    private ProducerSnapshotFile() {
    }

    /** One producer's entry: the last batch it wrote (sequence -1 when none at its epoch) and its open transaction. */
    public record Entry(long producerId, short epoch, int lastSequence, long lastOffset, int offsetDelta,
                        long timestamp, int coordinatorEpoch, long currentTxnFirstOffset) {
    }

    public static File file(File dir, long offset) {
        return new File(dir, String.format("%020d", offset) + SUFFIX);
    }

    /** Writes atomically (temporary file, then rename). */
    public static void write(File dir, long offset, List<Entry> entries) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(ENTRIES_OFFSET + 4 + entries.size() * ENTRY_BYTES);
        buffer.putShort(VERSION).putInt(0).putInt(entries.size());
        for (Entry e : entries) {
            buffer.putLong(e.producerId()).putShort(e.epoch()).putInt(e.lastSequence()).putLong(e.lastOffset())
                    .putInt(e.offsetDelta()).putLong(e.timestamp()).putInt(e.coordinatorEpoch())
                    .putLong(e.currentTxnFirstOffset());
        }
        long crc = Crc32C.compute(buffer.array(), ENTRIES_OFFSET, buffer.capacity() - ENTRIES_OFFSET);
        buffer.putInt(2, (int) crc);
        File target = file(dir, offset);
        File tmp = new File(dir, target.getName() + ".tmp");
        Files.write(tmp.toPath(), buffer.array());
        Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads a snapshot; null when it is damaged (wrong version, size or CRC). */
    public static List<Entry> read(File file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file.toPath()));
        if (buffer.remaining() < ENTRIES_OFFSET + 4 || buffer.getShort() != VERSION) {
            return null;
        }
        long storedCrc = Integer.toUnsignedLong(buffer.getInt());
        if (Crc32C.compute(buffer.array(), ENTRIES_OFFSET, buffer.limit() - ENTRIES_OFFSET) != storedCrc) {
            return null;
        }
        int count = buffer.getInt();
        if (count < 0 || buffer.remaining() != (long) count * ENTRY_BYTES) {
            return null;
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(new Entry(buffer.getLong(), buffer.getShort(), buffer.getInt(), buffer.getLong(),
                    buffer.getInt(), buffer.getLong(), buffer.getInt(), buffer.getLong()));
        }
        return entries;
    }

    /** Snapshot files in {@code dir} by offset. */
    public static TreeMap<Long, File> list(File dir) {
        TreeMap<Long, File> files = new TreeMap<>();
        File[] found = dir.listFiles((d, name) -> name.endsWith(SUFFIX));
        if (found != null) {
            for (File f : found) {
                try {
                    files.put(Long.parseLong(f.getName().substring(0, f.getName().length() - SUFFIX.length())), f);
                } catch (NumberFormatException e) {
                    // not ours
                }
            }
        }
        return files;
    }
}
