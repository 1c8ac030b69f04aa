package io.brook.server.partition;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leader's follower tracking: high watermark bound, ISR shrink and expand, on a fake clock. */
class ReplicaTrackerTest {
    private static final long LAG_MS = 10_000;
    private static final IntPredicate ALL_ELIGIBLE = id -> true;
    /** Expansion checks below do not depend on the clock (no refused proposal before them). */
    private static final long NOW = 0;

    @Test
    void aReplicaAddedByAReassignmentIsAFollowerThatJoinsTheIsrOnlyOnceCaughtUp() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1), List.of(1), NOW);
        assertTrue(!t.isReplica(2));
        t.replicasChanged(List.of(2, 3, 1));
        assertTrue(t.isReplica(2) && t.isReplica(3), "the leader takes the new replicas' fetches");
        t.onFollowerFetch(2, 40, 100, NOW, 7);
        assertEquals(100, t.highWatermarkBound(100, NOW, LAG_MS, ALL_ELIGIBLE),
                "a lagging replica outside the ISR does not hold the high watermark back");
        assertNull(t.expandProposal(2, 100, 0, ALL_ELIGIBLE, NOW), "not caught up to the high watermark yet");
        t.onFollowerFetch(2, 100, 100, NOW, 7);
        assertEquals(List.of(1, 2), t.expandProposal(2, 100, 0, ALL_ELIGIBLE, NOW));
        t.replicasChanged(List.of(1, 2));
        assertTrue(!t.isReplica(3), "a replica no longer listed stops counting");
    }

    @Test
    void anExpansionWithNoAnswerKeepsCountingItsMemberAndIsSentAgainAfterAPause() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2, 3), List.of(1, 2), 0);
        t.onFollowerFetch(2, 100, 100, 0, 7);
        t.onFollowerFetch(3, 100, 100, 0, 7);
        List<Integer> expanded = t.expandProposal(3, 100, 0, ALL_ELIGIBLE, 0);
        assertEquals(List.of(1, 2, 3), expanded);
        t.proposed(expanded);
        t.proposalUnanswered(1_000); // the controller may have applied it
        t.onFollowerFetch(2, 150, 150, 1_000 + LAG_MS + 1, 7);
        assertEquals(100, t.highWatermarkBound(150, 1_000 + LAG_MS + 1, LAG_MS, ALL_ELIGIBLE),
                "member 3 lags for longer than the limit, yet the change that adds it may be applied: it counts");
        assertNull(t.resendDue(1_000 + ReplicaTracker.PROPOSAL_RETRY_MS - 1), "not before the pause");
        assertNull(t.expandProposal(3, 100, 0, ALL_ELIGIBLE, 2_000), "one change in flight at a time");
        assertEquals(expanded, t.resendDue(1_000 + ReplicaTracker.PROPOSAL_RETRY_MS));
        assertNull(t.resendDue(1_000 + ReplicaTracker.PROPOSAL_RETRY_MS), "sent again once, until unanswered again");
        t.committed(List.of(1, 2, 3));
        assertNull(t.resendDue(100_000), "the metadata settled it");
    }

    @Test
    void aNewLeaderCannotMoveTheHighWatermarkUntilEveryInSyncFollowerFetched() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2, 3), List.of(1, 2, 3), 0);
        assertEquals(ReplicaTracker.UNKNOWN, t.highWatermarkBound(100, 0, LAG_MS, ALL_ELIGIBLE));
        t.onFollowerFetch(2, 100, 100, 10, 7);
        assertEquals(ReplicaTracker.UNKNOWN, t.highWatermarkBound(100, 10, LAG_MS, ALL_ELIGIBLE));
        t.onFollowerFetch(3, 60, 100, 20, 7);
        assertEquals(60, t.highWatermarkBound(100, 20, LAG_MS, ALL_ELIGIBLE));
        assertEquals(7, t.brokerEpoch(3));
    }

    @Test
    void theReadReplicaCandidatesAreTheCommittedIsrFollowersThatFetchedInThisEpoch() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2, 3, 4), List.of(1, 2, 3), 0);
        assertEquals(List.of(), t.inSyncFollowers(), "no follower fetched from this leader yet");
        t.onFollowerFetch(2, 100, 100, 10, 7);
        t.onFollowerFetch(4, 100, 100, 10, 7); // caught up but not in the ISR
        assertEquals(List.of(new Partition.FollowerState(2, 100, 10)), t.inSyncFollowers());
        t.onFollowerFetch(3, 80, 100, 20, 7);
        t.proposed(List.of(1, 2, 3, 4));
        assertEquals(List.of(new Partition.FollowerState(2, 100, 10), new Partition.FollowerState(3, 80, 0)),
                t.inSyncFollowers(), "a pending expansion does not count yet");
        t.committed(List.of(1, 3));
        assertEquals(List.of(new Partition.FollowerState(3, 80, 0)), t.inSyncFollowers());
    }

    @Test
    void aFollowerBehindForTheLagTimeIsProposedOutAndStopsCountingOnlyOnceCommitted() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2, 3), List.of(1, 2, 3), 0);
        t.onFollowerFetch(2, 50, 50, 1_000, 1);
        t.onFollowerFetch(3, 50, 50, 1_000, 1);
        // leader appends to 80; follower 3 keeps fetching from 50 (stuck), follower 2 follows
        t.onFollowerFetch(2, 80, 80, 5_000, 1);
        t.onFollowerFetch(3, 50, 80, 5_000, 1);
        assertNull(t.shrinkProposal(80, 5_000, LAG_MS), "3 was caught up at 1000, within the lag");
        t.onFollowerFetch(3, 50, 80, 11_500, 1);
        List<Integer> shrunk = t.shrinkProposal(80, 11_500, LAG_MS);
        assertEquals(List.of(1, 2), shrunk);
        t.proposed(shrunk);
        assertEquals(50, t.highWatermarkBound(80, 11_500, LAG_MS, ALL_ELIGIBLE), "3 counts while the change is pending");
        assertNull(t.shrinkProposal(80, 11_500, LAG_MS), "one change in flight");
        t.committed(List.of(1, 2));
        assertEquals(80, t.highWatermarkBound(80, 11_500, LAG_MS, ALL_ELIGIBLE));
    }

    @Test
    void aFollowerWithTheLeadersLogEndIsCaughtUpHoweverLongAgoItLastWas() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1, 2), 0);
        t.onFollowerFetch(2, 40, 40, 100, 1);
        assertNull(t.shrinkProposal(40, 1_000_000, LAG_MS), "nothing appended since: not behind");
    }

    @Test
    void aFollowerJoinsOnceAtTheHighWatermarkAndTheEpochStartAndEligible() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1), 0);
        t.onFollowerFetch(2, 30, 100, 10, 1);
        assertNull(t.expandProposal(2, 90, 0, ALL_ELIGIBLE, NOW), "below the high watermark");
        t.onFollowerFetch(2, 95, 100, 20, 1);
        assertNull(t.expandProposal(2, 90, 97, ALL_ELIGIBLE, NOW), "below the leader epoch's start");
        assertNull(t.expandProposal(2, 90, 0, id -> false, NOW), "fenced brokers do not join");
        assertEquals(List.of(1, 2), t.expandProposal(2, 90, 0, ALL_ELIGIBLE, NOW));
        t.proposed(List.of(1, 2));
        assertEquals(95, t.highWatermarkBound(100, 20, LAG_MS, ALL_ELIGIBLE), "a pending joiner counts at once");
    }

    @Test
    void aCaughtUpEligibleFollowerOutsideTheIsrHoldsTheHighWatermarkBackSoItCanJoin() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1), 0);
        t.onFollowerFetch(2, 100, 100, 5, 1); // caught up at 5
        assertEquals(100, t.highWatermarkBound(120, 6, LAG_MS, ALL_ELIGIBLE));
        assertEquals(120, t.highWatermarkBound(120, 6, LAG_MS, id -> false), "an ineligible one does not");
        assertEquals(120, t.highWatermarkBound(120, 5 + LAG_MS + 1, LAG_MS, ALL_ELIGIBLE), "nor one that lags");
    }

    /**
     * Random appends, fetches, stalls, clock jumps and ISR changes (committed with random delays): every member of
     * the committed ISR always holds everything below the high watermark (so any of them may lead without losing
     * an acknowledged record), the high watermark never passes the leader's log end, and once every follower
     * fetches the log end the high watermark reaches it.
     */
    @Test
    void randomSchedulesNeverLetTheHighWatermarkPassAnInSyncReplica() {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            List<Integer> replicas = List.of(1, 2, 3, 4);
            ReplicaTracker t = new ReplicaTracker(1, replicas, List.of(1, 2, 3), 0);
            Map<Integer, Long> logEnd = new HashMap<>(Map.of(2, 0L, 3, 0L, 4, 0L));
            long leaderEnd = 0;
            long now = 0;
            long hw = 0;
            List<Integer> committedIsr = List.of(1, 2, 3);
            List<Integer> inFlight = null;
            for (int step = 0; step < 400; step++) {
                switch (random.nextInt(6)) {
                    case 0 -> leaderEnd += 1 + random.nextInt(20);
                    case 1, 2 -> {
                        int f = 2 + random.nextInt(3);
                        long to = logEnd.get(f) + random.nextInt((int) (leaderEnd - logEnd.get(f)) + 1);
                        logEnd.put(f, to);
                        t.onFollowerFetch(f, to, leaderEnd, now, 1);
                        List<Integer> grown = t.expandProposal(f, hw, 0, ALL_ELIGIBLE, now);
                        if (grown != null) {
                            t.proposed(grown);
                            inFlight = grown;
                        }
                    }
                    case 3 -> now += random.nextInt((int) LAG_MS);
                    case 4 -> {
                        List<Integer> shrunk = t.shrinkProposal(leaderEnd, now, LAG_MS);
                        if (shrunk != null) {
                            t.proposed(shrunk);
                            inFlight = shrunk;
                        }
                    }
                    default -> {
                        if (inFlight != null) { // the controller answers: applied, or refused
                            if (random.nextBoolean()) {
                                committedIsr = inFlight;
                                t.committed(inFlight);
                            } else {
                                t.proposalFailed(now);
                            }
                            inFlight = null;
                        }
                    }
                }
                hw = Math.max(hw, t.highWatermarkBound(leaderEnd, now, LAG_MS, ALL_ELIGIBLE));
                assertTrue(hw <= leaderEnd, "seed " + seed + ": high watermark " + hw + " past the log end");
                for (int member : committedIsr) {
                    if (member != 1) {
                        assertTrue(logEnd.get(member) >= hw, "seed " + seed + " step " + step + ": ISR member "
                                + member + " holds " + logEnd.get(member) + " < high watermark " + hw);
                    }
                }
            }
            for (int f = 2; f <= 4; f++) {
                t.onFollowerFetch(f, leaderEnd, leaderEnd, now, 1);
            }
            if (inFlight != null) {
                t.committed(inFlight);
            }
            hw = Math.max(hw, t.highWatermarkBound(leaderEnd, now, LAG_MS, ALL_ELIGIBLE));
            assertEquals(leaderEnd, hw, "seed " + seed + ": everyone caught up, the high watermark reaches the end");
        }
    }

    @Test
    void aRefusedChangeIsProposedAgainOnlyAfterTheRetryPause() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1), 0);
        t.onFollowerFetch(2, 100, 100, 1_000, 1);
        t.proposed(t.expandProposal(2, 100, 0, ALL_ELIGIBLE, 1_000));
        t.proposalFailed(1_000);
        assertNull(t.expandProposal(2, 100, 0, ALL_ELIGIBLE, 1_000 + ReplicaTracker.PROPOSAL_RETRY_MS - 1));
        assertEquals(List.of(1, 2), t.expandProposal(2, 100, 0, ALL_ELIGIBLE, 1_000 + ReplicaTracker.PROPOSAL_RETRY_MS));
    }

    @Test
    void aFetchWithAnOlderBrokerEpochThanTheReplicasLastIsRefusedAndRecordsNothing() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1, 2), 0);
        assertTrue(t.onFollowerFetch(2, 50, 100, 10, 8));
        assertFalse(t.onFollowerFetch(2, 100, 100, 20, 7)); // the replica's previous incarnation
        assertEquals(50, t.highWatermarkBound(100, 20, LAG_MS, ALL_ELIGIBLE));
        assertEquals(8, t.brokerEpoch(2));
        assertTrue(t.onFollowerFetch(2, 100, 100, 30, -1)); // no epoch sent: not checked, as Kafka
        assertTrue(t.onFollowerFetch(2, 100, 100, 40, 9));
        assertEquals(9, t.brokerEpoch(2));
    }

    @Test
    void unknownReplicasAreIgnored() {
        ReplicaTracker t = new ReplicaTracker(1, List.of(1, 2), List.of(1, 2), 0);
        assertFalse(t.onFollowerFetch(9, 100, 100, 1, 1));
        assertEquals(-1, t.brokerEpoch(9));
        assertTrue(t.isReplica(2) && !t.isReplica(9));
        assertEquals(new ArrayList<>(List.of(1, 2)), t.isr());
    }
}
