package io.brook.bench;

import io.brook.storage.cleaner.Cleaner;
import io.brook.storage.cleaner.CleanerConfig;
import io.brook.storage.cleaner.CleaningPlanner;
import io.brook.storage.cleaner.LogCleaner;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Random;

/**
 * The cleaner alone, in process, for profiling ({@code -XX:+FlightRecorder}): writes
 * {@code mib} MiB of 1 KiB keyed records (10% unique keys, 64 MiB segments) straight into a
 * partition log, then cleans it once and prints the throughput. The side-by-side figure against
 * Kafka comes from {@code ROWS=compact brook-bench/side-by-side.sh}, not from here.
 *
 * <p>Usage: {@code CleanerBench [mib] [runs]}
 */
public final class CleanerBench {
    private CleanerBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int records = mib * 1024;
        int uniqueKeys = records / 10;
        for (int run = 0; run < runs; run++) {
            File dir = Files.createTempDirectory("brook-cleaner-bench").toFile();
            try (LogManager logs = new LogManager(dir, Time.SYSTEM, null)) {
                PartitionLog log = logs.getOrCreate(new TopicPartition("compact", 0), Uuid.randomUuid(),
                        LogConfig.fromMap(Map.of("cleanup.policy", "compact", "segment.bytes", "67108864")));
                Random random = new Random(42);
                byte[] value = new byte[1024];
                SimpleRecord[] batch = new SimpleRecord[64];
                for (int i = 0; i < records; i += batch.length) {
                    for (int r = 0; r < batch.length; r++) {
                        random.nextBytes(value);
                        batch[r] = new SimpleRecord(1L, ("key-" + random.nextInt(uniqueKeys))
                                .getBytes(StandardCharsets.UTF_8), value.clone());
                    }
                    log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, batch), 0);
                }
                log.roll(System.currentTimeMillis());
                LogCleaner cleaners = new LogCleaner(CleanerConfig.defaults(), logs, Time.SYSTEM);
                Cleaner cleaner = cleaners.newCleaner();
                long start = System.nanoTime();
                Cleaner.Result result = cleaner.clean(log, CleaningPlanner.plan(log, -1, System.currentTimeMillis()));
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("run %d: cleaned %.1f MiB in %.2f s: %.1f MiB/s, %d -> %d records%n", run,
                        result.bytesRead() / 1048576.0, seconds, result.bytesRead() / 1048576.0 / seconds,
                        result.recordsRead(), result.recordsRetained());
            } finally {
                BenchFiles.deleteRecursively(dir);
            }
        }
    }
}
