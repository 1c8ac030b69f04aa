package io.brook.storage.cleaner;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogSegment;
import io.brook.storage.log.PartitionLog;

import java.util.ArrayList;
import java.util.List;

/**
 * The cleaner's decisions, apart from any I/O: which part of a log may be cleaned, how dirty it
 * is, whether it is due, and how its segments are grouped into cleaned segments.
 */
public final class CleaningPlanner {

    /** What the planner needs to know of one segment. */
    public record SegmentInfo(long baseOffset, long nextOffset, long sizeBytes, int indexEntries,
                              long firstTimestamp, long largestTimestamp) {
        static SegmentInfo of(LogSegment segment) {
            return new SegmentInfo(segment.baseOffset(), segment.nextOffset(), segment.sizeInBytes(),
                    segment.indexEntries(), segment.firstBatchTimestamp(), segment.largestTimestampForRetention());
        }
    }

    /**
     * The cleanable part of a log: {@code [firstDirtyOffset, firstUncleanableOffset)} has not been
     * cleaned yet; everything below it has been, and is rewritten again by each cleaning.
     */
    public record Plan(long firstDirtyOffset, long firstUncleanableOffset, long cleanBytes, long dirtyBytes,
                       boolean maxLagExceeded) {
        /** Dirty bytes over all bytes below the first uncleanable offset (Kafka's dirty ratio). */
        public double dirtyRatio() {
            long total = cleanBytes + dirtyBytes;
            return total == 0 ? 0 : (double) dirtyBytes / total;
        }
    }

    private CleaningPlanner() {
    }

    /** Plans the cleaning of {@code log} given the offset its last cleaning stopped at. */
    public static Plan plan(PartitionLog log, long checkpoint, long nowMs) {
        List<SegmentInfo> infos = new ArrayList<>();
        for (LogSegment segment : log.segments()) {
            infos.add(SegmentInfo.of(segment));
        }
        LogConfig config = log.config();
        // records of open transactions wait: whether they stay is decided by their marker
        long unstable = log.lastStableOffset(Long.MAX_VALUE);
        return plan(infos, log.logStartOffset(), checkpoint, unstable, config.minCompactionLagMs(),
                config.maxCompactionLagMs(), nowMs);
    }

    /**
     * @param segments   every segment of the log in offset order; the last is the active segment,
     *                   which is never cleaned
     * @param checkpoint where the last cleaning stopped (reset to the log start when out of range)
     * @param firstUnstableOffset the first offset of the earliest open transaction (Long.MAX_VALUE when
     *                   none): its segment and those after it are not cleaned
     */
    public static Plan plan(List<SegmentInfo> segments, long logStart, long checkpoint, long firstUnstableOffset,
                            long minCompactionLagMs, long maxCompactionLagMs, long nowMs) {
        SegmentInfo active = segments.get(segments.size() - 1);
        long firstDirty = checkpoint < logStart || checkpoint > active.nextOffset() ? logStart : checkpoint;
        long firstUncleanable = active.baseOffset();
        for (SegmentInfo segment : segments) {
            if (segment.nextOffset() > firstUnstableOffset) {
                firstUncleanable = Math.min(firstUncleanable, segment.baseOffset());
                break;
            }
        }
        boolean maxLagExceeded = false;
        boolean firstDirtySegment = true;
        for (SegmentInfo segment : segments) {
            if (segment.nextOffset() <= firstDirty || segment.baseOffset() >= firstUncleanable) {
                continue;
            }
            if (nowMs - segment.largestTimestamp() < minCompactionLagMs) {
                firstUncleanable = segment.baseOffset(); // too young: it and everything after it wait
                break;
            }
            if (firstDirtySegment && segment.firstTimestamp() >= 0) {
                maxLagExceeded = nowMs - segment.firstTimestamp() > maxCompactionLagMs;
            }
            firstDirtySegment = false;
        }
        firstUncleanable = Math.max(firstUncleanable, firstDirty);
        long cleanBytes = 0;
        long dirtyBytes = 0;
        for (SegmentInfo segment : segments) {
            if (segment.baseOffset() >= firstUncleanable) {
                break;
            }
            if (segment.nextOffset() > firstDirty) {
                dirtyBytes += segment.sizeBytes();
            } else {
                cleanBytes += segment.sizeBytes();
            }
        }
        return new Plan(firstDirty, firstUncleanable, cleanBytes, dirtyBytes, maxLagExceeded && dirtyBytes > 0);
    }

    /**
     * Whether a log should be cleaned now: its dirty ratio passed {@code min.cleanable.dirty.ratio},
     * a dirty record waited longer than {@code max.compaction.lag.ms}, or a tombstone kept after an
     * earlier cleaning reached its delete horizon ({@code tombstonesExpireAtMs}, else Long.MAX_VALUE).
     */
    public static boolean isDue(Plan plan, double minCleanableRatio, long tombstonesExpireAtMs, long nowMs) {
        if (plan.dirtyBytes() > 0 && (plan.dirtyRatio() > minCleanableRatio || plan.maxLagExceeded())) {
            return true;
        }
        return tombstonesExpireAtMs <= nowMs && plan.cleanBytes() + plan.dirtyBytes() > 0;
    }

    /**
     * Groups consecutive segments so each group becomes one cleaned segment: at most
     * {@code maxBytes} together (counted before cleaning, so the cleaned segment always fits), index
     * entries (plus one per segment) within half of {@code maxIndexEntries} (the cleaned segment's
     * index is rebuilt over fewer bytes, but not necessarily at the same batches), and an offset range a
     * 32-bit relative offset can address.
     *
     * @return for each group, its segments' indexes in {@code segments}
     */
    public static List<List<Integer>> groupBySize(List<SegmentInfo> segments, long maxBytes, int maxIndexEntries) {
        List<List<Integer>> groups = new ArrayList<>();
        int i = 0;
        while (i < segments.size()) {
            List<Integer> group = new ArrayList<>();
            group.add(i);
            SegmentInfo first = segments.get(i);
            long bytes = first.sizeBytes();
            long entries = first.indexEntries() + 1;
            i++;
            while (i < segments.size()) {
                SegmentInfo next = segments.get(i);
                boolean fits = bytes + next.sizeBytes() <= maxBytes
                        && entries + next.indexEntries() + 1 <= maxIndexEntries / 2
                        && next.nextOffset() - 1 - first.baseOffset() <= Integer.MAX_VALUE;
                if (!fits) {
                    break;
                }
                bytes += next.sizeBytes();
                entries += next.indexEntries() + 1;
                group.add(i);
                i++;
            }
            groups.add(group);
        }
        return groups;
    }
}
