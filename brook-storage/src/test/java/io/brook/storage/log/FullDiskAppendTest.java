package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An append that meets a full disk (a real ENOSPC, on a small tmpfs) changes nothing a later append trips over: the
 * segment writes the records before their index entries, as Kafka's does, and cuts off whatever part of them was
 * written, so a failed write leaves neither torn bytes nor an index entry behind. (The node takes the directory
 * offline after any I/O error; this is the segment's own guarantee underneath.) Mounting needs root with
 * CAP_SYS_ADMIN; elsewhere the test is skipped.
 */
class FullDiskAppendTest {
    private static final TopicPartition TP = new TopicPartition("full", 0);

    @TempDir
    File work;
    private File disk;
    private boolean mounted;

    @BeforeEach
    void mount() throws Exception {
        disk = new File(work, "disk");
        Files.createDirectories(disk.toPath());
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.getPath())
                .redirectErrorStream(true).start();
        String output = new String(mount.getInputStream().readAllBytes()).trim();
        mounted = mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): " + output);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            Process umount = new ProcessBuilder("umount", "-l", disk.getPath()).redirectErrorStream(true).start();
            umount.getInputStream().readAllBytes();
            umount.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anAppendThatMeetsAFullDiskLeavesNoIndexEntryForItsRecords() throws Exception {
        // an index entry every batch, so that the failed batch would have had one
        PartitionLog log = PartitionLog.open(new File(disk, PartitionLog.dirName(TP)), TP, Uuid.randomUuid(),
                LogConfig.fromMap(Map.of("index.interval.bytes", "1")), 0, 0, true, Time.SYSTEM, null);
        try {
            for (int i = 0; i < 10; i++) {
                log.appendAsLeader(batch(), 0);
            }
            File filler = new File(disk, "filler");
            try (FileOutputStream out = new FileOutputStream(filler)) {
                while (true) {
                    out.write(new byte[4096]);
                }
            } catch (IOException full) {
                assertTrue(String.valueOf(full.getMessage()).contains("No space left on device"), full.toString());
            }
            IOException failed = null;
            for (int i = 0; i < 20 && failed == null; i++) { // the segment file's last page may take a few first
                try {
                    log.appendAsLeader(batch(), 0);
                } catch (IOException e) {
                    failed = e;
                }
            }
            assertTrue(failed != null && String.valueOf(failed.getMessage()).contains("No space left"),
                    "an append met the full disk: " + failed);
            long end = log.logEndOffset();

            assertTrue(filler.delete(), "space freed");
            assertEquals(end, log.appendAsLeader(batch(), 0).firstOffset(),
                    "the next append takes the offset the failed one did not, and its index entry goes in order");
            assertEquals(end + 1, log.logEndOffset());
            long offset = 0;
            while (offset < log.logEndOffset()) { // every batch reads back whole, in order: no torn bytes between
                Records read = log.read(offset, Integer.MAX_VALUE, Long.MAX_VALUE, true);
                for (RecordBatch batch : read.batches()) {
                    batch.ensureValid();
                    assertEquals(offset, batch.baseOffset());
                    offset = batch.nextOffset();
                }
            }
            assertEquals(end + 1, offset);
        } finally {
            log.close();
        }
    }

    private static MemoryRecords batch() {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(new byte[1000]));
    }
}
