package io.brook.metadata.log;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
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
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class MetadataLogTest {
    private static final List<MetadataRecord> FIRST = List.of(new TopicRecord("a", new Uuid(1, 1)),
            new ConfigRecord("a", "x", "y"));
    private static final List<MetadataRecord> SECOND = List.of(new ProducerIdsRecord(1000));

    @TempDir
    File dir;

    /** Batches replayed by {@link MetadataLog#open}, with the offset of their last record. */
    private record Replayed(List<MetadataRecord> records, long lastOffset) {
    }

    private List<Replayed> replay() throws IOException {
        List<Replayed> replayed = new ArrayList<>();
        try (MetadataLog ignored = MetadataLog.open(dir, (records, last) -> replayed.add(new Replayed(records, last)))) {
            return replayed;
        }
    }

    private File file() {
        return new File(dir, MetadataLog.FILE_NAME);
    }

    private void appendBoth() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            assertEquals(0, log.nextOffset());
            assertEquals(1, log.append(FIRST));
            assertEquals(2, log.append(SECOND));
            assertEquals(3, log.nextOffset());
        }
    }

    @Test
    void anEmptyDirectoryOpensAnEmptyLog() throws IOException {
        File nested = new File(dir, "a/b");
        try (MetadataLog log = MetadataLog.open(nested, (r, o) -> { throw new AssertionError("replayed " + r); })) {
            assertEquals(0, log.nextOffset());
        }
        assertEquals(0, new File(nested, MetadataLog.FILE_NAME).length());
    }

    @Test
    void appendedBatchesAreReplayedInOrderWithTheirOffsets() throws IOException {
        appendBoth();
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2)), replay());
    }

    @Test
    void appendsAfterAReopenContinueTheOffsets() throws IOException {
        appendBoth();
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            assertEquals(3, log.nextOffset());
            assertEquals(4, log.append(FIRST));
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2), new Replayed(FIRST, 4)), replay());
    }

    @Test
    void theFrameFormatIsLengthChecksumCountThenRecords() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            log.append(SECOND);
        }
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(file().toPath()));
        byte[] payload = MetadataDecoderFuzzTest.frame(SECOND);
        assertEquals(8 + payload.length, file.remaining());
        assertEquals(payload.length, file.getInt());
        CRC32C crc = new CRC32C();
        crc.update(payload);
        assertEquals((int) crc.getValue(), file.getInt());
        assertEquals(ByteBuffer.wrap(payload), file);
    }

    @Test
    void aTornLastFrameIsTruncatedAndTheLogStaysUsable() throws IOException {
        appendBoth();
        long full = file().length();
        long firstEnd = full - (8 + MetadataDecoderFuzzTest.frame(SECOND).length);
        for (long cut = full - 1; cut > firstEnd; cut--) {
            try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
                raf.setLength(cut);
            }
            assertEquals(List.of(new Replayed(FIRST, 1)), replay(), "cut at " + cut);
            assertEquals(firstEnd, file().length(), "the torn tail is gone from the file");
            try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
                assertEquals(2, log.append(SECOND));
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
        long secondStart = 8 + MetadataDecoderFuzzTest.frame(FIRST).length;
        flipByte(10); // in the payload of the first frame
        assertOpenRefusedKeepingTheFile(0, secondStart);
    }

    @Test
    void anImpossibleLengthWithAValidFrameAfterItFailsTheOpen() throws IOException {
        appendBoth();
        int firstLength = MetadataDecoderFuzzTest.frame(FIRST).length;
        // too short, negative, too long, past the end of the file, and one that only fails the checksum
        for (int length : new int[] {0, 3, -1, MetadataLog.MAX_FRAME_BYTES + 1, 100_000, firstLength - 1}) {
            try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
                raf.writeInt(length);
            }
            assertOpenRefusedKeepingTheFile(0, 8 + firstLength);
        }
    }

    /**
     * What a failed append used to leave: a partial frame with later appends after it. The valid frame
     * starts a few bytes after the damage, inside the space of a frame header.
     */
    @Test
    void aPartialFrameWithAppendsAfterItFailsTheOpen() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            log.append(FIRST);
        }
        long firstEnd = file().length();
        byte[] second = rawFrame(MetadataDecoderFuzzTest.frame(SECOND));
        appendRaw(Arrays.copyOf(second, 5));
        appendRaw(second);
        assertOpenRefusedKeepingTheFile(firstEnd, firstEnd + 5);
    }

    /** The scan reads the file in windows of 1 MiB: damage in a frame of megabytes, and what follows it. */
    @Test
    void theScanAfterDamageCrossesReadWindows() throws IOException {
        List<MetadataRecord> big = new ArrayList<>();
        for (int i = 0; i < 80_000; i++) {
            big.add(new TopicRecord("topic-" + i, new Uuid(i, i)));
        }
        long bigStart;
        long bigEnd;
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            log.append(FIRST);
            bigStart = file().length();
            log.append(big);
            bigEnd = file().length();
            log.append(SECOND);
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
        flipByte(10);
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
        assertEquals(file() + ": the frame at byte " + damagedAt + " is damaged (incomplete, impossible length or "
                + "failed checksum) but a valid frame follows at byte " + validAt + ": refusing to open rather than "
                + "drop the committed metadata after the damage; restore the file from a backup", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file().toPath()), "nothing truncated");
        assertEquals(0, openHandles(), "the file is closed");
    }

    /** A write failing partway leaves no partial frame in front of later appends, which survive a restart. */
    @Test
    void aWriteFailingPartwayRemovesItsPartialFrame() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { }, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, log.append(FIRST));
            long firstEnd = file().length();
            channel[0].writeBudget = 5;
            IOException e = assertThrows(IOException.class, () -> log.append(SECOND));
            assertEquals("injected write failure after 5 bytes", e.getMessage());
            assertEquals(firstEnd, file().length(), "the partial frame is removed");
            assertEquals(2, log.nextOffset());
            channel[0].writeBudget = -1;
            assertEquals(2, log.append(SECOND));
            assertEquals(3, log.append(SECOND));
        }
        assertEquals(List.of(new Replayed(FIRST, 1), new Replayed(SECOND, 2), new Replayed(SECOND, 3)), replay());
    }

    /** A failed fsync fails the append, so its frame, though written, must not be replayed either. */
    @Test
    void aFailedSyncRemovesTheFrame() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { }, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, log.append(FIRST));
            long firstEnd = file().length();
            channel[0].failingForces = 1;
            IOException e = assertThrows(IOException.class, () -> log.append(SECOND));
            assertEquals("injected force failure", e.getMessage());
            assertEquals(firstEnd, file().length(), "the frame is removed");
            assertEquals(2, log.append(SECOND));
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
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { }, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, log.append(FIRST));
            long firstEnd = file().length();
            channel[0].writeBudget = 5;
            channel[0].failTruncate = true;
            IOException e = assertThrows(IOException.class, () -> log.append(SECOND));
            assertEquals("injected write failure after 5 bytes", e.getMessage());
            assertEquals("injected truncate failure", e.getSuppressed()[0].getMessage());
            channel[0].writeBudget = -1;
            channel[0].failTruncate = false;
            IOException refused = assertThrows(IOException.class, () -> log.append(SECOND));
            assertEquals(file() + ": the metadata log refuses appends since an append failed and its partial frame "
                    + "could not be removed; restart to recover", refused.getMessage());
            assertEquals(e, refused.getCause());
            assertEquals(firstEnd + 5, file().length(), "the refused append wrote nothing");
            assertEquals(2, log.nextOffset());
        }
        assertEquals(List.of(new Replayed(FIRST, 1)), replay());
        assertEquals(8 + MetadataDecoderFuzzTest.frame(FIRST).length, file().length(), "the partial frame is gone");
    }

    /** A failed sync whose removal of the frame cannot be synced either fails the log too. */
    @Test
    void aFrameWhoseRemovalCannotBeSyncedFailsTheLog() throws IOException {
        FailingChannel[] channel = new FailingChannel[1];
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { }, c -> channel[0] = new FailingChannel(c))) {
            assertEquals(1, log.append(FIRST));
            channel[0].failingForces = 2;
            assertThrows(IOException.class, () -> log.append(SECOND));
            IOException refused = assertThrows(IOException.class, () -> log.append(SECOND));
            assertTrue(refused.getMessage().endsWith("the metadata log refuses appends since an append failed and its "
                    + "partial frame could not be removed; restart to recover"), refused.getMessage());
        }
    }

    /**
     * A frame with a valid checksum that does not decode was written so: truncating it would drop
     * committed metadata, so opening fails, names the position, and leaves the file alone.
     */
    @Test
    void aFramePassingItsChecksumButNotDecodingFailsTheOpen() throws IOException {
        appendBoth();
        long size = file().length();
        byte[] payload = {0, 0, 0, 1, 0, 0, 0, 2, 9, 0}; // one record of unknown type 9
        appendRawFrame(payload);
        IOException e = assertThrows(IOException.class, this::replay);
        assertEquals(file() + ": the frame at byte " + size + " passes its checksum but does not decode: "
                + "unknown metadata record type 9", e.getMessage());
        assertEquals(size + 8 + payload.length, file().length(), "nothing truncated");
    }

    /** A topic record without a name used to be accepted, then crash the replay with a NullPointerException. */
    @Test
    void aTopicRecordWithoutANameFailsTheOpenClearly() throws IOException {
        ByteBuffer payload = ByteBuffer.allocate(4 + 4 + 19).putInt(1).putInt(19)
                .put((byte) 1).put((byte) 0).put((byte) 0).putLong(1).putLong(2);
        appendRawFrame(payload.array());
        MetadataImage[] image = {MetadataImage.EMPTY};
        IOException e = assertThrows(IOException.class,
                () -> MetadataLog.open(dir, (records, last) -> image[0] = image[0].apply(records, last)));
        assertEquals(file() + ": the frame at byte 0 passes its checksum but does not decode: "
                + "missing required string", e.getMessage());
    }

    /** Appends a frame with a valid checksum around {@code payload}. */
    private void appendRawFrame(byte[] payload) throws IOException {
        appendRaw(rawFrame(payload));
    }

    private static byte[] rawFrame(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return ByteBuffer.allocate(8 + payload.length).putInt(payload.length).putInt((int) crc.getValue())
                .put(payload).array();
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
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MetadataLog.open(dir, (r, o) -> {
            throw new IllegalStateException("rejected");
        }));
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
        List<MetadataRecord> huge = new ArrayList<>();
        String value = "v".repeat(60_000);
        for (int i = 0; i < MetadataLog.MAX_FRAME_BYTES / 60_000 + 1; i++) {
            huge.add(new ConfigRecord("t", "c" + i, value));
        }
        try (MetadataLog log = MetadataLog.open(dir, (r, o) -> { })) {
            IOException e = assertThrows(IOException.class, () -> log.append(huge));
            assertTrue(e.getMessage().startsWith("metadata batch of "), e.getMessage());
            assertEquals(0, log.nextOffset());
            assertEquals(0, log.append(SECOND));
        }
        assertEquals(List.of(new Replayed(SECOND, 0)), replay());
    }
}
