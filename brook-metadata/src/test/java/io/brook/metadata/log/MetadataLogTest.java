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
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

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
        CRC32C crc = new CRC32C();
        crc.update(payload);
        try (RandomAccessFile raf = new RandomAccessFile(file(), "rw")) {
            raf.seek(raf.length());
            raf.writeInt(payload.length);
            raf.writeInt((int) crc.getValue());
            raf.write(payload);
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
