package io.brook.bench;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Reading 1 MiB per fetch with {@code transferTo} from a 256 MiB log in the page cache: Brook's
 * partition log (segment and index lookup, slice at batch boundaries) against a raw
 * {@code FileChannel.transferTo} of the same file, both into a socket-like sink.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class ReadBenchmark {
    static final int FETCH_BYTES = 1024 * 1024;
    static final long LOG_BYTES = 256L * 1024 * 1024;

    File dir;
    PartitionLog log;
    FileChannel rawFile;
    FileChannel sink;
    TransferableChannel sinkChannel;
    long nextOffset;
    int batchBytes;
    long rawPosition;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        dir = Files.createTempDirectory("brook-read-bench").toFile();
        log = PartitionLog.open(new File(dir, "bench-0"), new TopicPartition("bench", 0), Uuid.randomUuid(),
                LogConfig.fromMap(Map.of("segment.bytes", String.valueOf(512 * 1024 * 1024))), 0, 0, true,
                Time.SYSTEM, null);
        Random random = new Random(1);
        byte[] value = new byte[1000];
        while (log.size() < LOG_BYTES) {
            SimpleRecord[] records = new SimpleRecord[16];
            for (int i = 0; i < records.length; i++) {
                random.nextBytes(value);
                records[i] = new SimpleRecord(System.currentTimeMillis(), null, value.clone());
            }
            MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, records);
            batchBytes = batch.sizeInBytes();
            log.appendAsLeader(batch, 0);
        }
        rawFile = FileChannel.open(new File(dir, "bench-0/00000000000000000000.log").toPath(),
                StandardOpenOption.READ);
        sink = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE);
        sinkChannel = new DevNullChannel(sink);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        log.close();
        rawFile.close();
        sink.close();
        BenchFiles.deleteRecursively(dir);
    }

    @Benchmark
    public long brookReadTransferTo() throws IOException {
        if (nextOffset >= log.logEndOffset()) {
            nextOffset = 0;
        }
        Records records = log.read(nextOffset, FETCH_BYTES, log.logEndOffset(), true);
        long sent = 0;
        while (sent < records.sizeInBytes()) {
            sent += records.writeTo(sinkChannel, (int) sent, (int) (records.sizeInBytes() - sent));
        }
        // every batch here holds 16 records and has the same size; a consumer would parse them
        nextOffset += (long) (records.sizeInBytes() / batchBytes) * 16;
        return sent;
    }

    @Benchmark
    public long rawTransferTo() throws IOException {
        if (rawPosition + FETCH_BYTES > rawFile.size()) {
            rawPosition = 0;
        }
        long sent = 0;
        while (sent < FETCH_BYTES) {
            sent += rawFile.transferTo(rawPosition + sent, FETCH_BYTES - sent, sink);
        }
        rawPosition += sent;
        return sent;
    }

    /** A sink that accepts transfers like a socket channel would. */
    private static final class DevNullChannel implements TransferableChannel {
        private final FileChannel out;

        DevNullChannel(FileChannel out) {
            this.out = out;
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            return fileChannel.transferTo(position, count, out);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return out.write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return out.write(srcs);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
