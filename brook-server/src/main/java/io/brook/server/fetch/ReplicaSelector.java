package io.brook.server.fetch;

import org.apache.kafka.common.config.ConfigException;

import java.util.Collection;
import java.util.Optional;

/**
 * Which replica a consumer should read a partition from (KIP-392, follower fetching): the leader asks it on every
 * consumer Fetch (v11+) and, when it names a follower, answers that partition with {@code preferred_read_replica}
 * and no records; the client then fetches from that follower until its metadata expires or the follower answers
 * with an error. Pure: the caller gathers the candidates.
 *
 * <p>Brook does not load classes by name: {@code replica.selector.class} accepts Kafka's rack-aware selector's name
 * and runs {@link RackAwareReplicaSelector}, Brook's own implementation of its rules; unset means leader only.
 */
public interface ReplicaSelector {
    /** The setting naming the selector, as Kafka's. */
    String CONFIG = "replica.selector.class";
    /** Kafka's rack-aware selector, the one name {@link #CONFIG} accepts. */
    String RACK_AWARE = "org.apache.kafka.common.replica.RackAwareReplicaSelector";

    /**
     * A replica a client may be sent to, as the leader sees it.
     *
     * @param rack the broker's {@code broker.rack}, null if it has none
     * @param logEndOffset the leader's own log end, or the offset the follower last fetched from
     * @param timeSinceLastCaughtUpMs how long ago the follower was last caught up with the leader (0 for the leader)
     */
    record ReplicaView(int brokerId, String rack, long logEndOffset, long timeSinceLastCaughtUpMs) {
    }

    /**
     * The replica {@code clientRack}'s consumer should read from.
     *
     * @param leader the leader, also one of {@code replicas}
     * @param replicas the leader and the followers that may serve the client (in sync, holding its fetch offset,
     *     reachable on its listener)
     * @return the chosen replica; empty leaves the client on the leader
     */
    Optional<ReplicaView> select(String clientRack, ReplicaView leader, Collection<ReplicaView> replicas);

    /**
     * The selector {@code className} names: empty for none (null or blank: consumers read from leaders only),
     * {@link RackAwareReplicaSelector} for {@link #RACK_AWARE}.
     *
     * @throws ConfigException for any other name (one line: Brook runs no plugged-in class)
     */
    static Optional<ReplicaSelector> forClassName(String className) {
        if (className == null || className.isBlank()) {
            return Optional.empty();
        }
        if (className.trim().equals(RACK_AWARE)) {
            return Optional.of(new RackAwareReplicaSelector());
        }
        throw new ConfigException(CONFIG, className, "Brook does not load replica selector classes; leave it out "
                + "(consumers read from leaders) or give " + RACK_AWARE);
    }
}
