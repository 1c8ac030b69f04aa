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
import org.openjdk.jmh.annotations.Param;
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

/**
 * Appending 16 KiB batches into the page cache: Brook's partition log (validation, offset
 * assignment, indexes, segment rolls) against a raw sequential {@code FileChannel.write} of the
 * same bytes. Both start from an empty directory every iteration. A rolled segment is flushed in
 * the background, as on a node, which competes with the appender for the disk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class AppendBenchmark {
    /** Bytes of one batch, as a producer with batch.size=16384 sends it. */
    static final int BATCH_BYTES = 16 * 1024;

    /** Runs the flushes of rolled segments, as the node's log I/O thread does. */
    static final java.util.concurrent.ScheduledExecutorService BACKGROUND =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bench-log-io");
                t.setDaemon(true);
                return t;
            });

    /** Kafka's default segment size, and a small one that rolls (and flushes) several times a second. */
    @Param({"1073741824", "268435456"})
    int segmentBytes;

    File dir;
    PartitionLog log;
    FileChannel raw;
    MemoryRecords batch;
    ByteBuffer rawBytes;

    @Setup(Level.Trial)
    public void buildBatch() {
        Random random = new Random(1);
        SimpleRecord[] records = new SimpleRecord[16];
        for (int i = 0; i < records.length; i++) {
            byte[] value = new byte[BATCH_BYTES / records.length - 80];
            random.nextBytes(value);
            records[i] = new SimpleRecord(System.currentTimeMillis(), ("key-" + i).getBytes(), value);
        }
        batch = MemoryRecords.withRecords(Compression.NONE, records);
        rawBytes = batch.buffer().duplicate();
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
        dir = Files.createTempDirectory("brook-append-bench").toFile();
        log = PartitionLog.open(new File(dir, "bench-0"), new TopicPartition("bench", 0), Uuid.randomUuid(),
                LogConfig.fromMap(Map.of("segment.bytes", String.valueOf(segmentBytes))), 0, 0, true,
                Time.SYSTEM, BACKGROUND);
        raw = FileChannel.open(new File(dir, "raw.log").toPath(), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        log.close();
        raw.close();
        BenchFiles.deleteRecursively(dir);
    }

    @Benchmark
    public long brookAppend() throws IOException {
        return log.appendAsLeader(batch, 0).lastOffset();
    }

    @Benchmark
    public int rawFileChannelWrite() throws IOException {
        ByteBuffer b = rawBytes.duplicate();
        int written = 0;
        while (b.hasRemaining()) {
            written += raw.write(b);
        }
        return written;
    }
}
