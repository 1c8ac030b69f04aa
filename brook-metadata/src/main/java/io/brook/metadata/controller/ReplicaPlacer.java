package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Where the replicas of new partitions go: rack-aware, leader-balanced placement over the usable
 * brokers (registered, unfenced, not in controlled shutdown), in the spirit of Kafka's
 * {@code StripedReplicaPlacer}.
 *
 * <p>Partition by partition: the leader (first replica) is the broker leading the fewest
 * partitions so far, counting the leaderships it already has in the image; each further replica
 * goes to a broker not yet holding one, in the rack holding the fewest replicas of this partition,
 * and among those to the broker holding the fewest replicas. Ties are broken by an order of the
 * brokers shuffled with the caller's seed, so a placement is a pure function of its inputs. Hence:
 * the replicas of a partition are on distinct brokers; a partition spans min(RF, racks) racks;
 * leader counts end within 1 of each other (or no further apart than they started); replica
 * counts level out as far as the racks allow. Brokers without a rack together count as one rack.
 *
 * <p>Thread-safety: stateless.
 */
public final class ReplicaPlacer {
    /** A broker that may take replicas, with its rack. */
    public record UsableBroker(int id, Optional<String> rack) {
    }

    /** Leaders and replicas per broker id that placement balances against (missing ids count 0). */
    public record Load(Map<Integer, Integer> leaders, Map<Integer, Integer> replicas) {
        public static final Load NONE = new Load(Map.of(), Map.of());

        public Load {
            leaders = Map.copyOf(leaders);
            replicas = Map.copyOf(replicas);
        }
    }

    private ReplicaPlacer() {
    }

    /** The brokers of {@code cluster} that may take replicas, by id. */
    public static List<UsableBroker> usableBrokers(ClusterImage cluster) {
        List<UsableBroker> usable = new ArrayList<>();
        for (BrokerRegistration broker : cluster.brokers().values()) {
            if (broker.usable()) {
                usable.add(new UsableBroker(broker.id(), broker.rack()));
            }
        }
        usable.sort(Comparator.comparingInt(UsableBroker::id));
        return usable;
    }

    /** The leaders and replicas each broker holds in {@code image}. */
    public static Load loadOf(MetadataImage image) {
        Map<Integer, Integer> leaders = new HashMap<>();
        Map<Integer, Integer> replicas = new HashMap<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.leader() >= 0) {
                    leaders.merge(partition.leader(), 1, Integer::sum);
                }
                for (int replica : partition.replicas()) {
                    replicas.merge(replica, 1, Integer::sum);
                }
            }
        }
        return new Load(leaders, replicas);
    }

    /**
     * Places new partitions over the usable brokers of {@code cluster}, balancing against the
     * leaders and replicas they have in {@code image} (what CreateTopics and CreatePartitions use).
     */
    public static List<List<Integer>> place(ClusterImage cluster, MetadataImage image, int partitions,
                                            int replicationFactor, long seed) {
        return place(partitions, replicationFactor, usableBrokers(cluster), loadOf(image), seed);
    }

    /**
     * Places {@code partitions} partitions of {@code replicationFactor} replicas each.
     *
     * @return one replica list per partition, leader first
     * @throws InvalidReplicationFactorException when the factor is not positive or exceeds the usable brokers
     */
    public static List<List<Integer>> place(int partitions, int replicationFactor, List<UsableBroker> brokers,
                                            Load load, long seed) {
        if (partitions <= 0) {
            throw new InvalidPartitionsException("Number of partitions must be larger than 0, was " + partitions
                    + ".");
        }
        if (replicationFactor <= 0) {
            throw new InvalidReplicationFactorException("Replication factor must be larger than 0, was "
                    + replicationFactor + ".");
        }
        if (brokers.isEmpty()) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + replicationFactor
                    + " time(s): All brokers are currently fenced or in controlled shutdown.");
        }
        if (replicationFactor > brokers.size()) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + replicationFactor
                    + " time(s): The target replication factor of " + replicationFactor
                    + " cannot be reached because only " + brokers.size() + " broker(s) are registered.");
        }
        List<UsableBroker> order = new ArrayList<>(brokers);
        order.sort(Comparator.comparingInt(UsableBroker::id));
        Collections.shuffle(order, new Random(seed));
        int n = order.size();
        int[] leaders = new int[n];
        int[] replicas = new int[n];
        int[] rackOf = new int[n];
        Map<Optional<String>, Integer> rackIndex = new HashMap<>();
        for (int i = 0; i < n; i++) {
            UsableBroker broker = order.get(i);
            leaders[i] = load.leaders().getOrDefault(broker.id(), 0);
            replicas[i] = load.replicas().getOrDefault(broker.id(), 0);
            rackOf[i] = rackIndex.computeIfAbsent(broker.rack(), r -> rackIndex.size());
        }
        int[] inRack = new int[rackIndex.size()];
        List<List<Integer>> result = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            boolean[] taken = new boolean[n];
            Arrays.fill(inRack, 0);
            List<Integer> chosen = new ArrayList<>(replicationFactor);
            int leader = -1;
            for (int i = 0; i < n; i++) {
                if (leader < 0 || leaders[i] < leaders[leader]
                        || (leaders[i] == leaders[leader] && replicas[i] < replicas[leader])) {
                    leader = i;
                }
            }
            take(leader, taken, inRack, rackOf, replicas, chosen, order);
            leaders[leader]++;
            for (int r = 1; r < replicationFactor; r++) {
                int best = -1;
                for (int i = 0; i < n; i++) {
                    if (taken[i]) {
                        continue;
                    }
                    if (best < 0 || inRack[rackOf[i]] < inRack[rackOf[best]]
                            || (inRack[rackOf[i]] == inRack[rackOf[best]] && replicas[i] < replicas[best])) {
                        best = i;
                    }
                }
                take(best, taken, inRack, rackOf, replicas, chosen, order);
            }
            result.add(List.copyOf(chosen));
        }
        return result;
    }

    private static void take(int i, boolean[] taken, int[] inRack, int[] rackOf, int[] replicas, List<Integer> chosen,
                             List<UsableBroker> order) {
        taken[i] = true;
        inRack[rackOf[i]]++;
        replicas[i]++;
        chosen.add(order.get(i).id());
    }
}
