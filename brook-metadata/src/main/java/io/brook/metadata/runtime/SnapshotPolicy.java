package io.brook.metadata.runtime;

import io.brook.metadata.log.MetadataSnapshots.SnapshotId;

import java.util.List;

/**
 * When the controller snapshots the metadata image, and which snapshots and log segments it keeps:
 * Kafka's {@code metadata.log.max.record.bytes.between.snapshots} and
 * {@code metadata.log.max.snapshot.interval.ms}. A snapshot is due once either many bytes of batches or
 * a long time have passed since the last one, and only if something was written since. The latest
 * {@link #KEPT} snapshots are kept; segments wholly below the oldest kept one are deleted, so start-up
 * can fall back to it if the newest is damaged.
 *
 * <p>Pure: no clock or file access. Immutable.
 */
public record SnapshotPolicy(long maxBytesBetweenSnapshots, long maxIntervalMs) {
    /** Kafka's default of {@code metadata.log.max.record.bytes.between.snapshots}: 20 MiB. */
    public static final long DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS = 20L * 1024 * 1024;
    /** Kafka's default of {@code metadata.log.max.snapshot.interval.ms}: 1 hour. */
    public static final long DEFAULT_MAX_INTERVAL_MS = 60L * 60 * 1000;
    public static final SnapshotPolicy DEFAULT = new SnapshotPolicy(DEFAULT_MAX_BYTES_BETWEEN_SNAPSHOTS,
            DEFAULT_MAX_INTERVAL_MS);
    /** Snapshots kept on disk. */
    public static final int KEPT = 2;

    public SnapshotPolicy {
        if (maxBytesBetweenSnapshots < 1) {
            throw new IllegalArgumentException("metadata.log.max.record.bytes.between.snapshots must be at least 1, was "
                    + maxBytesBetweenSnapshots);
        }
        if (maxIntervalMs < 0) {
            throw new IllegalArgumentException("metadata.log.max.snapshot.interval.ms must not be negative, was "
                    + maxIntervalMs);
        }
    }

    /**
     * Whether a snapshot is due after {@code bytesSince} bytes of batches and {@code msSince} ms since the
     * last snapshot (or start-up). An interval of 0 turns the time trigger off, as in Kafka.
     */
    public boolean due(long bytesSince, long msSince) {
        if (bytesSince <= 0) {
            return false;
        }
        return bytesSince >= maxBytesBetweenSnapshots || maxIntervalMs > 0 && msSince >= maxIntervalMs;
    }

    /** The snapshots to delete of {@code ids} (oldest first): all but the latest {@link #KEPT}. */
    public static List<SnapshotId> toDelete(List<SnapshotId> ids) {
        return ids.subList(0, Math.max(0, ids.size() - KEPT));
    }

    /** The offset below which whole segments may go: the oldest kept snapshot's end, or 0 for none. */
    public static long retainFrom(List<SnapshotId> ids) {
        return ids.isEmpty() ? 0 : ids.get(Math.max(0, ids.size() - KEPT)).endOffset();
    }
}
