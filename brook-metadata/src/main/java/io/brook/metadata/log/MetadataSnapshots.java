package io.brook.metadata.log;

import io.brook.metadata.log.MetadataBatches.Batch;
import io.brook.metadata.record.MetadataRecordCodec;
import org.apache.kafka.common.message.SnapshotFooterRecord;
import org.apache.kafka.common.message.SnapshotHeaderRecord;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Snapshots of the metadata image in Kafka's KRaft format, next to the log segments:
 * {@code <20-digit end offset>-<10-digit epoch>.checkpoint}, where the end offset is the offset after
 * the last record the snapshot covers and the epoch is the one of that record. The file is record
 * batches: a control batch with a {@code SnapshotHeaderRecord}, batches of metadata records (offsets
 * from 1, epoch = the snapshot's epoch), and a control batch with a {@code SnapshotFooterRecord}, as
 * Kafka's snapshot writer lays it out, so {@code kafka-dump-log --cluster-metadata-decoder} reads it.
 * A snapshot is written to {@code <name>.checkpoint.part}, synced, then renamed; a file without its
 * footer, with a batch failing its checksum, or with offsets out of order is not a snapshot.
 *
 * <p>Thread-safety: stateless; writing and reading different files may run on any thread.
 */
public final class MetadataSnapshots {
    public static final String SUFFIX = ".checkpoint";
    public static final String PARTIAL_SUFFIX = ".checkpoint.part";
    private static final Pattern NAME = Pattern.compile("(\\d{20})-(\\d{10})\\.checkpoint");
    /** Encoded record bytes per data batch of a snapshot. */
    static final int BATCH_BYTES = 512 * 1024;
    private static final int HEADER_VERSION = ControlRecordUtils.SNAPSHOT_HEADER_CURRENT_VERSION;
    private static final int FOOTER_VERSION = ControlRecordUtils.SNAPSHOT_FOOTER_CURRENT_VERSION;

    private MetadataSnapshots() {
    }

    /** A snapshot's identity: the offset after its last record, and that record's epoch. */
    public record SnapshotId(long endOffset, int epoch) implements Comparable<SnapshotId> {
        public String fileName() {
            return String.format("%020d-%010d%s", endOffset, epoch, SUFFIX);
        }

        @Override
        public int compareTo(SnapshotId o) {
            int byOffset = Long.compare(endOffset, o.endOffset);
            return byOffset != 0 ? byOffset : Integer.compare(epoch, o.epoch);
        }
    }

    /** A snapshot read back: its id, the log timestamp it covers up to, and its records. */
    public record Snapshot(SnapshotId id, long lastContainedLogTimestamp, List<ApiMessageAndVersion> records) {
    }

    /** The snapshots in {@code dir}, oldest first (by name; their contents are not checked). */
    public static List<SnapshotId> list(File dir) {
        List<SnapshotId> ids = new ArrayList<>();
        File[] files = dir.listFiles();
        if (files != null) {
            for (File f : files) {
                Matcher m = NAME.matcher(f.getName());
                if (m.matches()) {
                    ids.add(new SnapshotId(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))));
                }
            }
        }
        ids.sort(Comparator.naturalOrder());
        return ids;
    }

    /** Deletes files of snapshots cut short by a crash ({@code .checkpoint.part}); returns how many. */
    public static int deletePartial(File dir) throws IOException {
        int deleted = 0;
        File[] files = dir.listFiles((d, name) -> name.endsWith(PARTIAL_SUFFIX));
        if (files != null) {
            for (File f : files) {
                Files.deleteIfExists(f.toPath());
                deleted++;
            }
        }
        return deleted;
    }

    /** Deletes the snapshot {@code id}. */
    public static void delete(File dir, SnapshotId id) throws IOException {
        Files.deleteIfExists(new File(dir, id.fileName()).toPath());
    }

    /** Writes {@code records} as snapshot {@code id} into {@code dir}; returns the file. */
    public static File write(File dir, SnapshotId id, long lastContainedLogTimestamp,
                             List<ApiMessageAndVersion> records) throws IOException {
        File target = new File(dir, id.fileName());
        File partial = new File(dir, id.fileName().replace(SUFFIX, PARTIAL_SUFFIX));
        try (FileChannel out = FileChannel.open(partial.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long offset = 0;
            writeFully(out, MemoryRecords.withSnapshotHeaderRecord(offset++, lastContainedLogTimestamp, id.epoch(),
                    ByteBuffer.allocate(256), new SnapshotHeaderRecord().setVersion((short) HEADER_VERSION)
                            .setLastContainedLogTimestamp(lastContainedLogTimestamp)).buffer());
            List<ApiMessageAndVersion> batch = new ArrayList<>();
            int batchBytes = 0;
            for (ApiMessageAndVersion record : records) {
                batch.add(record);
                batchBytes += MetadataRecordCodec.encode(record).length;
                if (batchBytes >= BATCH_BYTES) {
                    writeFully(out, MetadataBatches.encode(batch, offset, id.epoch(), lastContainedLogTimestamp));
                    offset += batch.size();
                    batch.clear();
                    batchBytes = 0;
                }
            }
            if (!batch.isEmpty()) {
                writeFully(out, MetadataBatches.encode(batch, offset, id.epoch(), lastContainedLogTimestamp));
                offset += batch.size();
            }
            writeFully(out, MemoryRecords.withSnapshotFooterRecord(offset, lastContainedLogTimestamp, id.epoch(),
                    ByteBuffer.allocate(256), new SnapshotFooterRecord().setVersion((short) FOOTER_VERSION)).buffer());
            out.force(true);
        }
        Files.move(partial.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir.toPath(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // syncing a directory is not supported everywhere; the rename is durable on the next sync
        }
        return target;
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /**
     * Reads snapshot {@code id} of {@code dir}.
     *
     * @throws IOException if the file is missing or not a whole snapshot: no header first or footer last,
     *                     a batch that does not decode (checksum included), offsets not following each
     *                     other from 0, a batch of another epoch, or bytes after the footer
     */
    public static Snapshot read(File dir, SnapshotId id) throws IOException {
        File file = new File(dir, id.fileName());
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file.toPath()));
        List<ApiMessageAndVersion> records = new ArrayList<>();
        long expected = 0;
        long timestamp = -1;
        boolean footer = false;
        while (bytes.hasRemaining()) {
            int position = bytes.position();
            if (footer) {
                throw new IOException(file + ": " + bytes.remaining() + " bytes after the snapshot footer");
            }
            int length = MetadataBatches.batchLength(bytes);
            if (length < 0) {
                throw new IOException(file + ": the batch at byte " + position + " is cut short or has an impossible "
                        + "length");
            }
            Batch batch;
            try {
                batch = MetadataBatches.decode(bytes.slice(position, length));
            } catch (IOException e) {
                throw new IOException(file + ": the batch at byte " + position + " does not decode: " + e.getMessage(), e);
            }
            bytes.position(position + length);
            if (batch.baseOffset() != expected) {
                throw new IOException(file + ": the batch at byte " + position + " starts at offset "
                        + batch.baseOffset() + " where " + expected + " was due");
            }
            if (batch.epoch() != id.epoch()) {
                throw new IOException(file + ": the batch at byte " + position + " has epoch " + batch.epoch()
                        + ", the snapshot's is " + id.epoch());
            }
            if (expected == 0) {
                if (!batch.control() || batch.controlType() != ControlRecordType.SNAPSHOT_HEADER) {
                    throw new IOException(file + ": does not start with a snapshot header");
                }
                timestamp = headerTimestamp(file, bytes.slice(position, length));
            } else if (batch.control()) {
                if (batch.controlType() != ControlRecordType.SNAPSHOT_FOOTER) {
                    throw new IOException(file + ": unexpected control record " + batch.controlType() + " at byte "
                            + position);
                }
                footer = true;
            } else {
                records.addAll(batch.records());
            }
            expected = batch.lastOffset() + 1;
        }
        if (!footer) {
            throw new IOException(file + ": no snapshot footer (the snapshot is incomplete)");
        }
        return new Snapshot(id, timestamp, records);
    }

    private static long headerTimestamp(File file, ByteBuffer headerBatch) throws IOException {
        try {
            var batch = MemoryRecords.readableRecords(headerBatch).batchIterator().next();
            return ControlRecordUtils.deserializeSnapshotHeaderRecord(batch.iterator().next())
                    .lastContainedLogTimestamp();
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable snapshot header: " + e, e);
        }
    }
}
