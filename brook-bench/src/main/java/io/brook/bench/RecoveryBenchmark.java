package io.brook.bench;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * Opening a 1 GiB partition log (one default-sized segment, 16 KiB batches) in the page cache:
 * after a clean shutdown (indexes trusted, nothing scanned) and after a crash (every batch read
 * and its CRC checked, indexes rebuilt, producer state replayed), against the least a full check
 * must do: a raw sequential read of the same file with a CRC32C over every byte.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class RecoveryBenchmark {
    static final long LOG_BYTES = 1024L * 1024 * 1024;
    static final TopicPartition TP = new TopicPartition("bench", 0);

    File dir;
    File partitionDir;
    Uuid topicId;
    LogConfig config;
    long logEnd;
    ByteBuffer rawBuffer = ByteBuffer.allocateDirect(1024 * 1024);

    @Setup(Level.Trial)
    public void fill() throws IOException {
        dir = Files.createTempDirectory("brook-recovery-bench").toFile();
        partitionDir = new File(dir, "bench-0");
        topicId = Uuid.randomUuid();
        config = LogConfig.fromMap(Map.of());
        Random random = new Random(1);
        byte[] value = new byte[1000];
        try (PartitionLog log = PartitionLog.open(partitionDir, TP, topicId, config, 0, 0, true, Time.SYSTEM, null)) {
            while (log.size() < LOG_BYTES) {
                SimpleRecord[] records = new SimpleRecord[16];
                for (int i = 0; i < records.length; i++) {
                    random.nextBytes(value);
                    records[i] = new SimpleRecord(System.currentTimeMillis(), null, value.clone());
                }
                log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, records), 0);
            }
            logEnd = log.logEndOffset();
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        BenchFiles.deleteRecursively(dir);
    }

    @Benchmark
    public long brookOpenAfterCleanShutdown() throws IOException {
        try (PartitionLog log = PartitionLog.open(partitionDir, TP, topicId, config, logEnd, 0, true,
                Time.SYSTEM, null)) {
            return log.logEndOffset();
        }
    }

    @Benchmark
    public long brookOpenAfterCrash() throws IOException {
        try (PartitionLog log = PartitionLog.open(partitionDir, TP, topicId, config, 0, 0, false,
                Time.SYSTEM, null)) {
            return log.logEndOffset();
        }
    }

    @Benchmark
    public long rawReadWithCrc32c() throws IOException {
        CRC32C crc = new CRC32C();
        long read = 0;
        try (FileChannel file = FileChannel.open(new File(partitionDir, "00000000000000000000.log").toPath(),
                StandardOpenOption.READ)) {
            int n;
            while ((n = file.read(rawBuffer.clear())) > 0) {
                rawBuffer.flip();
                crc.update(rawBuffer);
                read += n;
            }
        }
        return read + crc.getValue();
    }
}
