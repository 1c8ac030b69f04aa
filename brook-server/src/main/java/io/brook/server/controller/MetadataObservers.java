package io.brook.server.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes that follow the metadata log without voting (broker-only nodes), as the active controller sees their
 * fetches: DescribeQuorum lists them as observers, as Kafka's controller lists its brokers. Their fetch offsets are
 * metadata offsets while DescribeQuorum's offsets are Raft indexes, so an observer's log end offset is reported as
 * the quorum's high watermark when its last fetch had everything committed, else unknown (-1); its last fetch and
 * last caught-up times are exact. An observer silent for {@link #OBSERVER_TIMEOUT_MS} is dropped (Kafka's 5 minutes).
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class MetadataObservers {
    /** How long an observer that stopped fetching is still listed. */
    static final long OBSERVER_TIMEOUT_MS = 5 * 60_000;

    private record Seen(long lastFetchMs, long lastCaughtUpMs, boolean caughtUp) {
    }

    private final Map<Integer, Seen> observers = new ConcurrentHashMap<>();

    /** Records a fetch of {@code replicaId} at {@code nowMs}; {@code caughtUp}: it then had everything committed. */
    public void fetched(int replicaId, boolean caughtUp, long nowMs) {
        if (replicaId < 0) {
            return;
        }
        observers.compute(replicaId, (id, before) -> new Seen(nowMs, caughtUp ? nowMs
                : before == null ? -1 : before.lastCaughtUpMs(), caughtUp));
    }

    /** The observers heard from within {@link #OBSERVER_TIMEOUT_MS}, by id, for DescribeQuorum. */
    public List<QuorumDescription.Replica> replicas(long highWatermark, long nowMs) {
        observers.entrySet().removeIf(e -> nowMs - e.getValue().lastFetchMs() > OBSERVER_TIMEOUT_MS);
        List<QuorumDescription.Replica> replicas = new ArrayList<>();
        observers.forEach((id, seen) -> replicas.add(new QuorumDescription.Replica(id,
                seen.caughtUp() ? highWatermark : -1, seen.lastFetchMs(), seen.lastCaughtUpMs())));
        replicas.sort(java.util.Comparator.comparingInt(QuorumDescription.Replica::id));
        return replicas;
    }
}
