package io.brook.storage.log;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A zero-copy send leases the segment's file handle: closing the segment for idleness or deleting
 * it (retention, truncation, cleaning) while the lease is held leaves the bytes readable through
 * the handle, and the handle closes when the last lease is given back.
 */
class SegmentLeaseTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    @AfterEach
    void drain() throws Exception {
        LogFixtures.drainScheduler();
    }

    @Test
    void aLeasedSegmentDeletedByRetentionStaysReadableUntilTheLeaseIsReleased() throws Exception {
        LogConfig cfg = config(Map.of("segment.bytes", "2000", "retention.bytes", "0"));
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            for (int i = 0; i < 60; i++) {
                log.appendAsLeader(batch(time.milliseconds(), "value-" + i), 0);
            }
            assertTrue(log.segmentCount() > 2);
            Records read = log.read(0, 1500, log.logEndOffset(), true);
            SegmentRecords slice = assertInstanceOf(SegmentRecords.class, read);
            List<String> expected = values(slice);
            LogSegment first = log.segments().get(0);
            File file = first.logFile();

            SegmentRecords.Lease lease = slice.lease();
            assertEquals(1, first.sendsInFlight());
            assertTrue(log.applyRetention() > 0);
            LogFixtures.drainScheduler(); // file.delete.delay.ms=0: the files are deleted now
            assertFalse(new File(dir, PartitionLog.dirName(LogFixtures.TP) + "/" + file.getName()).exists());
            assertEquals(1, handlesOn(file.getName()), "the send still holds the deleted file");

            assertEquals(expected, values(MemoryRecords.readableRecords(readThrough(lease))),
                    "every promised byte, with valid CRCs");
            lease.close();
            lease.close(); // a second close gives nothing back twice
            assertEquals(0, first.sendsInFlight());
            assertEquals(0, handlesOn(file.getName()), "the handle closes with the last lease");
            assertThrows(ClosedChannelException.class, slice::lease, "a deleted segment gives no new lease");
        }
    }

    @Test
    void aLeasedSegmentIsNotClosedForIdlenessAndReopensForALeaseAfterIdling() throws Exception {
        LogConfig cfg = config(Map.of("segment.bytes", "2000"));
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            for (int i = 0; i < 60; i++) {
                log.appendAsLeader(batch(time.milliseconds(), "value-" + i), 0);
            }
            SegmentRecords slice = (SegmentRecords) log.read(0, 1500, log.logEndOffset(), true);
            List<String> expected = values(slice);
            LogSegment first = log.segments().get(0);

            SegmentRecords.Lease lease = slice.lease();
            log.releaseIdleSegments(System.nanoTime() + 3_600_000_000_000L, 0);
            assertTrue(first.isFileOpen(), "not closed under a send");
            assertEquals(expected, values(MemoryRecords.readableRecords(readThrough(lease))));
            lease.close();
            log.releaseIdleSegments(System.nanoTime() + 3_600_000_000_000L, 0);
            assertFalse(first.isFileOpen(), "closed once idle and not sent from");

            // the slice read before the handle idled still leases (a new handle) and sends the same bytes
            try (SegmentRecords.Lease again = slice.lease()) {
                assertEquals(expected, values(MemoryRecords.readableRecords(readThrough(again))));
            }
        }
    }

    /** Reads the leased range through the leased handle, as sendfile would. */
    private static ByteBuffer readThrough(SegmentRecords.Lease lease) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) lease.count());
        org.apache.kafka.common.utils.Utils.readFully(lease.channel(), buffer, lease.position());
        buffer.flip();
        return buffer;
    }

    /** Handles of this process open on files named {@code name} (deleted ones included). */
    private long handlesOn(String name) throws IOException {
        try (var fds = Files.list(new File("/proc/self/fd").toPath())) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(target -> target.startsWith(dir.getAbsolutePath()) && target.contains(name)).count();
        }
    }
}
