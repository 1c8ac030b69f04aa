package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataBatches.Batch;
import io.brook.metadata.quorum.QuorumConfig;
import io.brook.metadata.testing.ListenPorts;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@link QuorumMetadataController}s in this JVM on loopback (ephemeral ports), each with its own
 * Ratis storage and metadata directory: decisions on the active controller reach every voter's image and
 * {@code __cluster_metadata-0} log identically; followers refuse decisions; fail-over, catch-up through a
 * snapshot after the log was purged, and a full restart keep the metadata.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class QuorumMetadataControllerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Short enough for quick fail-overs, long enough for a loaded 2-core machine. */
    private static final Duration ELECTION_TIMEOUT = Duration.ofMillis(500);
    private static final List<Integer> BROKERS = List.of(1, 2, 3);

    @TempDir
    Path root;

    private final Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
    private final Map<Integer, QuorumMetadataController> running = new LinkedHashMap<>();
    private UnaryOperator<QuorumConfig.Builder> tuning = b -> b;
    private SnapshotPolicy policy = new SnapshotPolicy(SnapshotPolicy.DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS, 0);

    @AfterEach
    void stopAll() throws IOException {
        for (QuorumMetadataController c : running.values()) {
            c.close();
        }
        running.clear();
    }

    private void startCluster() throws IOException {
        for (int id = 1; id <= 3; id++) {
            voters.put(id, new InetSocketAddress("127.0.0.1", ListenPorts.next()));
        }
        for (int id : voters.keySet()) {
            start(id);
        }
    }

    private QuorumMetadataController start(int id) throws IOException {
        QuorumConfig config = tuning.apply(QuorumConfig.builder(id, root.resolve("node-" + id).resolve("quorum"))
                .voters(voters).electionTimeout(ELECTION_TIMEOUT).requestTimeout(Duration.ofSeconds(3))).build();
        QuorumMetadataController c = QuorumMetadataController.open(
                root.resolve("node-" + id).resolve("__cluster_metadata-0").toFile(), config,
                policy, null);
        running.put(id, c);
        return c;
    }

    private void stop(int id) throws IOException {
        running.remove(id).close();
    }

    private QuorumMetadataController awaitActive() {
        QuorumMetadataController[] found = new QuorumMetadataController[1];
        await("an active controller among " + running.keySet(), () -> {
            for (QuorumMetadataController c : running.values()) {
                if (c.isActive()) {
                    found[0] = c;
                    return true;
                }
            }
            return false;
        });
        return found[0];
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

    private static Function<MetadataImage, ControllerResult<CreatedTopic>> create(String name) {
        return image -> TopicControl.createTopic(image, new NewTopic(name, 1, (short) 3, null, Map.of()),
                BROKERS, 3, (short) 3, Uuid::randomUuid);
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Waits until every running voter has the active one's image, then checks their logs match too. */
    private void assertAllEqual(QuorumMetadataController active) throws IOException {
        MetadataImage expected = active.image();
        for (Map.Entry<Integer, QuorumMetadataController> e : running.entrySet()) {
            await("voter " + e.getKey() + " reaches offset " + expected.offset(),
                    () -> e.getValue().image().offset() >= expected.offset());
            assertEquals(expected, e.getValue().image(), "the image of voter " + e.getKey());
        }
        List<Batch> reference = active.readLog();
        for (Map.Entry<Integer, QuorumMetadataController> e : running.entrySet()) {
            List<Batch> batches = e.getValue().readLog();
            // a voter that snapshotted or installed a snapshot dropped (or never had) the log before it
            long from = Math.max(start(batches, expected), start(reference, expected));
            assertEquals(describe(reference, from), describe(batches, from), "the log of voter " + e.getKey());
            assertEquals(expected.offset() + 1, batches.isEmpty() ? from : batches.get(batches.size() - 1).lastOffset() + 1);
        }
    }

    private static long start(List<Batch> batches, MetadataImage image) {
        return batches.isEmpty() ? image.offset() + 1 : batches.get(0).baseOffset();
    }

    /** Offsets, epoch, timestamp and records of each batch from {@code fromOffset}. */
    private static List<String> describe(List<Batch> batches, long fromOffset) {
        List<String> out = new ArrayList<>();
        for (Batch b : batches) {
            if (b.baseOffset() >= fromOffset) {
                out.add(b.baseOffset() + ".." + b.lastOffset() + " epoch " + b.epoch() + " at " + b.maxTimestamp()
                        + ": " + b.records());
            }
        }
        return out;
    }

    @Test
    void decisionsOnTheActiveControllerReachEveryVoterAndFollowersRefuseThem() throws Exception {
        startCluster();
        QuorumMetadataController active = awaitActive();
        int leader = active.quorum().config().nodeId();
        List<MetadataImage> published = new CopyOnWriteArrayList<>();
        QuorumMetadataController follower = running.values().stream().filter(c -> c != active).findFirst()
                .orElseThrow();
        follower.addPublisher((delta, image) -> published.add(image));
        for (String name : List.of("a", "b", "c")) {
            CreatedTopic created = get(active.submit(create(name)));
            assertEquals(created.topicId(), active.image().topic(name).id(), "applied on the leader when it completes");
        }
        assertAllEqual(active);
        assertEquals(3 * 2 - 1, active.image().offset(), "a topic record and a partition record per topic");
        await("the follower published each change", () -> published.size() == 3);
        assertEquals(active.image(), published.get(2));
        for (Batch b : active.readLog()) {
            assertEquals(active.quorum().term(), b.epoch(), "the batch epoch is the Raft term");
        }

        await("the follower knows the leader", () -> follower.leaderId() == leader);
        assertFalse(follower.isActive());
        ExecutionException refused = assertThrows(ExecutionException.class, () -> get(follower.submit(create("d"))));
        NotControllerException e = assertInstanceOf(NotControllerException.class, refused.getCause());
        assertTrue(e.getMessage().contains("the active controller is node " + leader), e.getMessage());
        ExecutionException validate = assertThrows(ExecutionException.class,
                () -> get(follower.submit(create("d"), true)));
        assertInstanceOf(NotControllerException.class, validate.getCause());
        assertEquals(null, follower.image().topic("d"));

        // a decision the image rejects fails alone and leaves the controller deciding
        ExecutionException exists = assertThrows(ExecutionException.class, () -> get(active.submit(create("a"))));
        assertFalse(exists.getCause() instanceof NotControllerException, exists.getCause().toString());
        get(active.submit(create("d")));
        assertAllEqual(active);
    }

    @Test
    void anotherVoterTakesOverWhenTheActiveControllerStops() throws Exception {
        startCluster();
        QuorumMetadataController active = awaitActive();
        get(active.submit(create("before")));
        int old = active.quorum().config().nodeId();
        long stopped = System.nanoTime();
        stop(old);
        QuorumMetadataController next = awaitActive();
        assertNotEquals(old, next.quorum().config().nodeId());
        get(next.submit(create("after")));
        long tookMs = (System.nanoTime() - stopped) / 1_000_000;
        assertTrue(tookMs < WAIT.toMillis(), "took " + tookMs + " ms");
        System.out.println("active controller stopped to the next committed change: " + tookMs + " ms");
        assertNotNull(next.image().topic("before"));
        assertAllEqual(next);

        start(old);
        assertAllEqual(next);
        assertNotNull(running.get(old).image().topic("after"));
    }

    @Test
    void eachNewActiveControllerRunsItsActivationListenersOnItsThreadBeforeTheTermsFirstDecision()
            throws Exception {
        startCluster();
        Map<Integer, List<String>> activations = new java.util.concurrent.ConcurrentHashMap<>();
        for (Map.Entry<Integer, QuorumMetadataController> e : running.entrySet()) {
            int id = e.getKey();
            e.getValue().addActivationListener(image -> activations.computeIfAbsent(id,
                    k -> new CopyOnWriteArrayList<>()).add(Thread.currentThread().getName() + "@" + image.offset()));
        }
        QuorumMetadataController active = awaitActive();
        int first = active.quorum().config().nodeId();
        // the first decision of the term already sees its activation
        int seen = get(active.submit(image -> ControllerResult.of(List.of(),
                activations.getOrDefault(first, List.of()).size())));
        assertEquals(1, seen);
        assertTrue(activations.get(first).get(0).startsWith("brook-controller-" + first + "@"),
                activations.toString());
        get(active.submit(create("before")));
        stop(first);

        QuorumMetadataController next = awaitActive();
        int second = next.quorum().config().nodeId();
        int seenNext = get(next.submit(image -> ControllerResult.of(List.of(),
                activations.getOrDefault(second, List.of()).size())));
        assertEquals(1, seenNext, activations.toString());
        assertTrue(activations.get(second).get(0).startsWith("brook-controller-" + second + "@"),
                activations.toString());
        assertNotNull(next.image().topic("before"));
        assertEquals(1, activations.get(first).size(), "one activation per term: " + activations);
    }

    @Test
    void aFollowerBehindThePurgedLogCatchesUpFromASnapshotPlusTheTail() throws Exception {
        // small Raft segments, so that a snapshot lets Ratis purge the entries the stopped voter misses
        tuning = b -> b.maxEntryBytes(4096).logSegmentBytes(8 * 1024);
        startCluster();
        QuorumMetadataController active = awaitActive();
        get(active.submit(create("early")));
        int lagging = running.keySet().stream().filter(id -> running.get(id) != active).findFirst().orElseThrow();
        await("voter " + lagging + " has the early topic", () -> running.get(lagging).image().topic("early") != null);
        long laggingHas = active.quorum().lastCommittedIndex();
        stop(lagging);

        List<CompletableFuture<CreatedTopic>> bulk = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            bulk.add(active.submit(create("bulk-" + i)));
        }
        for (CompletableFuture<CreatedTopic> f : bulk) {
            get(f);
        }
        for (QuorumMetadataController c : running.values()) {
            await("a voter has the bulk", () -> c.image().offset() == active.image().offset());
            get(c.quorum().takeSnapshot());
        }
        get(active.submit(create("tail-0")));
        // Ratis purges after a snapshot on its log worker, a moment after takeSnapshot returns
        await("the active voter purged what voter " + lagging + " misses (after index " + laggingHas + ")",
                () -> active.quorum().firstLogIndex() > laggingHas);

        QuorumMetadataController restarted = start(lagging);
        assertAllEqual(active);
        List<Batch> log = restarted.readLog();
        assertTrue(!log.isEmpty() && log.get(0).baseOffset() > 2,
                "the lagging voter's log restarts at the installed snapshot: " + describe(log, 0));
        get(active.submit(create("tail-1")));
        assertAllEqual(active);
        assertNotNull(restarted.image().topic("bulk-149"));
    }

    @Test
    void aFullRestartKeepsTheImage() throws Exception {
        startCluster();
        QuorumMetadataController active = awaitActive();
        for (int i = 0; i < 5; i++) {
            get(active.submit(create("t" + i)));
        }
        get(active.quorum().takeSnapshot()); // one voter restarts from a snapshot plus the tail
        get(active.submit(create("t5")));
        assertAllEqual(active);
        MetadataImage before = active.image();
        for (int id : List.copyOf(running.keySet())) {
            stop(id);
        }
        for (int id : voters.keySet()) {
            start(id);
        }
        QuorumMetadataController again = awaitActive();
        for (QuorumMetadataController c : running.values()) {
            await("a voter replays to offset " + before.offset(), () -> c.image().offset() >= before.offset());
            assertEquals(before, c.image());
        }
        get(again.submit(create("t6")));
        assertAllEqual(again);
        assertEquals(before.offset() + 2, again.image().offset());
    }

    @Test
    void theSnapshotPolicyMakesEveryVoterSnapshotAndARestartLoadsIt() throws Exception {
        policy = new SnapshotPolicy(1, 0); // a snapshot after every change
        startCluster();
        QuorumMetadataController active = awaitActive();
        for (int i = 0; i < 4; i++) {
            get(active.submit(create("t" + i)));
        }
        assertAllEqual(active);
        long end = active.image().offset() + 1;
        for (int id : voters.keySet()) {
            java.io.File dir = root.resolve("node-" + id).resolve("__cluster_metadata-0").toFile();
            await("voter " + id + " snapshots up to offset " + end, () -> {
                List<io.brook.metadata.log.MetadataSnapshots.SnapshotId> ids =
                        io.brook.metadata.log.MetadataSnapshots.list(dir);
                return !ids.isEmpty() && ids.get(ids.size() - 1).endOffset() == end;
            });
            List<io.brook.metadata.log.MetadataSnapshots.SnapshotId> ids =
                    io.brook.metadata.log.MetadataSnapshots.list(dir);
            assertTrue(ids.size() <= SnapshotPolicy.KEPT, "old snapshots are deleted: " + ids);
            assertTrue(QuorumMetadataController.sidecar(dir, ids.get(ids.size() - 1)).isFile(),
                    "the checkpoint has its sidecar");
        }
        MetadataImage before = active.image();
        for (int id : List.copyOf(running.keySet())) {
            stop(id);
        }
        policy = new SnapshotPolicy(SnapshotPolicy.DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS, 0);
        for (int id : voters.keySet()) {
            start(id);
        }
        for (QuorumMetadataController c : running.values()) {
            assertEquals(before, c.image(), "loaded from the snapshot before the quorum re-delivers anything");
        }
        QuorumMetadataController again = awaitActive();
        get(again.submit(create("t4")));
        assertAllEqual(again);
    }

    @Test
    void withoutAMajorityDecisionsFailRetriablyAndResumeWhenItReturns() throws Exception {
        // the leader keeps leading (long election timeout) while its proposal times out (short request timeout)
        tuning = b -> b.electionTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(1));
        startCluster();
        QuorumMetadataController active = awaitActive();
        get(active.submit(create("before")));
        int leader = active.quorum().config().nodeId();
        List<Integer> followers = running.keySet().stream().filter(id -> id != leader).toList();
        for (int id : followers) {
            stop(id);
        }
        assertTrue(active.isActive(), "still leading: the proposal below is in flight when it fails");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> get(active.submit(create("lost"))));
        assertInstanceOf(NotControllerException.class, refused.getCause(), refused.getCause().toString());
        assertInstanceOf(io.brook.metadata.quorum.QuorumTimeoutException.class, refused.getCause().getCause(),
                "the proposal timed out");
        assertEquals(null, active.image().topic("lost"), "not committed, so not applied");

        for (int id : followers) {
            start(id);
        }
        // the refused entry may still commit once a majority is back: then every voter applies it
        QuorumMetadataController again = awaitActive();
        CreatedTopic after = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (after == null) {
            try {
                after = get(awaitActive().submit(create("after")));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof NotControllerException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100); // leadership moved meanwhile: retry, as a Kafka client does
            }
        }
        again = awaitActive();
        assertEquals(after.topicId(), again.image().topic("after").id());
        assertAllEqual(again);
    }

    @Test
    void anEntryThatTimedOutAndCommitsLaterIsInTheImageLaterDecisionsSee() throws Exception {
        // long enough for a follower's restart while "next" is in flight; the leader keeps leading meanwhile
        tuning = b -> b.electionTimeout(Duration.ofSeconds(10)).requestTimeout(Duration.ofSeconds(5));
        startCluster();
        QuorumMetadataController active = awaitActive();
        get(active.submit(create("before")));
        int leader = active.quorum().config().nodeId();
        List<Integer> followers = running.keySet().stream().filter(id -> id != leader).toList();
        for (int id : followers) {
            stop(id);
        }
        ExecutionException refused = assertThrows(ExecutionException.class, () -> get(active.submit(create("late"))));
        assertInstanceOf(io.brook.metadata.quorum.QuorumTimeoutException.class, refused.getCause().getCause());
        // decided against the image without "late", in flight when "late" commits after all
        CompletableFuture<CreatedTopic> next = active.submit(create("next"));
        start(followers.get(0));
        get(next);
        assertTrue(active.isActive(), "the same leader throughout");
        assertTrue(active.image().topic("late") != null, "the timed-out entry committed before the next one");
        boolean seen = get(active.<Boolean>submit(image -> ControllerResult.of(List.of(), image.topic("late") != null)));
        assertTrue(seen, "a later decision sees the late commit");
        ExecutionException again = assertThrows(ExecutionException.class, () -> get(active.submit(create("late"))));
        assertInstanceOf(org.apache.kafka.common.errors.TopicExistsException.class, again.getCause(),
                "decided against an image that has the topic, not refused at commit");
    }
}
