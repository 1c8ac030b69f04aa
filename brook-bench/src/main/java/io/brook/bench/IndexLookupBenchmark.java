package io.brook.bench;

import io.brook.storage.index.OffsetIndex;
import io.brook.storage.index.TimeIndex;
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
import java.nio.file.Files;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Index lookups as a fetch does them: the offset index of one segment with {@code entries} entries,
 * looked up at random offsets and at offsets near its end (consumers that keep up), and the time
 * index at random timestamps. Uses only the index API that the array-backed and the memory-mapped
 * implementations share, so the same compiled benchmark runs against either brook-storage jar.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms256m", "-Xmx256m"})
public class IndexLookupBenchmark {
    private static final long BASE = 1_000_000;

    @Param({"100000"})
    int entries;

    File dir;
    OffsetIndex offsetIndex;
    TimeIndex timeIndex;
    long[] randomOffsets;
    long[] tailOffsets;
    long[] timestamps;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        dir = Files.createTempDirectory("brook-index-bench").toFile();
        offsetIndex = OffsetIndex.createEmpty(new File(dir, "00000000000001000000.index"), BASE, entries);
        timeIndex = TimeIndex.createEmpty(new File(dir, "00000000000001000000.timeindex"), BASE, entries);
        for (int i = 0; i < entries; i++) {
            offsetIndex.append(BASE + 10L * i + 9, 4096 * i + 1);
            timeIndex.maybeAppend(1_700_000_000_000L + 7L * i, BASE + 10L * i + 9);
        }
        Random random = new Random(7);
        randomOffsets = new long[4096];
        tailOffsets = new long[4096];
        timestamps = new long[4096];
        for (int i = 0; i < randomOffsets.length; i++) {
            randomOffsets[i] = BASE + (long) (random.nextDouble() * 10L * entries);
            tailOffsets[i] = BASE + 10L * entries - 1 - random.nextInt(2000);
            timestamps[i] = 1_700_000_000_000L + (long) (random.nextDouble() * 7L * entries);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        offsetIndex.close();
        timeIndex.close();
        for (File f : dir.listFiles()) {
            Files.delete(f.toPath());
        }
        Files.delete(dir.toPath());
    }

    /** Per thread: which of the precomputed targets comes next. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int advance() {
            next = (next + 1) & 4095;
            return next;
        }
    }

    @Benchmark
    public int offsetLookupRandom(Cursor cursor) throws IOException {
        return offsetIndex.lookupPosition(randomOffsets[cursor.advance()]);
    }

    @Benchmark
    public int offsetLookupNearEnd(Cursor cursor) throws IOException {
        return offsetIndex.lookupPosition(tailOffsets[cursor.advance()]);
    }

    @Benchmark
    public long timeLookupRandom(Cursor cursor) throws IOException {
        return timeIndex.lookupOffsetBefore(timestamps[cursor.advance()]);
    }
}
