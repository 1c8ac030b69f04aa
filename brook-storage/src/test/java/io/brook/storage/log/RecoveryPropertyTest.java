package io.brook.storage.log;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash recovery: random batches are appended, part of them flushed, then the unflushed tail of
 * the newest segment is torn (truncated) or overwritten with garbage at random positions, and
 * the log is reopened as after an unclean shutdown. The recovered log must never contain a corrupt
 * batch, must keep every flushed batch, and must have contiguous offsets.
 */
class RecoveryPropertyTest {

    @Property(tries = 150)
    void recoveryNeverServesCorruptDataNorLosesFlushedBatches(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        File dir = Files.createTempDirectory("brook-recovery").toFile();
        try {
            run(random, dir);
        } finally {
            LogFixtures.deleteRecursively(dir);
        }
    }

    private void run(Random random, File dir) throws IOException {
        LogConfig config = LogFixtures.config(Map.of("segment.bytes", String.valueOf(512 + random.nextInt(4096)),
                "index.interval.bytes", String.valueOf(1 + random.nextInt(512))));
        ManualTime time = new ManualTime(1_700_000_000_000L);
        List<String> written = new ArrayList<>();
        int batches = 1 + random.nextInt(60);
        int flushedBatches = random.nextInt(batches + 1);
        long flushedOffset = 0;
        LogOffsetMetadata flushedEnd;
        LogOffsetMetadata end;
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            flushedEnd = log.logEndOffsetMetadata();
            for (int b = 0; b < batches; b++) {
                int records = 1 + random.nextInt(5);
                String[] values = new String[records];
                for (int r = 0; r < records; r++) {
                    values[r] = "b" + b + "r" + r + "-" + "x".repeat(random.nextInt(200));
                    written.add(values[r]);
                }
                log.appendAsLeader(LogFixtures.batch(time.milliseconds(), values), 0);
                if (random.nextInt(8) == 0) { // idle segments give back their file and index: nothing changes
                    log.releaseIdleSegments(System.nanoTime(), 0);
                }
                if (b + 1 == flushedBatches) {
                    log.flush();
                    flushedOffset = log.logEndOffset();
                    flushedEnd = log.logEndOffsetMetadata();
                }
            }
            end = log.logEndOffsetMetadata();
        }
        File logFile = LogSegment.logFile(new File(dir, "t-0"), end.segmentBaseOffset());
        long minPosition = end.segmentBaseOffset() == flushedEnd.segmentBaseOffset() ? flushedEnd.position() : 0;
        try (RandomAccessFile file = new RandomAccessFile(logFile, "rw")) {
            long length = file.length();
            if (length > minPosition) {
                if (random.nextBoolean()) {
                    file.setLength(minPosition + (long) (random.nextDouble() * (length - minPosition)));
                } else {
                    int corruptions = 1 + random.nextInt(3);
                    for (int i = 0; i < corruptions; i++) {
                        long at = minPosition + (long) (random.nextDouble() * (length - minPosition));
                        file.seek(at);
                        file.write(random.nextInt(256));
                    }
                }
            }
        }

        try (PartitionLog recovered = LogFixtures.reopen(dir, config, time, flushedOffset, false)) {
            long leo = recovered.logEndOffset();
            if (random.nextBoolean()) {
                recovered.releaseIdleSegments(System.nanoTime(), 0);
            }
            assertTrue(leo >= flushedOffset, "lost flushed data: end " + leo + " < flushed " + flushedOffset);
            long expectedOffset = 0;
            List<String> values = new ArrayList<>();
            while (expectedOffset < leo) {
                Records chunk = recovered.read(expectedOffset, Integer.MAX_VALUE, leo, true);
                assertTrue(chunk.sizeInBytes() > 0, "no data at " + expectedOffset + " below the end " + leo);
                for (RecordBatch batch : chunk.batches()) {
                    batch.ensureValid();
                    for (var record : batch) {
                        assertEquals(expectedOffset++, record.offset(), "offsets contiguous");
                        values.add(java.nio.charset.StandardCharsets.UTF_8.decode(record.value()).toString());
                    }
                }
            }
            assertEquals(leo, expectedOffset);
            assertEquals(written.subList(0, values.size()), values, "recovered records are a prefix of the written");
            // the recovered log accepts new appends at its end
            recovered.appendAsLeader(LogFixtures.batch(time.milliseconds(), "after"), 0);
            assertEquals(leo + 1, recovered.logEndOffset());
        }
    }
}
