package io.brook.metadata.log;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataBatches.Batch;
import io.brook.metadata.record.MetadataRecordCodec;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class MetadataLogTest {
    private static final List<ApiMessageAndVersion> FIRST = List.of(topic("a", new Uuid(1, 1)),
            topicConfig("a", "x", "y"));
    private static final List<ApiMessageAndVersion> SECOND = List.of(producerIds(-1, -1, 1000));
    private static final int EPOCH = 3;
    private static final long TIMESTAMP = 1_700_000_000_000L;

    @TempDir
    File dir;

    /** Batches replayed by {@link MetadataLog#open}, with the offset of their last record. */
    private record Replayed(List<ApiMessageAndVersion> records, long lastOffset) {
    }

    private List<Replayed> replay() throws IOException {
        List<Replayed> replayed = new ArrayList<>();
        try (MetadataLog log = MetadataLog.open(dir)) {
            log.replay(log.startOffset(), batch -> replayed.add(new Replayed(batch.records(), batch.lastOffset())));
            return replayed;
        }
    }

    private File file() {
        return new File(dir, MetadataLog.segmentName(0));
    }

    private static long append(MetadataLog log, List<ApiMessageAndVersion> records) throws IOException {
        return log.append(records, EPOCH, TIMESTAMP);
    }

    /** Bytes of the batch of {@code records} at {@code baseOffset}. */
    static int batchBytes(List<ApiMessageAndVersion> records, long baseOffset) {
        return MetadataBatches.encode(records, baseOffset, EPOCH, TIMESTAMP).remaining();
    }

    private static byte[] batch(List<ApiMessageAndVersion> records, long baseOffset) {
        ByteBuffer b = MetadataBatches.encode(records, baseOffset, EPOCH, TIMESTAMP);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    private void appendBoth() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir)) {
            assertEquals(0, log.nextOffset());
            assertEquals(1, append(log, FIRST));
            assertEquals(2, append(log, SECOND));
            assertEquals(3, log.nextOffset());
        }
    }

    @Test
    void anEmptyDirectoryOpensAnEmptyLog() throws IOException {
        File nested = new File(dir, "a/b");
        try (MetadataLog log = MetadataLog.open(nested)) {
            assertEquals(0, log.nextOffset());
            log.replay(0, batch -> {
                throw new AssertionError("replayed " + batch);
            });
        }
        assertEquals(0, new File(nested, "00000000000000000000.log").length());
    }

    @Test
    void appendedBatchesAreReplayedInOrderWithTheirOffsets() throws IOException {
        appendBoth();
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2)), replay());
    }

    @Test
    void appendsAfterAReopenContinueTheOffsets() throws IOException {
        appendBoth();
        try (MetadataLog log = MetadataLog.open(dir)) {
            assertEquals(3, log.nextOffset());
            assertEquals(4, append(log, FIRST));
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2), new Replayed(FIRST, 4)), replay());
    }

    /** The segment is Kafka record batches v2: one per append, epoch and offsets in the batch header. */
    @Test
    void theSegmentHoldsKafkaRecordBatchesOfMetadataRecords() throws IOException {
        appendBoth();
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(Files.readAllBytes(file().toPath())));
        List<MutableRecordBatch> batches = new ArrayList<>();
        records.batches().forEach(batches::add);
        assertEquals(2, batches.size());
        List<ApiMessageAndVersion> values = new ArrayList<>();
        for (MutableRecordBatch batch : batches) {
            assertEquals(RecordBatch.MAGIC_VALUE_V2, batch.magic());
            assertTrue(batch.isValid(), "checksum");
            assertEquals(EPOCH, batch.partitionLeaderEpoch());
            assertEquals(RecordBatch.NO_PRODUCER_ID, batch.producerId());
            for (Record record : batch) {
                assertEquals(TIMESTAMP, record.timestamp());
                assertTrue(!record.hasKey(), "null key");
                values.add(MetadataRecordCodec.decode(record.value()));
            }
        }
        assertEquals(0, batches.get(0).baseOffset());
        assertEquals(1, batches.get(0).lastOffset());
        assertEquals(2, batches.get(1).baseOffset());
        List<ApiMessageAndVersion> expected = new ArrayList<>(FIRST);
        expected.addAll(SECOND);
        assertEquals(expected, values);
    }

    @Test
    void aTornLastFrameIsTruncatedAndTheLogStaysUsable() throws IOException {
        appendBoth();
        long full = file().length();
        long firstEnd = full - batchBytes(SECOND, 2);
        for (long cut = full - 1; cut > firstEnd; cut--) {
            try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
                raf.setLength(cut);
            }
            assertEquals(List.of(new Replayed(FIRST, 1)), replay(), "cut at " + cut);
            assertEquals(firstEnd, file().length(), "the torn tail is gone from the file");
            try (MetadataLog log = MetadataLog.open(dir)) {
                assertEquals(2, append(log, SECOND));
            }
            assertEquals(full, file().length());
        }
    }

    @Test
    void aLastFrameFailingItsChecksumIsTruncated() throws IOException {
        appendBoth();
        long full = file().length();
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.seek(full - 1);
            int last = raf.read();
            raf.seek(full - 1);
            raf.write(last ^ 0x01);
        }
        assertEquals(List.of(new Replayed(FIRST, 1)), replay());
    }

    @Test
    void zeroesAfterTheLastFrameAreTruncated() throws IOException {
        appendBoth();
        long full = file().length();
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.setLength(full + 4096); // a file extended by a crash but never written
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2)), replay());
        assertEquals(full, file().length());
    }

    @Test
    void garbageAfterTheLastFrameIsTruncated() throws IOException {
        appendBoth();
        long full = file().length();
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.seek(full);
            raf.write(garbage);
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2)), replay());
        assertEquals(full, file().length());
    }

    /**
     * A damaged frame with a valid frame after it is damage inside committed metadata: truncating would
     * drop the later frames, so opening fails, names both positions, and leaves the file alone.
     */
    @Test
    void aFailedChecksumWithAValidFrameAfterItFailsTheOpenAndKeepsTheFile() throws IOException {
        appendBoth();
        long secondStart = batchBytes(FIRST, 0);
        flipByte(70); // in the records of the first batch
        assertOpenRefusedKeepingTheFile(0, secondStart);
    }

    @Test
    void anImpossibleLengthWithAValidFrameAfterItFailsTheOpen() throws IOException {
        appendBoth();
        int firstLength = batchBytes(FIRST, 0);
        // too short, negative, too long, past the end of the file, and one that only fails the checksum
        for (int length : new int[] {0, 48, -1, MetadataBatches.MAX_BATCH_BYTES, 100_000, firstLength - 13}) {
            try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
                raf.seek(8);
                raf.writeInt(length);
            }
            assertOpenRefusedKeepingTheFile(0, firstLength);
        }
    }

    /**
     * What a failed append used to leave: a partial frame with later appends after it. The valid frame
     * starts a few bytes after the damage, inside the space of a frame header.
     */
    @Test
    void aPartialFrameWithAppendsAfterItFailsTheOpen() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir)) {
            append(log, FIRST);
        }
        long firstEnd = file().length();
        byte[] second = batch(SECOND, 2);
        appendRaw(Arrays.copyOf(second, 5));
        appendRaw(second);
        assertOpenRefusedKeepingTheFile(firstEnd, firstEnd + 5);
    }

    /** The scan reads the file in windows of 1 MiB: damage in a frame of megabytes, and what follows it. */
    @Test
    void theScanAfterDamageCrossesReadWindows() throws IOException {
        List<ApiMessageAndVersion> big = new ArrayList<>();
        for (int i = 0; i < 80_000; i++) {
            big.add(topic("topic-" + i, new Uuid(i, i)));
        }
        long bigStart;
        long bigEnd;
        try (MetadataLog log = MetadataLog.open(dir)) {
            append(log, FIRST);
            bigStart = file().length();
            append(log, big);
            bigEnd = file().length();
            append(log, SECOND);
        }
        assertTrue(bigEnd - bigStart > 2 * 1024 * 1024, "the big frame spans several windows: " + (bigEnd - bigStart));
        flipByte(bigStart + 100);
        assertOpenRefusedKeepingTheFile(bigStart, bigEnd);
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.setLength(raf.length() - 1); // now nothing valid follows the damage
        }
        assertEquals(List.of(new Replayed(FIRST, 1)), replay());
        assertEquals(bigStart, file().length());
    }

    /** Damage after which only a torn frame follows is a torn tail: everything from the damage is truncated. */
    @Test
    void damageFollowedOnlyByATornFrameIsTruncated() throws IOException {
        appendBoth();
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.setLength(raf.length() - 1);
        }
        flipByte(70);
        assertEquals(List.of(), replay());
        assertEquals(0, file().length());
    }

    private void flipByte(long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x01);
        }
    }

    private void assertOpenRefusedKeepingTheFile(long damagedAt, long validAt) throws IOException {
        byte[] before = Files.readAllBytes(file().toPath());
        IOException e = assertThrows(IOException.class, this::replay);
        assertEquals(file() + ": the batch at byte " + damagedAt + " is damaged (incomplete, impossible length, "
                + "failed checksum or wrong offset) but an intact batch follows at byte " + validAt + ": refusing to "
                + "open rather than drop the committed metadata after the damage; restore the file from a backup",
                e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file().toPath()), "nothing truncated");
        assertEquals(0, openHandles(), "the file is closed");
    }

    /** A write failing partway leaves no partial frame in front of later appends, which survive a restart. */
    @Test
    void aWriteFailingPartwayRemovesItsPartialFrame() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, append(log, FIRST));
            long firstEnd = file().length();
            channel[0].writeBudget = 5;
            IOException e = assertThrows(IOException.class, () -> append(log, SECOND));
            assertEquals("injected write failure after 5 bytes", e.getMessage());
            assertEquals(firstEnd, file().length(), "the partial batch is removed");
            assertEquals(2, log.nextOffset());
            channel[0].writeBudget = -1;
            assertEquals(2, append(log, SECOND));
            assertEquals(3, append(log, SECOND));
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2), new Replayed(SECOND, 3)), replay());
    }

    /** A failed fsync fails the append, so its frame, though written, must not be replayed either. */
    @Test
    void aFailedSyncRemovesTheFrame() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, append(log, FIRST));
            long firstEnd = file().length();
            channel[0].failingForces = 1;
            IOException e = assertThrows(IOException.class, () -> append(log, SECOND));
            assertEquals("injected force failure", e.getMessage());
            assertEquals(firstEnd, file().length(), "the batch is removed");
            assertEquals(2, append(log, SECOND));
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2)), replay());
    }

    /**
     * When the partial frame of a failed append cannot be removed, later appends would go after it and be
     * lost at the next open: the log refuses them instead, until a restart recovers the tail.
     */
    @Test
    void aPartialFrameThatCannotBeRemovedFailsTheLog() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, append(log, FIRST));
            long firstEnd = file().length();
            channel[0].writeBudget = 5;
            channel[0].failTruncate = true;
            IOException e = assertThrows(IOException.class, () -> append(log, SECOND));
            assertEquals("injected write failure after 5 bytes", e.getMessage());
            assertEquals("injected truncate failure", e.getSuppressed()[0].getMessage());
            channel[0].writeBudget = -1;
            channel[0].failTruncate = false;
            IOException refused = assertThrows(IOException.class, () -> append(log, SECOND));
            assertEquals(file() + ": the metadata log refuses appends since an append failed and its partial batch "
                    + "could not be removed; restart to recover", refused.getMessage());
            assertEquals(e, refused.getCause());
            assertEquals(firstEnd + 5, file().length(), "the refused append wrote nothing");
            assertEquals(2, log.nextOffset());
        }
        assertEquals(List.of(new Replayed(FIRST, 1)), replay());
        assertEquals(batchBytes(FIRST, 0), file().length(), "the partial batch is gone");
    }

    /** A failed sync whose removal of the frame cannot be synced either fails the log too. */
    @Test
    void aFrameWhoseRemovalCannotBeSyncedFailsTheLog() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, append(log, FIRST));
            channel[0].failingForces = 2;
            assertThrows(IOException.class, () -> append(log, SECOND));
            IOException refused = assertThrows(IOException.class, () -> append(log, SECOND));
            assertTrue(refused.getMessage().endsWith("the metadata log refuses appends since an append failed and its "
                    + "partial batch could not be removed; restart to recover"), refused.getMessage());
        }
    }

    /**
     * A batch with a valid checksum that does not decode was written so: truncating it would drop
     * committed metadata, so the replay fails, names the position, and leaves the file alone.
     */
    @Test
    void aBatchPassingItsChecksumButNotDecodingFailsTheReplay() throws IOException {
        appendBoth();
        long size = file().length();
        byte[] raw = rawBatch(3, new byte[] {1, 99, 0}); // frame version 1, api key 99: no such record
        appendRaw(raw);
        IOException e = assertThrows(IOException.class, this::replay);
        assertTrue(e.getMessage().startsWith(file() + ": the batch at byte " + size + " does not decode: "),
                e.getMessage());
        assertEquals(size + raw.length, file().length(), "nothing truncated");
    }

    /** A topic record without a name (Kafka's schema does not allow one) fails the replay clearly. */
    @Test
    void aTopicRecordWithoutANameFailsTheReplayClearly() throws IOException {
        ByteBuffer value = ByteBuffer.allocate(21).put((byte) 1).put((byte) 2).put((byte) 0) // frame v1, TopicRecord v0
                .put((byte) 0) // compact string length 0: null
                .putLong(1).putLong(2).put((byte) 0); // topic id, no tagged fields
        appendRaw(rawBatch(0, value.array()));
        IOException e = assertThrows(IOException.class, this::replay);
        assertTrue(e.getMessage().startsWith(file() + ": the batch at byte 0 does not decode: "), e.getMessage());
    }

    /** A batch with a valid checksum holding one record of value {@code value}. */
    private static byte[] rawBatch(long baseOffset, byte[] value) {
        ByteBuffer b = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V2, baseOffset, Compression.NONE,
                TimestampType.CREATE_TIME, -1L, (short) -1, -1, EPOCH, false,
                new SimpleRecord(TIMESTAMP, null, value)).buffer();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    private void appendRaw(byte[] bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.seek(raf.length());
            raf.write(bytes);
        }
    }

    @Test
    void aBatchTheReplayRejectsFailsTheOpenAndReleasesTheFile() throws IOException {
        appendBoth();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (MetadataLog log = MetadataLog.open(dir)) {
                log.replay(0, batch -> {
                    throw new IllegalStateException("rejected");
                });
            }
        });
        assertEquals("rejected", e.getMessage());
        assertEquals(0, openHandles(), "the file is closed");
    }

    /** Open file descriptors of this process on the log file (Linux). */
    private long openHandles() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
        Path target = file().toPath().toRealPath();
        try (Stream<Path> list = Files.list(fds)) {
            return list.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException e) {
                    return false; // closed meanwhile, e.g. the descriptor of this listing
                }
            }).count();
        }
    }

    @Test
    void anOversizedBatchIsRefusedAndWritesNothing() throws IOException {
        List<ApiMessageAndVersion> huge = new ArrayList<>();
        String value = "v".repeat(30_000); // Kafka's strings hold up to 32767 bytes
        for (int i = 0; i < MetadataBatches.MAX_BATCH_BYTES / 30_000 + 1; i++) {
            huge.add(topicConfig("t", "c" + i, value));
        }
        try (MetadataLog log = MetadataLog.open(dir)) {
            IOException e = assertThrows(IOException.class, () -> append(log, huge));
            assertTrue(e.getMessage().startsWith("metadata batch of "), e.getMessage());
            assertEquals(0, log.nextOffset());
            assertEquals(0, append(log, SECOND));
        }
        assertEquals(List.of(new Replayed(SECOND, 0)), replay());
    }
}
