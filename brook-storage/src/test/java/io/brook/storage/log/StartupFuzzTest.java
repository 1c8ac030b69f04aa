package io.brook.storage.log;

import io.brook.storage.checkpoint.PartitionMetadataFile;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up over damaged files: a log directory holds two partitions written with plain,
 * idempotent and transactional batches (segments, indexes, producer snapshots, leader epochs);
 * one to three files of one partition are damaged (bytes flipped, truncated, extended with
 * garbage, zero-filled, a length-like field set huge) and the directory is loaded as the server
 * does on start-up. The load never fails: the damaged partition is recovered to a valid prefix of
 * what was written (after an unclean stop), or taken offline with its cause; the other partition
 * always loads whole.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StartupFuzzTest {
    private static final TopicPartition VICTIM = new TopicPartition("t", 0);
    private static final TopicPartition HEALTHY = new TopicPartition("u", 0);
    private static final Map<String, Uuid> IDS = Map.of("t", Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ"),
            "u", Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAg"));

    @Property(tries = 100)
    void aDamagedPartitionNeverStopsTheStart(@ForAll long seed) throws IOException {
        File root = Files.createTempDirectory("brook-startup-fuzz").toFile();
        try {
            run(new Random(seed), root);
        } finally {
            LogFixtures.deleteRecursively(root);
        }
    }

    private void run(Random random, File root) throws IOException {
        LogConfig config = LogFixtures.config(Map.of("segment.bytes", String.valueOf(600 + random.nextInt(3000)),
                "index.interval.bytes", String.valueOf(1 + random.nextInt(400))));
        ManualTime time = new ManualTime(1_700_000_000_000L);
        boolean clean = random.nextBoolean();
        Map<TopicPartition, List<String>> written = new HashMap<>();
        LogDir dir = new LogDir(root, time, LogFixtures.SCHEDULER);
        for (TopicPartition tp : List.of(VICTIM, HEALTHY)) {
            PartitionLog log = dir.getOrCreate(tp, IDS.get(tp.topic()), config);
            written.put(tp, write(random, log, time));
        }
        if (clean) {
            dir.close();
        } else {
            for (PartitionLog log : dir.all()) {
                log.close(); // no checkpoints, no clean-shutdown marker: the next load recovers everything
            }
        }

        File victimDir = new File(root, PartitionLog.dirName(VICTIM));
        List<String> damage = damage(random, victimDir);
        Uuid storedId = storedId(victimDir);
        LogDir reopened = new LogDir(root, time, LogFixtures.SCHEDULER);
        try {
            reopened.loadLogs(topic -> config, IDS::get);
            PartitionLog healthy = reopened.get(HEALTHY);
            assertNotNull(healthy, "the undamaged partition loads; damage: " + damage);
            assertEquals(written.get(HEALTHY), readAll(healthy), "the undamaged partition is whole");

            PartitionLog victim = reopened.get(VICTIM);
            if (victim == null) {
                if (storedId != null && !storedId.equals(IDS.get(VICTIM.topic()))) {
                    // the damage made another valid topic id: the directory looks like what a topic deleted
                    // and created again while the node was down leaves, and goes as such
                    assertFalse(victimDir.exists(), "a directory of another topic id is removed; damage: " + damage);
                } else {
                    assertNotNull(reopened.failure(VICTIM), "a partition that did not load says why; damage: "
                            + damage);
                }
                return;
            }
            assertNull(reopened.failure(VICTIM));
            if (!clean) { // after a clean stop nothing is validated (as in Kafka): damaged bytes are served as they are
                List<String> values = readAll(victim); // validates every batch's CRC
                List<String> expected = written.get(VICTIM);
                assertTrue(values.size() <= expected.size() && expected.subList(0, values.size()).equals(values),
                        "recovery keeps a prefix of what was written; damage: " + damage + ", got " + values);
            }
            victim.appendAsLeader(LogFixtures.batch(time.milliseconds(), "after-start"), 9);
            if (!clean) {
                assertEquals("after-start", LogFixtures.values(LogFixtures.readAll(victim, victim.logEndOffset() - 1,
                        victim.logEndOffset())).get(0), "the recovered partition takes new writes; damage: " + damage);
            }
        } finally {
            reopened.close();
        }
    }

    /** Appends plain, idempotent and transactional batches under rising leader epochs; returns the values. */
    private static List<String> write(Random random, PartitionLog log, ManualTime time) throws IOException {
        List<String> values = new ArrayList<>();
        Map<Long, Integer> sequences = new HashMap<>();
        int idempotentSequence = 0;
        int epoch = 0;
        for (int b = 0, batches = 5 + random.nextInt(40); b < batches; b++) {
            if (random.nextInt(10) == 0) {
                epoch++;
            }
            String value = "b" + b + "-" + "x".repeat(random.nextInt(150));
            time.sleep(10);
            switch (random.nextInt(4)) {
                case 0 -> {
                    log.appendAsLeader(LogFixtures.idempotent(7, (short) 0, idempotentSequence, value), epoch);
                    idempotentSequence++;
                }
                case 1 -> {
                    log.appendAsLeader(LogFixtures.transactional(sequences, 9, time.milliseconds(), "k", value),
                            epoch);
                    log.appendMarker(9, (short) 0, 0, random.nextBoolean(), epoch);
                }
                default -> log.appendAsLeader(LogFixtures.batch(time.milliseconds(), value), epoch);
            }
            values.add(value);
        }
        log.flush();
        return values;
    }

    /** Damages one to three files of the partition directory; returns what was done, for the failure message. */
    private static List<String> damage(Random random, File partitionDir) throws IOException {
        File[] files = partitionDir.listFiles(File::isFile);
        List<String> done = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(3); i < n && files != null && files.length > 0; i++) {
            File file = files[random.nextInt(files.length)];
            try (RandomAccessFile raf = new RandomAccessFile(file, "rw")) {
                long length = raf.length();
                switch (random.nextInt(6)) {
                    case 0 -> {
                        for (int f = 0, flips = 1 + random.nextInt(8); f < flips && length > 0; f++) {
                            long at = (long) (random.nextDouble() * length);
                            raf.seek(at);
                            int b = raf.read();
                            raf.seek(at);
                            raf.write(b ^ (1 << random.nextInt(8)));
                        }
                        done.add("flipped bytes of " + file.getName());
                    }
                    case 1 -> {
                        long to = (long) (random.nextDouble() * length);
                        raf.setLength(to);
                        done.add("truncated " + file.getName() + " to " + to + " of " + length);
                    }
                    case 2 -> {
                        byte[] garbage = new byte[1 + random.nextInt(4096)];
                        random.nextBytes(garbage);
                        raf.seek(length);
                        raf.write(garbage);
                        done.add("extended " + file.getName() + " with " + garbage.length + " garbage bytes");
                    }
                    case 3 -> {
                        long from = (long) (random.nextDouble() * length);
                        raf.seek(from);
                        raf.write(new byte[(int) (length - from)]);
                        done.add("zero-filled " + file.getName() + " from " + from);
                    }
                    case 4 -> {
                        if (length >= 4) {
                            raf.seek((long) (random.nextDouble() * (length - 3)));
                            raf.writeInt(random.nextBoolean() ? Integer.MAX_VALUE : -1 - random.nextInt(1000));
                        }
                        done.add("a huge int in " + file.getName());
                    }
                    default -> {
                        byte[] garbage = new byte[random.nextInt(200)];
                        random.nextBytes(garbage);
                        raf.setLength(0);
                        raf.write(garbage);
                        done.add("replaced " + file.getName() + " with " + garbage.length + " garbage bytes");
                    }
                }
            }
        }
        return done;
    }

    /** The topic id in the directory's partition.metadata, or null when there is none or it cannot be read. */
    private static Uuid storedId(File partitionDir) {
        try {
            return PartitionMetadataFile.read(partitionDir);
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    private static List<String> readAll(PartitionLog log) throws IOException {
        MemoryRecords records = LogFixtures.readAll(log, log.logStartOffset(), log.logEndOffset());
        List<String> values = new ArrayList<>();
        for (var batch : records.batches()) {
            batch.ensureValid();
            if (!batch.isControlBatch()) {
                batch.forEach(r -> values.add(java.nio.charset.StandardCharsets.UTF_8.decode(r.value()).toString()));
            }
        }
        return values;
    }
}
