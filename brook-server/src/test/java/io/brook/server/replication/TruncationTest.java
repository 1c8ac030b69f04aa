package io.brook.server.replication;

import io.brook.server.replication.Truncation.Decision;
import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a follower cuts its log, from the leader's OffsetForLeaderEpoch answers, round after round. */
class TruncationTest {
    /** An epoch cache as Kafka's: (epoch, start offset) ascending, answering end offsets as OffsetForLeaderEpoch. */
    private record Cache(List<EpochEntry> entries, long logEnd) {
        EpochEntry endOffsetFor(int epoch) {
            for (int i = entries.size() - 1; i >= 0; i--) {
                if (entries.get(i).epoch() <= epoch) {
                    long end = i == entries.size() - 1 ? logEnd : entries.get(i + 1).startOffset();
                    return new EpochEntry(entries.get(i).epoch(), end);
                }
            }
            return new EpochEntry(-1, -1);
        }

        int latestEpoch() {
            return entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
        }

        Cache truncatedTo(long offset) {
            List<EpochEntry> kept = new ArrayList<>();
            for (EpochEntry e : entries) {
                if (e.startOffset() < offset) {
                    kept.add(e);
                }
            }
            return new Cache(kept, Math.min(offset, logEnd));
        }

        IntFunction<EpochEntry> local() {
            return this::endOffsetFor;
        }
    }

    private static Cache cache(long logEnd, long... epochAndStart) {
        List<EpochEntry> entries = new ArrayList<>();
        for (int i = 0; i < epochAndStart.length; i += 2) {
            entries.add(new EpochEntry((int) epochAndStart[i], epochAndStart[i + 1]));
        }
        return new Cache(entries, logEnd);
    }

    /** The fetcher's loop: ask with the latest epoch, cut, until a decision is complete; the final log end. */
    private static long truncate(Cache follower, Cache leader, long highWatermark) {
        for (int round = 0; round < 10; round++) {
            int asked = follower.latestEpoch();
            EpochEntry answer = leader.endOffsetFor(asked);
            Decision d = Truncation.decide(asked, answer.epoch(), answer.startOffset(), follower.logEnd(),
                    highWatermark, follower.local());
            follower = follower.truncatedTo(d.offset());
            if (d.complete()) {
                return follower.logEnd();
            }
        }
        throw new AssertionError("truncation did not settle in 10 rounds");
    }

    @Test
    void sameLatestEpochKeepsUpToTheSmallerEnd() {
        Cache follower = cache(70, 1, 0, 3, 40);
        assertEquals(55, truncate(follower, cache(55, 1, 0, 3, 40), 30), "the leader has less of epoch 3");
        assertEquals(70, truncate(follower, cache(90, 1, 0, 3, 40), 30), "the leader has more: nothing cut");
    }

    @Test
    void anEpochTheLeaderNeverHadIsCutAtTheEndOfTheLastSharedEpoch() {
        // the leader's epoch 1 ended at 45, where its epoch 2 began; it never had our epoch 3
        assertEquals(40, truncate(cache(70, 1, 0, 3, 40), cache(80, 1, 0, 2, 45), 30));
        assertEquals(35, truncate(cache(70, 1, 0, 3, 40), cache(80, 1, 0, 2, 35), 30));
    }

    /**
     * Follower {1:0, 3:50} ending at 80, leader {1:0, 2:40, 4:60}: the leader answers epoch 2 (ending at 60), which
     * the follower never had; a single cut at min(60, 50) would keep the follower's epoch-1 records 40..49 where
     * the leader has epoch-2 ones. Asking again with epoch 1 finds the agreement at 40.
     */
    @Test
    void logsThatDifferInSeveralEpochsAgreeAfterAnotherRound() {
        Cache follower = cache(80, 1, 0, 3, 50);
        Cache leader = cache(90, 1, 0, 2, 40, 4, 60);
        Decision first = Truncation.decide(3, 2, 60, 80, 30, follower.local());
        assertEquals(50, first.offset());
        assertFalse(first.complete(), "the follower lacks epoch 2: ask again");
        assertEquals(40, truncate(follower, leader, 30));
    }

    @Test
    void noCommonEpochKeepsOnlyWhatWasCommitted() {
        Decision d = Truncation.decide(3, -1, -1, 70, 30, cache(70, 1, 0, 3, 40).local());
        assertEquals(30, d.offset());
        assertTrue(d.complete());
    }

    @Test
    void anEmptyLogHasNothingToCut() {
        assertEquals(0, Truncation.decide(-1, -1, -1, 0, 0, cache(0).local()).offset());
    }
}
