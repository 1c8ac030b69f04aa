package io.brook.server.coordinator;

import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.Map;

/**
 * Which partitions of one coordinator topic ({@code __consumer_offsets} or {@code __transaction_state}) this node's
 * coordinator serves, as Kafka's coordinators track their partitions: a partition this node leads is loading from
 * the moment its leader epoch is seen until its log was read for that epoch, then loaded; one it stops leading is
 * unloaded. Pure decisions; the caller does the reading and forgetting ({@link CoordinatorLoader}).
 *
 * <p>The coordinator epoch of a partition is its leader epoch: a newer leader's markers fence an older one's.
 *
 * <p>Thread-safety: safe for concurrent use (one monitor).
 */
public final class CoordinatorLoads {
    /** What the caller must do after a role change. */
    public enum Action {
        /** Read the partition's log into the coordinator (after forgetting what it had of it). */
        LOAD,
        /** Forget the partition's keys. */
        UNLOAD,
        /** Nothing changed for the coordinator (an ISR change, a repeated notification). */
        NONE
    }

    /** A led partition: the epoch it is led in and whether its log was read for that epoch. */
    private record Led(int leaderEpoch, boolean loaded) {
    }

    private final Map<Integer, Led> led = new HashMap<>();

    /**
     * The metadata gave {@code partition} a role: led by this node in {@code leaderEpoch} ({@code leader} true) or
     * not. A new leadership, or a new epoch of it (the partition may have changed while led elsewhere), loads; a
     * lost one unloads.
     */
    public synchronized Action onRole(int partition, boolean leader, int leaderEpoch) {
        Led current = led.get(partition);
        if (leader) {
            if (current != null && current.leaderEpoch() == leaderEpoch) {
                return Action.NONE;
            }
            led.put(partition, new Led(leaderEpoch, false));
            return Action.LOAD;
        }
        return led.remove(partition) != null ? Action.UNLOAD : Action.NONE;
    }

    /**
     * The load of {@code partition} for {@code leaderEpoch} finished. True if that is still the current
     * leadership (requests are served from now on); false if it moved meanwhile (a later action follows).
     */
    public synchronized boolean loaded(int partition, int leaderEpoch) {
        Led current = led.get(partition);
        if (current == null || current.leaderEpoch() != leaderEpoch) {
            return false;
        }
        led.put(partition, new Led(leaderEpoch, true));
        return true;
    }

    /**
     * How a request for a key of {@code partition} is answered while the metadata says {@code leader} (this node
     * or not) in {@code leaderEpoch}: NONE once loaded for that epoch, COORDINATOR_LOAD_IN_PROGRESS while this node
     * leads it but has not read it for that epoch yet, NOT_COORDINATOR when another node (or none) leads it.
     */
    public synchronized Errors status(int partition, boolean leader, int leaderEpoch) {
        if (!leader) {
            return Errors.NOT_COORDINATOR;
        }
        Led current = led.get(partition);
        return current != null && current.loaded() && current.leaderEpoch() == leaderEpoch
                ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }
}
