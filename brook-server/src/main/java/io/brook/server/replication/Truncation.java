package io.brook.server.replication;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;

import java.util.function.IntFunction;

/**
 * Where a follower cuts its log before fetching from a new leader, from the leader's answer to OffsetForLeaderEpoch
 * for the follower's latest epoch (Kafka's KIP-101 / KIP-279 rule): both logs agree below the end of the largest
 * epoch they share, so the follower keeps everything below the smaller of the two ends of that epoch, and nothing
 * the leader never had. Pure.
 */
final class Truncation {
    /** No epoch: a log with no batches, or an answer saying the leader knows no epoch at or below the one asked. */
    static final int UNDEFINED_EPOCH = -1;

    private Truncation() {
    }

    /**
     * @param askedEpoch     the follower's latest epoch (what it asked about)
     * @param leaderEpoch    the largest epoch at or below {@code askedEpoch} the leader knows, or -1
     * @param leaderEndOffset the leader's end offset of {@code leaderEpoch}, or -1
     * @param logEnd         the follower's log end
     * @param highWatermark  the follower's high watermark (the fallback when the leader knows no epoch)
     * @param localEndFor    the follower's own (epoch, end offset) for an epoch, from its epoch cache
     * @return the offset to truncate to (equal to {@code logEnd} when nothing is cut)
     */
    static long offset(int askedEpoch, int leaderEpoch, long leaderEndOffset, long logEnd, long highWatermark,
                       IntFunction<EpochEntry> localEndFor) {
        if (askedEpoch == UNDEFINED_EPOCH) {
            return logEnd; // nothing written under any epoch: nothing can diverge
        }
        if (leaderEpoch == UNDEFINED_EPOCH || leaderEndOffset < 0) {
            return Math.min(highWatermark, logEnd); // no common epoch known: keep only what was committed
        }
        long end = Math.min(leaderEndOffset, logEnd);
        if (leaderEpoch < askedEpoch) {
            EpochEntry local = localEndFor.apply(leaderEpoch);
            if (local != null && local.startOffset() >= 0) {
                end = Math.min(end, local.startOffset());
            }
        }
        return end;
    }
}
