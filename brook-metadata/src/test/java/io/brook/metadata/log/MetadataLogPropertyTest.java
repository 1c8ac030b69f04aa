package io.brook.metadata.log;

import io.brook.metadata.MetadataOps;
import io.brook.metadata.MetadataOps.Op;
import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.metadata.runtime.SnapshotPolicy;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.brook.metadata.MetadataOps.assertSameImage;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of controller decisions, written to the metadata log, then replayed; the log
 * file is then cut or damaged the way a crash or bad disk would, and reopened.
 *
 * <p>What Brook does with a damaged log, made explicit here: the first batch that is incomplete, fails
 * its checksum or does not carry the next offset is the damaged batch. If an intact batch follows it
 * somewhere, the open fails and the file is left as it is (committed metadata must not be dropped);
 * otherwise the damaged batch and everything after it are a torn tail, truncated at the open, and the
 * state is exactly that of the batches before it. (A batch that passes its checksum but does not decode
 * fails the replay: see {@link MetadataLogTest}.) The damage spares each batch's partition leader epoch:
 * as in Kafka, those four bytes lie outside the checksum.
 *
 * <p>jqwik runs these properties, not JUnit Jupiter, so the class {@code @Timeout} does not reach them:
 * each try is bounded by {@link #bounded}.
 */
@Timeout(60)
class MetadataLogPropertyTest {

    @Provide
    Arbitrary<List<Op>> ops() {
        return MetadataOps.ops(25);
    }

    /** The image replayed from disk equals the one the controller built in memory, after every decision. */
    @Property(tries = 60)
    void replayingTheLogGivesTheImageBuiltInMemory(@ForAll("ops") List<Op> ops) {
        bounded(() -> inTempDir(dir -> {
            MetadataImage expected = MetadataImage.EMPTY;
            try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
                for (Op op : ops) {
                    MetadataImage before = expected;
                    List<ApiMessageAndVersion> records = MetadataOps.decide(before, op);
                    controller.submit(image -> ControllerResult.of(MetadataOps.decide(image, op), null))
                            .get(10, TimeUnit.SECONDS);
                    if (!records.isEmpty()) {
                        expected = before.apply(records, before.offset() + records.size());
                    }
                    assertSameImage(expected, controller.image());
                }
            }
            try (LocalMetadataController reopened = LocalMetadataController.open(dir)) {
                assertSameImage(expected, reopened.image());
            }
        }));
    }

    /**
     * Snapshot plus tail equals full replay, on disk: decisions through a controller that snapshots every
     * few hundred bytes (so it rolls segments, deletes old ones and keeps two snapshots meanwhile), then a
     * restart, which loads the latest snapshot and replays the tail, gives the image built in memory.
     */
    @Property(tries = 30)
    void aRestartFromSnapshotsAndTheTailGivesTheImageBuiltInMemory(@ForAll("ops") List<Op> ops,
                                                                   @ForAll @IntRange(min = 1, max = 1500) int snapshotBytes) {
        bounded(() -> inTempDir(dir -> {
            MetadataImage expected = MetadataImage.EMPTY;
            SnapshotPolicy policy = new SnapshotPolicy(snapshotBytes, 0);
            try (LocalMetadataController controller = LocalMetadataController.open(dir, policy)) {
                for (Op op : ops) {
                    MetadataImage before = expected;
                    List<ApiMessageAndVersion> records = MetadataOps.decide(before, op);
                    controller.submit(image -> ControllerResult.of(MetadataOps.decide(image, op), null))
                            .get(10, TimeUnit.SECONDS);
                    if (!records.isEmpty()) {
                        expected = before.apply(records, before.offset() + records.size());
                    }
                }
            }
            try (LocalMetadataController reopened = LocalMetadataController.open(dir, policy)) {
                assertSameImage(expected, reopened.image());
            }
            try (LocalMetadataController again = LocalMetadataController.open(dir, policy)) {
                assertSameImage(expected, again.image());
            }
        }));
    }

    /**
     * A log cut at any byte (a crash during an append, or a lost tail) opens to the state of its
     * complete frames, loses the rest from the file, and takes appends again.
     */
    @Property(tries = 60)
    void aLogCutAtAnyByteRecoversToItsCompleteFrames(@ForAll("ops") List<Op> ops,
                                                     @ForAll @DoubleRange(max = 1.0, maxIncluded = false) double cut) {
        bounded(() -> inTempDir(dir -> {
            List<List<ApiMessageAndVersion>> batches = MetadataOps.batches(ops);
            List<Long> ends = write(dir, batches);
            long cutAt = (long) (cut * ends.get(ends.size() - 1));
            setLength(dir, cutAt);
            int complete = 0;
            while (complete + 1 < ends.size() && ends.get(complete + 1) <= cutAt) {
                complete++;
            }
            assertRecovers(dir, batches, complete, ends.get(complete));
        }));
    }

    /** Damage anywhere in the last frame: the log opens to the state before that frame. */
    @Property(tries = 60)
    void damageInTheLastFrameDropsOnlyThatFrame(@ForAll("ops") List<Op> ops, @ForAll long seed,
                                                @ForAll @IntRange(min = 1, max = 8) int damagedBytes) {
        bounded(() -> inTempDir(dir -> {
            List<List<ApiMessageAndVersion>> batches = MetadataOps.batches(ops);
            List<Long> ends = write(dir, batches);
            int last = batches.size();
            if (last == 0) {
                return;
            }
            damage(dir, new Random(seed), ends.get(last - 1), ends.get(last), damagedBytes, ends);
            assertRecovers(dir, batches, last - 1, ends.get(last - 1));
        }));
    }

    /**
     * Damage anywhere in the log: if an intact frame follows the first damaged frame, the open fails
     * naming both and changes nothing; otherwise it opens to the state before the first damaged frame.
     */
    @Property(tries = 60)
    void damageAnywhereFailsTheOpenIfAnIntactFrameFollowsElseDropsTheTail(
            @ForAll("ops") List<Op> ops, @ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int damagedBytes) {
        bounded(() -> inTempDir(dir -> {
            List<List<ApiMessageAndVersion>> batches = MetadataOps.batches(ops);
            List<Long> ends = write(dir, batches);
            long size = ends.get(ends.size() - 1);
            if (size == 0) {
                return;
            }
            SortedSet<Long> damaged = damage(dir, new Random(seed), 0, size, damagedBytes, ends);
            int intact = 0;
            while (ends.get(intact + 1) <= damaged.first()) {
                intact++;
            }
            // the scan for an intact batch cannot know which offset is due where: a batch damaged only in its
            // base offset (outside the checksum) counts as intact there, though recovery stops at it
            int next = intact + 1;
            while (next < batches.size() && !damaged.subSet(ends.get(next) + 8, ends.get(next + 1)).isEmpty()) {
                next++;
            }
            if (next == batches.size()) {
                assertRecovers(dir, batches, intact, ends.get(intact));
                return;
            }
            File file = segment(dir);
            byte[] before = Files.readAllBytes(file.toPath());
            IOException e = assertThrows(IOException.class, () -> replay(dir));
            assertTrue(e.getMessage().startsWith(file + ": the batch at byte " + ends.get(intact) + " is damaged "),
                    e.getMessage());
            assertTrue(e.getMessage().contains(" an intact batch follows at byte " + ends.get(next) + ": "),
                    e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file.toPath()), "nothing truncated");
        }));
    }

    /** Writes the batches; returns the file size before the first and after each batch. */
    private static List<Long> write(File dir, List<List<ApiMessageAndVersion>> batches) throws IOException {
        List<Long> ends = new ArrayList<>();
        ends.add(0L);
        try (MetadataLog log = MetadataLog.open(dir)) {
            for (List<ApiMessageAndVersion> batch : batches) {
                log.append(batch, 1, 0L);
                ends.add(segment(dir).length());
            }
        }
        return ends;
    }

    /** The log opens to the image of the first {@code complete} batches, is cut to their end, and appends. */
    private static void assertRecovers(File dir, List<List<ApiMessageAndVersion>> batches, int complete, long end)
            throws IOException {
        List<MetadataImage> images = MetadataOps.images(batches);
        assertSameImage(images.get(complete), replay(dir));
        assertEquals(end, segment(dir).length(), "the damaged tail is truncated");
        List<ApiMessageAndVersion> more = List.of(producerIds(-1, -1, Long.MAX_VALUE));
        try (MetadataLog log = MetadataLog.open(dir)) {
            log.append(more, 1, 0L);
        }
        MetadataImage expected = images.get(complete);
        assertSameImage(expected.apply(more, expected.offset() + 1), replay(dir));
    }

    private static MetadataImage replay(File dir) throws IOException {
        MetadataImage[] image = {MetadataImage.EMPTY};
        try (MetadataLog log = MetadataLog.open(dir)) {
            log.replay(0, batch -> image[0] = image[0].apply(batch.records(), batch.lastOffset()));
        }
        return image[0];
    }

    private static File segment(File dir) {
        return new File(dir, MetadataLog.segmentName(0));
    }

    private static void setLength(File dir, long length) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(segment(dir), "rw")) {
            file.setLength(length);
        }
    }

    /**
     * Changes {@code count} distinct random bytes in [from, to) (fewer if it has fewer), sparing the partition
     * leader epoch of the batches starting at {@code starts}; returns their positions.
     */
    private static SortedSet<Long> damage(File dir, Random random, long from, long to, int count, List<Long> starts)
            throws IOException {
        SortedSet<Long> damaged = new TreeSet<>();
        SortedSet<Long> spared = new TreeSet<>();
        for (long start : starts) {
            for (long b = start + 12; b < start + 16; b++) {
                if (b >= from && b < to) {
                    spared.add(b);
                }
            }
        }
        try (RandomAccessFile file = new RandomAccessFile(segment(dir), "rw")) {
            while (damaged.size() < Math.min(count, to - from - spared.size())) {
                long at = from + (long) (random.nextDouble() * (to - from));
                if (!spared.contains(at) && damaged.add(at)) {
                    file.seek(at);
                    int b = file.read();
                    file.seek(at);
                    file.write(b ^ (1 + random.nextInt(255)));
                }
            }
        }
        return damaged;
    }

    private interface DirTest {
        void run(File dir) throws Exception;
    }

    private static void inTempDir(DirTest test) throws Exception {
        Path dir = Files.createTempDirectory("brook-metadata");
        try {
            test.run(dir.toFile());
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void bounded(Executable tryBody) {
        assertTimeoutPreemptively(Duration.ofSeconds(20), tryBody);
    }
}
