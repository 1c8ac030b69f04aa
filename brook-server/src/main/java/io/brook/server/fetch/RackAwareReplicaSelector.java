package io.brook.server.fetch;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Kafka's rack-aware replica selection rules, implemented for Brook: a client without a rack reads from the leader;
 * one with a rack reads from the leader when the leader is in its rack (or none of the replicas is), else from the
 * replica of its rack with the highest log end, the most recently caught-up one among equals. Stateless and
 * thread-safe.
 */
public final class RackAwareReplicaSelector implements ReplicaSelector {
    /** Most caught up first: highest log end, then the shortest time since last caught up. */
    private static final Comparator<ReplicaView> MOST_CAUGHT_UP = Comparator
            .comparingLong(ReplicaView::logEndOffset)
            .thenComparing(Comparator.comparingLong(ReplicaView::timeSinceLastCaughtUpMs).reversed())
            .thenComparing(Comparator.comparingInt(ReplicaView::brokerId).reversed()); // ties: the lowest id, stable

    @Override
    public Optional<ReplicaView> select(String clientRack, ReplicaView leader, Collection<ReplicaView> replicas) {
        if (clientRack == null || clientRack.isEmpty()) {
            return Optional.of(leader);
        }
        if (clientRack.equals(leader.rack())) {
            return Optional.of(leader);
        }
        Optional<ReplicaView> sameRack = replicas.stream().filter(r -> clientRack.equals(r.rack()))
                .max(MOST_CAUGHT_UP);
        return sameRack.isPresent() ? sameRack : Optional.of(leader);
    }
}
