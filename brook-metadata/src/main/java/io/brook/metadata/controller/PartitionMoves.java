package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Leadership and ISR changes when brokers leave service (fenced, in controlled shutdown,
 * re-registered or unregistered) or come back (unfenced), as {@code PartitionChangeRecord}s with
 * Kafka's "no change" defaults (leader -2, ISR null, leader recovery state -1) for what stays.
 *
 * <p>Rules (Kafka's controller): a leaving broker leaves every ISR it is in, unless that would
 * empty the ISR (then the ISR stays as it was, so the replicas that had every acknowledged
 * record are still known); a partition it led gets the first replica, in replica order, that is
 * in the new ISR and usable, or no leader (-1) when there is none. A leaderless partition gets a
 * leader again as soon as one of its ISR replicas is usable (that is how a partition whose only
 * replica was fenced comes back when its broker is unfenced). So every leader is a usable member
 * of its ISR, or -1.
 *
 * <p>With eligible leader replicas on (KIP-966, the image's {@code eligible.leader.replicas.version} at 1) the
 * ISR may empty: a broker leaving an ISR that falls below the topic's {@link #minIsr} becomes an eligible leader
 * (it holds every committed record), a leaderless partition elects from its ELR once the ISR is empty, then its last
 * known leader ({@link PartitionChange} has the rules).
 *
 * <p>Unclean leader election ({@code unclean.leader.election.enable}, decided per topic by the
 * caller's predicate): where no ISR replica is usable, the first usable replica in replica order
 * leads, the ISR becomes that replica alone and the leader recovery state RECOVERING (records the
 * ISR did not have may be lost; the leader reports RECOVERED through AlterPartition once it has
 * recovered), as Kafka's {@code PartitionChangeBuilder} does ({@link PartitionChange} decides each partition).
 * Without it the partition stays leaderless.
 *
 * <p>With {@link ReplicaPlacer#loadOf} the only place the cluster decisions read partitions, through
 * the image's {@code topicsById} / {@code partitions} accessors. Each pass visits every partition:
 * fine for the cluster sizes Brook targets (a pass over 10,000 partitions took 0.34 ms on the 2-core
 * test machine); an index of partitions by broker is the step up if that stops being true.
 *
 * <p>Thread-safety: stateless.
 */
final class PartitionMoves {
    /** Kafka's {@code PartitionChangeRecord} leader value for "no leader". */
    static final int NO_LEADER = -1;
    /** Kafka's {@code PartitionChangeRecord} leader value for "leader unchanged". */
    static final int NO_LEADER_CHANGE = -2;
    /** Kafka's {@code PartitionChangeRecord} leader recovery state value for "unchanged". */
    static final byte NO_RECOVERY_STATE_CHANGE = -1;
    /** No topic allows unclean leader election (the default, as Kafka's). */
    static final Predicate<TopicImage> CLEAN_ONLY = topic -> false;

    private PartitionMoves() {
    }

    /**
     * Records taking the brokers in {@code leaving} out of every leadership and ISR.
     *
     * @param usable whether a broker may lead once the decision is applied (false for {@code leaving})
     */
    static List<ApiMessageAndVersion> awayFrom(MetadataImage image, Set<Integer> leaving, IntPredicate usable) {
        return awayFrom(image, leaving, usable, CLEAN_ONLY);
    }

    /**
     * As above; a partition of a topic {@code unclean} accepts whose leader leaves and whose ISR has
     * no usable replica gets an unclean leader (see the class comment).
     */
    static List<ApiMessageAndVersion> awayFrom(MetadataImage image, Set<Integer> leaving, IntPredicate usable,
                                               Predicate<TopicImage> unclean) {
        return awayFrom(image, leaving, usable, unclean, Set.of(), false);
    }

    /**
     * As above; with eligible leader replicas on ({@link MetadataImage#elrEnabled}) the ELRs follow
     * {@link PartitionChange}'s rules with each topic's {@link #minIsr}. {@code uncleanShutdown} (a subset of
     * {@code leaving}) leave every ISR and ELR without entering an ELR. {@code alsoElr}: visit the partitions whose
     * ELR holds a leaving broker too (an unregistration: it stays there, unelectable).
     */
    static List<ApiMessageAndVersion> awayFrom(MetadataImage image, Set<Integer> leaving, IntPredicate usable,
                                               Predicate<TopicImage> unclean, Set<Integer> uncleanShutdown,
                                               boolean alsoElr) {
        return awayFrom(image, partition -> leaving, usable, unclean, uncleanShutdown, alsoElr);
    }

    /**
     * Records taking broker {@code broker}'s replicas in the log directories {@code offlineDirs} out of their
     * partitions' leadership and ISR (KIP-858: those directories went offline; its other replicas stay).
     */
    static List<ApiMessageAndVersion> awayFromDirectories(MetadataImage image, int broker, Set<Uuid> offlineDirs,
                                                          IntPredicate usable, Predicate<TopicImage> unclean) {
        Set<Integer> leaving = Set.of(broker);
        return awayFrom(image, partition -> partition.replicas().contains(broker)
                        && offlineDirs.contains(partition.directory(broker)) ? leaving : Set.of(),
                usable, unclean, Set.of(), false);
    }

    /** As above, with the brokers leaving decided per partition ({@code leavingOf}). */
    private static List<ApiMessageAndVersion> awayFrom(MetadataImage image,
                                                       Function<PartitionImage, Set<Integer>> leavingOf,
                                                       IntPredicate usable, Predicate<TopicImage> unclean,
                                                       Set<Integer> uncleanShutdown, boolean alsoElr) {
        boolean elr = image.elrEnabled();
        ToIntFunction<TopicImage> minIsr = minIsr(image);
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                Set<Integer> leaving = leavingOf.apply(partition);
                if (leaving.isEmpty()) {
                    continue;
                }
                IntPredicate staying = replica -> !leaving.contains(replica) && usable.test(replica)
                        && image.cluster().hasOnlineReplica(replica, partition);
                boolean leads = leaving.contains(partition.leader());
                List<Integer> isr = partition.isr().stream().filter(replica -> !leaving.contains(replica)).toList();
                boolean inIsr = isr.size() != partition.isr().size();
                boolean inElr = partition.elr().stream()
                        .anyMatch(b -> alsoElr ? leaving.contains(b) : uncleanShutdown.contains(b));
                if (!leads && !inIsr && !inElr) {
                    continue;
                }
                ApiMessageAndVersion record = new PartitionChange(topic.id(), partition, staying).targetIsr(isr)
                        .election(election(unclean, topic)).elr(elr, minIsr.applyAsInt(topic))
                        .uncleanShutdown(uncleanShutdown).build();
                if (record != null) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    /** Records giving every leaderless partition with a usable ISR replica that replica as leader. */
    static List<ApiMessageAndVersion> electLeaderless(MetadataImage image, IntPredicate usable) {
        return electLeaderless(image, usable, CLEAN_ONLY);
    }

    /**
     * As above; a leaderless partition of a topic {@code unclean} accepts with no usable ISR replica
     * gets its first usable replica as an unclean leader (see the class comment).
     */
    static List<ApiMessageAndVersion> electLeaderless(MetadataImage image, IntPredicate usable,
                                                      Predicate<TopicImage> unclean) {
        boolean elr = image.elrEnabled();
        ToIntFunction<TopicImage> minIsr = minIsr(image);
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.leader() != NO_LEADER) {
                    continue;
                }
                ApiMessageAndVersion record = new PartitionChange(topic.id(), partition, onlineReplica(image,
                        partition, usable)).election(election(unclean, topic)).elr(elr, minIsr.applyAsInt(topic))
                        .build();
                if (record != null) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    private static PartitionChange.Election election(Predicate<TopicImage> unclean, TopicImage topic) {
        return unclean.test(topic) ? PartitionChange.Election.UNCLEAN : PartitionChange.Election.ONLINE;
    }

    /**
     * Which topics of {@code image} allow unclean leader election: the topic's
     * {@code unclean.leader.election.enable} override, else the cluster-wide dynamic broker config
     * (resource ""), else {@code staticDefault} (the controller's own setting, false by default).
     */
    static Predicate<TopicImage> uncleanAllowed(MetadataImage image, boolean staticDefault) {
        String clusterValue = image.brokerConfigs().getOrDefault("", java.util.Map.of()).get(UNCLEAN_CONFIG);
        boolean clusterDefault = clusterValue == null ? staticDefault : parseBoolean(clusterValue);
        return topic -> {
            String value = topic.configs().get(UNCLEAN_CONFIG);
            return value == null ? clusterDefault : parseBoolean(value);
        };
    }

    /**
     * The effective minimum ISR size of each topic (KIP-966's, Kafka's {@code getTopicEffectiveMinIsr}): its
     * {@code min.insync.replicas} override, else the cluster-wide dynamic broker config (resource ""), else Kafka's
     * default 1, capped at the replication factor (of partition 0, as Kafka). A cluster that turns eligible leader
     * replicas on writes the cluster-wide value with the controller's static one when it has none (Kafka's
     * {@code maybeGenerateElrSafetyRecords}), so with ELR on the image alone decides.
     */
    static ToIntFunction<TopicImage> minIsr(MetadataImage image) {
        String clusterValue = image.brokerConfigs().getOrDefault("", java.util.Map.of()).get(MIN_ISR_CONFIG);
        int clusterDefault = clusterValue == null ? 1 : Integer.parseInt(clusterValue.trim());
        return topic -> {
            String value = topic.configs().get(MIN_ISR_CONFIG);
            int minIsr = value == null ? clusterDefault : Integer.parseInt(value.trim());
            PartitionImage first = topic.partitions().get(0);
            return first == null ? minIsr : Math.min(minIsr, first.replicas().size());
        };
    }

    /** A change of a partition of {@code topic}, with the image's eligible leader replica setting. */
    static PartitionChange change(MetadataImage image, TopicImage topic, PartitionImage partition,
                                  IntPredicate acceptable) {
        return new PartitionChange(topic.id(), partition, onlineReplica(image, partition, acceptable))
                .elr(image.elrEnabled(), minIsr(image).applyAsInt(topic)).defaultDirs(image.cluster()::defaultDir);
    }

    /** {@code acceptable}, and the log directory of the broker's replica of {@code partition} online (KIP-858). */
    private static IntPredicate onlineReplica(MetadataImage image, PartitionImage partition, IntPredicate acceptable) {
        return broker -> acceptable.test(broker) && image.cluster().hasOnlineReplica(broker, partition);
    }

    /** The topic (and broker) config of the minimum ISR size. */
    static final String MIN_ISR_CONFIG = org.apache.kafka.common.config.TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG;

    /**
     * KIP-966 R9: the ELR and LastKnownElr of every partition of {@code topic} (every topic when null) that has
     * either, emptied (Kafka's {@code ClearElrRecord}, here one {@code PartitionChangeRecord} each): a new minimum
     * makes the old eligibility meaningless.
     */
    static List<ApiMessageAndVersion> clearElr(MetadataImage image, String topic) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage t : image.topicsById().values()) {
            if (topic != null && !topic.equals(t.name())) {
                continue;
            }
            for (PartitionImage p : t.partitions().values()) {
                if (!p.elr().isEmpty() || !p.lastKnownElr().isEmpty()) {
                    records.add(new ApiMessageAndVersion(new org.apache.kafka.common.metadata.PartitionChangeRecord()
                            .setTopicId(t.id()).setPartitionId(p.partition()).setEligibleLeaderReplicas(List.of())
                            .setLastKnownElr(List.of()),
                            org.apache.kafka.server.common.MetadataVersion.LATEST_PRODUCTION
                                    .partitionChangeRecordVersion()));
                }
            }
        }
        return records;
    }

    /** The topic (and broker) config that allows unclean leader election. */
    static final String UNCLEAN_CONFIG = org.apache.kafka.common.config.TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG;

    private static boolean parseBoolean(String value) {
        return Boolean.parseBoolean(value.trim());
    }

    /** Whether {@code broker} leads any partition in {@code image}. */
    static boolean leadsAny(MetadataImage image, int broker) {
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.leader() == broker) {
                    return true;
                }
            }
        }
        return false;
    }
}
