package io.brook.server.replication;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where a follower cuts its log, from the leader's OffsetForLeaderEpoch answer. */
class TruncationTest {
    /** A follower's epoch cache: epoch 1 from 0, epoch 3 from 40; log end 70. */
    private static final List<EpochEntry> CACHE = List.of(new EpochEntry(1, 0), new EpochEntry(3, 40));
    private static final long LOG_END = 70;

    private static IntFunction<EpochEntry> localEnd() {
        return epoch -> {
            for (int i = CACHE.size() - 1; i >= 0; i--) {
                if (CACHE.get(i).epoch() <= epoch) {
                    long end = i == CACHE.size() - 1 ? LOG_END : CACHE.get(i + 1).startOffset();
                    return new EpochEntry(CACHE.get(i).epoch(), end);
                }
            }
            return new EpochEntry(-1, -1);
        };
    }

    @Test
    void sameLatestEpochKeepsUpToTheSmallerEnd() {
        assertEquals(55, Truncation.offset(3, 3, 55, LOG_END, 30, localEnd()), "the leader has less of epoch 3");
        assertEquals(70, Truncation.offset(3, 3, 90, LOG_END, 30, localEnd()), "the leader has more: nothing cut");
    }

    @Test
    void anEpochTheLeaderNeverHadIsCutAtTheEndOfTheLastSharedEpoch() {
        // the leader knows epoch 1 (ending at 45, where its epoch 2 began) but not our epoch 3
        assertEquals(40, Truncation.offset(3, 1, 45, LOG_END, 30, localEnd()),
                "our epoch 1 ends at 40: everything from our epoch 3 goes");
        assertEquals(35, Truncation.offset(3, 1, 35, LOG_END, 30, localEnd()));
    }

    @Test
    void noCommonEpochKeepsOnlyWhatWasCommitted() {
        assertEquals(30, Truncation.offset(3, -1, -1, LOG_END, 30, localEnd()));
    }

    @Test
    void anEmptyLogHasNothingToCut() {
        assertEquals(0, Truncation.offset(-1, -1, -1, 0, 0, epoch -> new EpochEntry(-1, -1)));
    }
}
