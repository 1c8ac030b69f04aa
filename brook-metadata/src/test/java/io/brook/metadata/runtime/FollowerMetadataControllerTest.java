package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataSnapshots;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.quorum.QuorumConfig;
import io.brook.metadata.testing.ListenPorts;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link FollowerMetadataController} (a broker-only node's metadata) following a one-voter
 * {@link QuorumMetadataController} through its {@link MetadataLogSource} side: it reaches the voter's images, in
 * order, batch by batch; a follower that starts after the voter's log was cut by snapshots loads the snapshot and
 * then the tail; with the controller gone it keeps its image and resumes when a controller answers again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FollowerMetadataControllerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    private final AtomicReference<QuorumMetadataController> voter = new AtomicReference<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private InetSocketAddress address;
    private SnapshotPolicy policy = new SnapshotPolicy(SnapshotPolicy.DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS, 0);
    /** Fetches the follower sent (each a request to the controller). */
    private final AtomicInteger fetches = new AtomicInteger();

    /** The voter as a source, as the forwarding client reaches it: fails while no voter runs. */
    private final MetadataLogSource source = new MetadataLogSource() {
        @Override
        public CompletableFuture<LogChunk> fetch(long fromOffset, int maxBytes, long maxWaitMs) {
            fetches.incrementAndGet();
            QuorumMetadataController c = voter.get();
            return c == null ? CompletableFuture.failedFuture(new NotControllerException("no voter runs"))
                    : c.fetch(fromOffset, maxBytes, maxWaitMs);
        }

        @Override
        public CompletableFuture<SnapshotChunk> fetchSnapshot(SnapshotId id, long position, int maxBytes) {
            QuorumMetadataController c = voter.get();
            return c == null ? CompletableFuture.failedFuture(new NotControllerException("no voter runs"))
                    : c.fetchSnapshot(id, position, maxBytes);
        }
    };

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        QuorumMetadataController c = voter.getAndSet(null);
        if (c != null) {
            c.close();
        }
    }

    private QuorumMetadataController startVoter() throws IOException {
        if (address == null) {
            address = new InetSocketAddress("127.0.0.1", ListenPorts.next());
        }
        QuorumConfig config = QuorumConfig.builder(1, root.resolve("voter").resolve("quorum"))
                .voters(Map.of(1, address)).requestTimeout(Duration.ofSeconds(3)).build();
        QuorumMetadataController c = QuorumMetadataController.open(root.resolve("voter")
                .resolve("__cluster_metadata-0").toFile(), config, policy, null);
        c.keepRecentBatchBytes(0); // every fetch reads the voter's log files, as for a follower far behind
        await("the voter is active", c::isActive);
        voter.set(c);
        return c;
    }

    private void stopVoter() throws IOException {
        voter.getAndSet(null).close();
    }

    private FollowerMetadataController startFollower(String name) throws IOException {
        FollowerMetadataController f = FollowerMetadataController.start(7, root.resolve(name).toFile(), source,
                Duration.ofSeconds(5));
        open.add(f);
        return f;
    }

    private static Function<MetadataImage, ControllerResult<CreatedTopic>> create(String name) {
        return image -> TopicControl.createTopic(image, new NewTopic(name, 2, (short) 1, null, Map.of()),
                List.of(1), 1, (short) 1, Uuid::randomUuid);
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void awaitSameImage(FollowerMetadataController follower, QuorumMetadataController voter) {
        MetadataImage expected = voter.image();
        await("the follower reaches offset " + expected.offset() + " (at " + follower.image().offset() + ")",
                () -> follower.image().offset() >= expected.offset());
        assertEquals(expected, follower.image());
        assertTrue(follower.caughtUp());
    }

    @Test
    void aFollowerAppliesEveryCommittedBatchInOrderAndDecidesNothing() throws Exception {
        QuorumMetadataController c = startVoter();
        get(c.submit(create("before")));
        FollowerMetadataController follower = startFollower("follower");
        List<Long> published = new CopyOnWriteArrayList<>();
        follower.addPublisher((delta, image) -> published.add(image.offset()));
        awaitSameImage(follower, c);
        for (int i = 0; i < 5; i++) {
            get(c.submit(create("t" + i)));
        }
        awaitSameImage(follower, c);
        assertTrue(follower.image().topic("t4") != null);
        for (int i = 1; i < published.size(); i++) {
            assertTrue(published.get(i) > published.get(i - 1), "published in log order: " + published);
        }
        assertEquals(c.image().offset(), published.get(published.size() - 1));
        assertFalse(follower.isActive());
        assertEquals(1, follower.leaderId());
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> get(follower.submit(create("nope"))));
        assertInstanceOf(NotControllerException.class, refused.getCause());
        // a caught-up follower long-polls: it does not spin while nothing is committed
        int before = fetches.get();
        Thread.sleep(1_000);
        assertTrue(fetches.get() - before <= 4, "fetches in one idle second: " + (fetches.get() - before));
    }

    @Test
    void aFollowerStartingAfterTheLogWasCutLoadsTheSnapshotThenTheTail() throws Exception {
        policy = new SnapshotPolicy(1, 0); // a snapshot after every change: the log start moves on
        QuorumMetadataController c = startVoter();
        for (int i = 0; i < 5; i++) {
            get(c.submit(create("t" + i)));
        }
        File voterDir = root.resolve("voter").resolve("__cluster_metadata-0").toFile();
        long end = c.image().offset() + 1;
        await("the voter snapshots up to " + end + " and drops the log before its older snapshot", () -> {
            List<SnapshotId> ids = MetadataSnapshots.list(voterDir);
            return !ids.isEmpty() && ids.get(ids.size() - 1).endOffset() == end && ids.get(0).endOffset() > 0;
        });
        FollowerMetadataController follower = startFollower("late");
        awaitSameImage(follower, c);
        List<SnapshotId> loaded = MetadataSnapshots.list(root.resolve("late").toFile());
        assertEquals(1, loaded.size(), "the follower loaded one snapshot: " + loaded);
        assertTrue(loaded.get(0).endOffset() > 0);
        get(c.submit(create("after")));
        awaitSameImage(follower, c);
    }

    @Test
    void withoutAControllerAFollowerKeepsItsImageAndResumesWhenOneAnswers() throws Exception {
        QuorumMetadataController c = startVoter();
        get(c.submit(create("t0")));
        FollowerMetadataController follower = startFollower("follower");
        awaitSameImage(follower, c);
        MetadataImage kept = follower.image();
        stopVoter();
        Thread.sleep(1_500); // several failed fetches
        assertEquals(kept, follower.image(), "the last image is kept while no controller answers");
        QuorumMetadataController again = startVoter(); // the same directory: the same log
        get(again.submit(create("t1")));
        awaitSameImage(follower, again);
        assertTrue(follower.image().topic("t0") != null && follower.image().topic("t1") != null);
    }
}
