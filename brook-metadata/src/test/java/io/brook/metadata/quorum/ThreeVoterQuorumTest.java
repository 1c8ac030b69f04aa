package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.brook.metadata.quorum.QuorumCluster.await;
import static io.brook.metadata.quorum.QuorumCluster.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Three voters in this JVM over Ratis's Netty transport on loopback. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ThreeVoterQuorumTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void everyVoterSeesTheLeadersEntriesInOrderAndFollowersRefuseProposals() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 3)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            int leaderId = leader.config().nodeId();

            List<CompletableFuture<Committed>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                futures.add(leader.propose(bytes("e" + i)));
            }
            long previous = -1;
            for (CompletableFuture<Committed> f : futures) {
                Committed c = f.get(30, TimeUnit.SECONDS);
                assertTrue(c.index() > previous, "indexes follow proposal order");
                previous = c.index();
            }
            List<String> expected = SingleVoterQuorumTest.expected("e", 100);
            for (int id = 1; id <= 3; id++) {
                RecordingListener owner = cluster.listener(id);
                await("voter " + id + " has all entries", WAIT, () -> owner.payloads().size() >= 100);
                assertEquals(expected, owner.payloads(), "voter " + id);
                assertEquals(cluster.listener(leaderId).entries(), owner.entries(), "same indexes and terms");
                assertTrue(owner.violations.isEmpty(), owner.violations.toString());
                await("voter " + id + " was told the leader", WAIT,
                        () -> owner.leaderChanges.stream().anyMatch(c -> c.leaderId() == leaderId));
            }

            int followerId = leaderId % 3 + 1;
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> cluster.node(followerId).propose(bytes("no")).get(10, TimeUnit.SECONDS));
            NotLeaderException nle = assertInstanceOf(NotLeaderException.class, refused.getCause());
            assertEquals(leaderId, nle.leaderId());

            long lastIndex = previous;
            QuorumStatus status = leader.status();
            assertEquals(leaderId, status.leaderId());
            assertEquals(List.of(1, 2, 3), status.voters().stream().map(QuorumStatus.Voter::id).toList());
            await("followers' replicated log end reaches the commit index", WAIT, () -> leader.status().voters()
                    .stream().allMatch(v -> v.logEndIndex() >= lastIndex && v.lastContactMs() > 0));
            QuorumStatus.Voter follower = leader.status().voters().get(followerId - 1);
            assertEquals(QuorumStatus.Role.FOLLOWER, follower.role());
        }
    }

    @Test
    void aNewLeaderTakesOverWhenTheLeaderStops() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 3)) {
            cluster.startAll();
            List<Long> failoverMs = new ArrayList<>();
            List<String> proposed = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                RaftQuorum leader = cluster.awaitLeader(WAIT);
                for (int i = 0; i < 5; i++) {
                    String payload = "r" + round + "-" + i;
                    leader.propose(bytes(payload)).get(30, TimeUnit.SECONDS);
                    proposed.add(payload);
                }
                int oldLeader = leader.config().nodeId();
                long stopped = System.nanoTime();
                cluster.stop(oldLeader);
                String next = "after-" + round;
                proposeOnWhoeverLeads(cluster, next, WAIT);
                proposed.add(next);
                long ms = (System.nanoTime() - stopped) / 1_000_000;
                failoverMs.add(ms);
                RaftQuorum newLeader = cluster.awaitLeader(WAIT);
                assertNotEquals(oldLeader, newLeader.config().nodeId());
                for (int id : cluster.running().keySet()) {
                    RecordingListener owner = cluster.listener(id);
                    int expectedLeader = newLeader.config().nodeId();
                    await("voter " + id + " told of leader " + expectedLeader, WAIT, () -> !owner.leaderChanges.isEmpty()
                            && owner.leaderChanges.get(owner.leaderChanges.size() - 1).leaderId() == expectedLeader);
                }
                cluster.start(oldLeader); // back as a follower with a fresh owner: replays its log
            }
            List<Long> sorted = new ArrayList<>(failoverMs);
            Collections.sort(sorted);
            System.out.printf("leader stopped -> next committed entry: %s ms, median %d ms (election timeout %d ms)%n",
                    failoverMs, sorted.get(sorted.size() / 2), QuorumCluster.ELECTION_TIMEOUT.toMillis());
            for (int id = 1; id <= 3; id++) {
                RecordingListener owner = cluster.listener(id);
                await("voter " + id + " caught up", WAIT, () -> owner.payloads().size() >= proposed.size());
                assertEquals(proposed, owner.payloads(), "voter " + id);
                assertTrue(owner.violations.isEmpty(), owner.violations.toString());
            }
        }
    }

    /** Proposes until some voter leads and commits it; fails after {@code timeout}. */
    static Committed proposeOnWhoeverLeads(QuorumCluster cluster, String payload, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            for (RaftQuorum q : cluster.running().values()) {
                if (!q.isLeader()) {
                    continue;
                }
                try {
                    return q.propose(bytes(payload)).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    last = e.getCause();
                    // a timeout may still commit: only retry when the entry surely was not appended
                    if (!(last instanceof NotLeaderException)) {
                        throw e;
                    }
                }
            }
            QuorumCluster.sleep(10);
        }
        return fail("no voter committed " + payload + " within " + timeout.toMillis() + " ms; last: " + last);
    }

    @Test
    void withTwoOfThreeDownProposalsFailClearlyAndResumeWhenOneReturns() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 3)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            leader.propose(bytes("before")).get(30, TimeUnit.SECONDS);
            int leaderId = leader.config().nodeId();
            int a = leaderId % 3 + 1;
            int b = a % 3 + 1;
            cluster.stop(a);
            cluster.stop(b);

            long started = System.nanoTime();
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> leader.propose(bytes("lost")).get(30, TimeUnit.SECONDS));
            long failedAfterMs = (System.nanoTime() - started) / 1_000_000;
            QuorumException cause = assertInstanceOf(QuorumException.class, failed.getCause());
            assertTrue(cause.retriable(), cause.toString());
            assertTrue(cause instanceof NotLeaderException || cause instanceof QuorumTimeoutException, cause.toString());
            System.out.printf("2 of 3 down: proposal failed after %d ms with %s%n", failedAfterMs, cause);
            // the lone voter stops leading: it cannot hear from a majority
            await("the lone voter steps down", WAIT, () -> !leader.isLeader());
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> leader.propose(bytes("refused")).get(10, TimeUnit.SECONDS));
            assertInstanceOf(NotLeaderException.class, refused.getCause());

            cluster.start(a);
            proposeOnWhoeverLeads(cluster, "resumed", WAIT);
            for (int id : cluster.running().keySet()) {
                RecordingListener owner = cluster.listener(id);
                await("voter " + id + " sees the entry after the outage", WAIT,
                        () -> owner.payloads().contains("resumed"));
                List<String> payloads = owner.payloads();
                assertEquals("before", payloads.get(0));
                assertEquals("resumed", payloads.get(payloads.size() - 1));
                assertTrue(payloads.size() <= 3, "at most the timed-out entry in between: " + payloads);
                assertTrue(owner.violations.isEmpty(), owner.violations.toString());
            }
            assertEquals(cluster.listener(leaderId).payloads(), cluster.listener(a).payloads());
        }
    }

    @Test
    void aVoterIsAddedAndRemovedWhileTheQuorumRuns() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 4).initialVoters(3)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            for (int i = 0; i < 10; i++) {
                leader.propose(bytes("x" + i)).get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(1, 2, 3), leader.voterIds());

            RaftQuorum added = cluster.start(4);
            leader.addVoter(4, cluster.voters().get(4)).get(60, TimeUnit.SECONDS);
            assertEquals(List.of(1, 2, 3, 4), leader.voterIds());
            leader.propose(bytes("with-four")).get(30, TimeUnit.SECONDS);
            RecordingListener fourth = cluster.listener(4);
            await("the new voter has every entry", WAIT, () -> fourth.payloads().contains("with-four"));
            assertEquals(cluster.listener(leader.config().nodeId()).payloads(), fourth.payloads());
            await("the new voter knows the configuration", WAIT, () -> added.voterIds().equals(List.of(1, 2, 3, 4)));
            await("the leader tracks the new voter", WAIT, () -> leader.status().voters().size() == 4
                    && leader.status().voters().get(3).logEndIndex() > 0);

            // a follower refuses voter changes, naming the leader
            int followerId = leader.config().nodeId() % 3 + 1;
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> cluster.node(followerId).removeVoter(4, false).get(30, TimeUnit.SECONDS));
            assertEquals(leader.config().nodeId(), assertInstanceOf(NotLeaderException.class, refused.getCause()).leaderId());

            leader.removeVoter(4, false).get(60, TimeUnit.SECONDS);
            assertEquals(List.of(1, 2, 3), leader.voterIds());
            cluster.stop(4);
            leader.propose(bytes("without-four")).get(30, TimeUnit.SECONDS);
            assertFalse(fourth.payloads().contains("without-four"));
        }
    }

    /** Ratis runs one change at a time: a second is refused as ChangeInProgressException, which callers retry. */
    @Test
    void aSecondVoterChangeWhileOneRunsIsRefusedAsInProgress() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 4).initialVoters(3)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            // node 4 is not running yet: Ratis's staging waits for it to catch up
            CompletableFuture<Void> first = leader.addVoter(4, cluster.voters().get(4));
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> leader.addListener(4, cluster.voters().get(4)).get(30, TimeUnit.SECONDS));
            assertInstanceOf(ChangeInProgressException.class, refused.getCause(), refused.toString());
            cluster.start(4);
            first.get(60, TimeUnit.SECONDS);
            assertEquals(List.of(1, 2, 3, 4), leader.voterIds());
        }
    }

    @Test
    void aRemovedVoterKeptAsAListenerFollowsTheLogThroughLeaderChangesAndVotesAgainOnceAdded() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 4)) {
            cluster.startAll();
            RaftQuorum first = cluster.awaitLeader(WAIT);
            int removedId = first.config().nodeId();
            first.propose(bytes("before")).get(30, TimeUnit.SECONDS);

            // the leader removes itself: it hands its leadership over and goes on as a listener
            first.removeVoter(removedId, true).get(60, TimeUnit.SECONDS);
            RecordingListener removed = cluster.listener(removedId);
            await("another voter leads", WAIT, () -> cluster.running().values().stream()
                    .anyMatch(q -> q.isLeader() && q.config().nodeId() != removedId));
            RaftQuorum second = cluster.awaitLeader(WAIT);
            assertNotEquals(removedId, second.config().nodeId());
            List<Integer> three = new ArrayList<>(List.of(1, 2, 3, 4));
            three.remove(Integer.valueOf(removedId));
            assertEquals(three, second.voterIds());
            assertEquals(List.of(removedId), second.listenerIds());
            await("the removed voter runs as a listener", WAIT, () -> first.status().observers().stream()
                    .anyMatch(o -> o.id() == removedId && o.role() == QuorumStatus.Role.OBSERVER));
            second.propose(bytes("as-listener")).get(30, TimeUnit.SECONDS);
            await("the listener has the new leader's entry", WAIT, () -> removed.payloads().contains("as-listener"));

            // its election timeout passes with no leader: a listener waits, it does not stop
            cluster.stop(second.config().nodeId());
            RaftQuorum third = cluster.awaitLeader(WAIT);
            assertNotEquals(removedId, third.config().nodeId());
            third.propose(bytes("after-leader-change")).get(30, TimeUnit.SECONDS);
            await("the listener follows the next leader", WAIT,
                    () -> removed.payloads().contains("after-leader-change"));
            await("the leader lists the listener as an observer", WAIT, () -> third.status().observers().stream()
                    .anyMatch(o -> o.id() == removedId && o.logEndIndex() > 0));

            // added again while it runs, it votes: with it, two of three voters are up
            third.addVoter(removedId, cluster.voters().get(removedId)).get(60, TimeUnit.SECONDS);
            assertTrue(third.voterIds().contains(removedId));
            assertEquals(List.of(), third.listenerIds());
            third.propose(bytes("voter-again")).get(30, TimeUnit.SECONDS);
            await("the voter again has every entry", WAIT, () -> removed.payloads().contains("voter-again"));
            assertEquals(cluster.listener(third.config().nodeId()).payloads(), removed.payloads());
            assertTrue(removed.violations.isEmpty(), removed.violations.toString());
        }
    }

    @Test
    void aListenerThatIsDownIsNotAddedAsAVoterAndTheQuorumGoesOn() throws Exception {
        try (QuorumCluster cluster = new QuorumCluster(dir, 3)) {
            cluster.startAll();
            RaftQuorum leader = cluster.awaitLeader(WAIT);
            int listenerId = leader.config().nodeId() % 3 + 1;
            leader.removeVoter(listenerId, true).get(60, TimeUnit.SECONDS);
            leader.propose(bytes("with-listener")).get(30, TimeUnit.SECONDS);
            await("the listener has the entry", WAIT, () -> cluster.listener(listenerId).payloads()
                    .contains("with-listener"));
            cluster.stop(listenerId);
            QuorumCluster.sleep(3 * QuorumCluster.ELECTION_TIMEOUT.toMillis());

            // Ratis would go straight to a joint configuration that the stopped node keeps from committing
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> leader.addVoter(listenerId, cluster.voters().get(listenerId)).get(60, TimeUnit.SECONDS));
            QuorumException cause = assertInstanceOf(QuorumException.class, refused.getCause());
            assertTrue(cause.getMessage().contains("is not caught up"), cause.getMessage());
            assertEquals(2, leader.voterIds().size());
            leader.propose(bytes("after-refusal")).get(30, TimeUnit.SECONDS);
        }
    }
}
