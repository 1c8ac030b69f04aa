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
     * Where to cut, and whether that settles it: not when the follower lacks the leader's epoch, whose end it then
     * cuts at its own end of the nearest older epoch and asks again with its new latest epoch (Kafka's
     * truncationCompleted = false), so that logs that differ in several epochs end up agreeing.
     */
    record Decision(long offset, boolean complete) {
    }

    /**
     * @param askedEpoch     the follower's latest epoch (what it asked about)
     * @param leaderEpoch    the largest epoch at or below {@code askedEpoch} the leader knows, or -1
     * @param leaderEndOffset the leader's end offset of {@code leaderEpoch}, or -1
     * @param logEnd         the follower's log end
     * @param highWatermark  the follower's high watermark (the fallback when the leader knows no epoch)
     * @param localEndFor    the follower's own (epoch, end offset) for an epoch, from its epoch cache: the largest
     *                       epoch at or below it and where the next one starts (or the log end)
     * @return the offset to truncate to (equal to {@code logEnd} when nothing is cut) and whether it is final
     */
    static Decision decide(int askedEpoch, int leaderEpoch, long leaderEndOffset, long logEnd, long highWatermark,
                           IntFunction<EpochEntry> localEndFor) {
        if (askedEpoch == UNDEFINED_EPOCH) {
            return new Decision(logEnd, true); // nothing written under any epoch: nothing can diverge
        }
        if (leaderEpoch == UNDEFINED_EPOCH || leaderEndOffset < 0) {
            return new Decision(Math.min(highWatermark, logEnd), true); // no common epoch known: keep the committed
        }
        if (leaderEpoch == askedEpoch) {
            return new Decision(Math.min(leaderEndOffset, logEnd), true);
        }
        EpochEntry local = localEndFor.apply(leaderEpoch);
        if (local == null || local.epoch() == UNDEFINED_EPOCH) {
            return new Decision(Math.min(highWatermark, logEnd), true);
        }
        if (local.epoch() != leaderEpoch) {
            // we never had the leader's epoch: what we wrote after our older epoch ends cannot be the leader's
            return new Decision(Math.min(local.startOffset(), logEnd), false);
        }
        return new Decision(Math.min(Math.min(leaderEndOffset, local.startOffset()), logEnd), true);
    }
}
