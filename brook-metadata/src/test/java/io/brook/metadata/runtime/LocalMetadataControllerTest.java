package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataLog;
import io.brook.metadata.log.MetadataSnapshots;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.brook.metadata.MetadataOps.assertSameImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class LocalMetadataControllerTest {
    private static final List<Integer> BROKERS = List.of(1);

    @TempDir
    File dir;

    private static Function<MetadataImage, ControllerResult<CreatedTopic>> create(String name) {
        return image -> TopicControl.createTopic(image, new NewTopic(name, 2, (short) 1, null, Map.of("a", "b")),
                BROKERS, 1, (short) 1, Uuid::randomUuid);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    private long logBytes() {
        return new File(dir, MetadataLog.segmentName(0)).length();
    }

    @Test
    void decisionsAreWrittenAppliedPublishedAndReplayed() throws Exception {
        List<MetadataImage> published = new CopyOnWriteArrayList<>();
        MetadataImage last;
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            assertSame(MetadataImage.EMPTY, controller.image());
            controller.addPublisher((delta, image) -> published.add(image));
            CreatedTopic created = await(controller.submit(create("t")));
            assertEquals(created.topicId(), controller.image().topic("t").id());
            assertEquals(0L, await(controller.submit(ProducerIdControl::allocateBlock)));
            assertEquals(1000L, await(controller.submit(ProducerIdControl::allocateBlock)));
            last = controller.image();
            assertEquals(5, last.offset()); // topic, 2 partitions, 1 config, then 2 producer id records
            assertEquals(3, published.size());
            assertSame(last, published.get(2));
        }
        try (LocalMetadataController reopened = LocalMetadataController.open(dir)) {
            assertSameImage(last, reopened.image());
            assertEquals(2000L, await(reopened.submit(ProducerIdControl::allocateBlock)));
        }
    }

    @Test
    void aSingleNodeRunsItsActivationListenerOnceOnTheControllerThreadBeforeLaterDecisions() throws Exception {
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            await(controller.submit(create("t")));
            List<String> activations = new CopyOnWriteArrayList<>();
            controller.addActivationListener(image -> activations.add(Thread.currentThread().getName() + "@"
                    + image.offset()));
            // the decision runs after the listener: it sees the activation done
            int seen = await(controller.submit(image -> ControllerResult.of(List.of(), activations.size())));
            assertEquals(1, seen);
            assertEquals(List.of("brook-controller@" + controller.image().offset()), activations);
            await(controller.submit(create("u")));
            assertEquals(1, activations.size(), "a single node never becomes active again");
        }
    }

    @Test
    void aRefusedDecisionWritesNothing() throws Exception {
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            await(controller.submit(create("t")));
            MetadataImage image = controller.image();
            long bytes = logBytes();
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(create("t"))));
            assertInstanceOf(TopicExistsException.class, e.getCause());
            assertSame(image, controller.image());
            assertEquals(bytes, logBytes());
        }
    }

    @Test
    void validateOnlyDecidesButWritesNothing() throws Exception {
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            CreatedTopic created = await(controller.submit(create("t"), true));
            assertNotNull(created.topicId());
            assertNull(controller.image().topic("t"));
            assertEquals(0, logBytes());
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(
                    image -> TopicControl.deleteTopic(image, "t", null), true)));
            assertEquals("This server does not host topic 't'.", e.getCause().getMessage());
        }
    }

    /**
     * Records the image rejects must never reach the log: every later start would replay them and
     * fail. (They were written first and applied after, so the broker could not restart.)
     */
    @Test
    void recordsTheImageRejectsAreNotWritten() throws Exception {
        MetadataImage image;
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            await(controller.submit(create("t")));
            image = controller.image();
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(
                    current -> ControllerResult.of(List.of(partition(new Uuid(7, 7), 0, List.of(1),
                            List.of(1), 1, 0, 0)), null))));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertSame(image, controller.image());
            await(controller.submit(create("u")));
            image = controller.image();
        }
        try (LocalMetadataController reopened = LocalMetadataController.open(dir)) {
            assertSameImage(image, reopened.image());
        }
        assertEquals(7, image.offset(), "offsets stay contiguous");
    }

    @Test
    void closeWaitsForSubmittedDecisions() throws Exception {
        CompletableFuture<CreatedTopic> pending;
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            pending = controller.submit(create("t"));
        }
        assertNotNull(await(pending));
        try (LocalMetadataController reopened = LocalMetadataController.open(dir)) {
            assertNotNull(reopened.image().topic("t"));
        }
    }

    @Test
    void aLogThatDoesNotReplayFailsTheOpen() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir)) {
            log.append(List.of(partition(new Uuid(7, 7), 0, List.of(1), List.of(1), 1, 0, 0)), 1, 0L);
        }
        IOException e = assertThrows(IOException.class, () -> LocalMetadataController.open(dir));
        assertEquals(dir + ": the metadata batch at offset 0 does not apply: metadata record for unknown topic id "
                + new Uuid(7, 7), e.getMessage());
    }

    /** Files in the metadata directory whose names end with {@code suffix}, sorted. */
    private List<String> files(String suffix) {
        String[] names = dir.list((d, name) -> name.endsWith(suffix));
        return names == null ? List.of() : java.util.Arrays.stream(names).sorted().toList();
    }

    /** Waits (bounded) until {@code condition} holds, polling the controller's state. */
    private void eventually(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; files: " + files(""));
            }
            Thread.sleep(20);
        }
    }

    /**
     * With a small byte threshold every few decisions take a snapshot: the log rolls, the latest two
     * snapshots stay, segments below the older kept one go, and a restart loads the latest snapshot and
     * replays only the tail to the same image.
     */
    @Test
    void snapshotsAreTakenByBytesKeptTwoDeepAndBoundTheLog() throws Exception {
        SnapshotPolicy policy = new SnapshotPolicy(600, 0);
        MetadataImage last;
        try (LocalMetadataController controller = LocalMetadataController.open(dir, policy)) {
            for (int i = 0; i < 12 || files(".checkpoint").size() < 2 && i < 500; i++) {
                await(controller.submit(create("t" + i)));
                await(controller.submit(ProducerIdControl::allocateBlock));
            }
            last = controller.image();
            // the newest file is renamed into place before the controller records it as its latest snapshot
            eventually(() -> controller.latestSnapshot() != null && files(".checkpoint").size() == 2
                    && files(".checkpoint").get(1).equals(controller.latestSnapshot().fileName())
                    && files(".log").size() <= 3, "two snapshots, the newer recorded, and a bounded log");
            MetadataSnapshots.SnapshotId latest = controller.latestSnapshot();
            assertEquals(files(".checkpoint").get(1), latest.fileName());
            assertEquals(LocalMetadataController.SINGLE_NODE_EPOCH, latest.epoch());
        }
        List<MetadataSnapshots.SnapshotId> ids = MetadataSnapshots.list(dir);
        long oldestSegment = Long.parseLong(files(".log").get(0).substring(0, 20));
        assertTrue(oldestSegment > 0, "the first segments were deleted");
        assertTrue(oldestSegment <= ids.get(0).endOffset(), "the log still reaches back to the older snapshot");
        try (LocalMetadataController reopened = LocalMetadataController.open(dir, policy)) {
            assertSameImage(last, reopened.image());
            assertEquals(ids.get(ids.size() - 1), reopened.latestSnapshot());
            assertNotNull(await(reopened.submit(create("after"))));
        }
    }

    /** A damaged latest snapshot is skipped: start-up falls back to the older one and a longer tail. */
    @Test
    void aDamagedLatestSnapshotFallsBackToTheOlderOne() throws Exception {
        SnapshotPolicy policy = new SnapshotPolicy(600, 0);
        MetadataImage last;
        try (LocalMetadataController controller = LocalMetadataController.open(dir, policy)) {
            for (int i = 0; i < 12 || files(".checkpoint").size() < 2 && i < 500; i++) {
                await(controller.submit(create("t" + i)));
            }
            eventually(() -> files(".checkpoint").size() == 2, "two snapshots");
            eventually(() -> controller.latestSnapshot() != null, "the snapshot recorded");
            last = controller.image();
        }
        List<MetadataSnapshots.SnapshotId> ids = MetadataSnapshots.list(dir);
        ids = ids.subList(ids.size() - 2, ids.size()); // a third may have finished while closing
        File latest = new File(dir, ids.get(1).fileName());
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(latest, "rw")) {
            raf.setLength(raf.length() - 10);
        }
        try (LocalMetadataController reopened = LocalMetadataController.open(dir, policy)) {
            assertSameImage(last, reopened.image());
            assertEquals(ids.get(0), reopened.latestSnapshot());
        }
        // with both snapshots unreadable and the first segments gone, start-up refuses rather than lose topics
        for (MetadataSnapshots.SnapshotId id : MetadataSnapshots.list(dir)) {
            try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(new File(dir, id.fileName()), "rw")) {
                raf.setLength(raf.length() - 10);
            }
        }
        if (Long.parseLong(files(".log").get(0).substring(0, 20)) > 0) {
            IOException e = assertThrows(IOException.class, () -> LocalMetadataController.open(dir, policy));
            assertTrue(e.getMessage().contains("no readable snapshot covers the offsets before it"), e.getMessage());
        }
    }

    /** The interval trigger, on a fake clock: nothing written, no snapshot; written and the interval passed, one. */
    @Test
    void snapshotsAreTakenByTimeOnlyAfterWrites() throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000);
        SnapshotPolicy policy = new SnapshotPolicy(Long.MAX_VALUE, 50);
        try (LocalMetadataController controller = LocalMetadataController.open(dir, policy, now::get)) {
            now.addAndGet(1_000);
            Thread.sleep(200); // several timer checks with nothing written
            assertEquals(List.of(), files(".checkpoint"));
            await(controller.submit(create("t")));
            assertEquals(List.of(), files(".checkpoint"), "the interval has not passed since the last write");
            now.addAndGet(1_000);
            eventually(() -> controller.latestSnapshot() != null, "a snapshot by time");
            assertEquals(1, files(".checkpoint").size());
            assertEquals(controller.image().offset() + 1, controller.latestSnapshot().endOffset());
        }
    }

    /** A data directory of the previous build: its metadata.log is converted once, with the same image. */
    @Test
    void aLegacyMetadataLogIsConvertedOnce() throws Exception {
        try (java.io.InputStream in = getClass().getResourceAsStream("/legacy/metadata.log")) {
            assertNotNull(in, "the legacy fixture, written by the previous build's MetadataLog");
            java.nio.file.Files.copy(in, new File(dir, "metadata.log").toPath());
        }
        MetadataImage converted;
        try (LocalMetadataController controller = LocalMetadataController.open(dir)) {
            converted = controller.image();
        }
        assertTrue(new File(dir, "metadata.log.migrated").isFile());
        assertTrue(!new File(dir, "metadata.log").exists());
        assertEquals(11, converted.offset(), "12 records in 7 batches");
        assertEquals(2000, converted.nextProducerId());
        assertEquals(1, converted.topicsByName().size());
        io.brook.metadata.image.TopicImage orders = converted.topic("orders");
        assertEquals(new Uuid(0x1111L, 0x2222L), orders.id());
        assertEquals(3, orders.partitions().size());
        assertEquals(Map.of("cleanup.policy", "compact"), orders.configs());
        try (LocalMetadataController reopened = LocalMetadataController.open(dir)) {
            assertSameImage(converted, reopened.image());
            await(reopened.submit(create("new")));
            assertEquals(12 + 4, reopened.image().offset() + 1);
        }
        assertEquals(List.of("00000000000000000000.log"), files(".log"));
    }
}
