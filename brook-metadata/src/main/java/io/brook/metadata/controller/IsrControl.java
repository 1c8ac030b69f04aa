package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The active controller's decision on AlterPartition (API 56): a partition leader asking to change
 * its ISR (KIP-497, with topic ids as KIP-841, broker epochs per ISR member as KIP-903) and to
 * report that it has recovered after an unclean election (KIP-704). Kafka's
 * {@code ReplicationControlManager.alterPartition} is the reference for the rules; pure: the image
 * and the request in, the records and the answer out.
 *
 * <p>The request as a whole: the sender must be registered with the broker epoch it sends, else
 * STALE_BROKER_EPOCH (thrown: nothing is written). Then each partition on its own, in Kafka's order:
 * <ul>
 *   <li>unknown topic id: UNKNOWN_TOPIC_ID; unknown partition: UNKNOWN_TOPIC_OR_PARTITION;</li>
 *   <li>a leader or partition epoch above the image's: NOT_CONTROLLER (this controller is behind, the
 *       leader should find the newer one); a leader epoch below it: FENCED_LEADER_EPOCH;</li>
 *   <li>the sender is not the partition's leader (with the current leader epoch, only a broker that
 *       misbehaves): INVALID_REQUEST, as Kafka answers;</li>
 *   <li>a partition epoch below the image's: INVALID_UPDATE_VERSION, except when the request asks for
 *       the state the partition already has (the same ISR, as a set, and recovery state): the answer
 *       is that state, NONE (a retry whose answer was lost is told it succeeded);</li>
 *   <li>an ISR member that is not a replica, named twice, or an ISR without the leader: INVALID_REQUEST;
 *       RECOVERING with more than the leader in the ISR, or RECOVERED going back to RECOVERING:
 *       INVALID_REQUEST; an unknown recovery state: INVALID_REQUEST;</li>
 *   <li>an ISR member that is not registered, fenced, in controlled shutdown or (v3) registered with
 *       another broker epoch than the request names for it (-1: not checked): INELIGIBLE_REPLICA, for
 *       every member as Kafka checks, so a replica that restarted must catch up again first;</li>
 *   <li>else one {@code PartitionChangeRecord} with the new ISR (and the recovery state when it changes),
 *       leader unchanged (-2), so replaying it bumps the partition epoch and not the leader epoch;
 *       nothing when nothing changes. The answer: leader, leader epoch, ISR, recovery state and the
 *       partition epoch after the change. A partition being reassigned completes its reassignment in the same
 *       record once every target replica is in the new ISR ({@link PartitionChange}); NEW_LEADER_ELECTED when that
 *       moves the leadership away from the sender.</li>
 * </ul>
 * A partition named twice in one request: the second is INVALID_REQUEST.
 *
 * <p>Thread-safety: stateless.
 */
public final class IsrControl {
    /** A broker epoch of -1 in {@code NewIsrWithEpochs}: the sender does not know it, not checked. */
    public static final long UNKNOWN_BROKER_EPOCH = -1;

    private IsrControl() {
    }

    /** Decides an AlterPartition request against {@code image} (and its brokers, {@code image.cluster()}). */
    public static ClusterResult<AlterPartitionResponseData> alterPartition(MetadataImage image,
                                                                          AlterPartitionRequestData request) {
        ClusterImage cluster = image.cluster();
        BrokerRegistration sender = cluster.broker(request.brokerId());
        if (sender == null) {
            throw new StaleBrokerEpochException("Broker " + request.brokerId() + " is not registered.");
        }
        if (sender.epoch() != request.brokerEpoch()) {
            throw new StaleBrokerEpochException("Broker " + request.brokerId() + " sent epoch "
                    + request.brokerEpoch() + ", but its registration has epoch " + sender.epoch() + ".");
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        AlterPartitionResponseData response = new AlterPartitionResponseData();
        Set<String> seen = new HashSet<>();
        for (AlterPartitionRequestData.TopicData topicData : request.topics()) {
            AlterPartitionResponseData.TopicData topicAnswer = new AlterPartitionResponseData.TopicData()
                    .setTopicId(topicData.topicId());
            response.topics().add(topicAnswer);
            TopicImage topic = topicData.topicId() == null || Uuid.ZERO_UUID.equals(topicData.topicId()) ? null
                    : image.topic(topicData.topicId());
            for (AlterPartitionRequestData.PartitionData data : topicData.partitions()) {
                AlterPartitionResponseData.PartitionData answer;
                if (topic == null) {
                    answer = refusal(data, Errors.UNKNOWN_TOPIC_ID);
                } else if (!seen.add(topicData.topicId() + "-" + data.partitionIndex())) {
                    answer = refusal(data, Errors.INVALID_REQUEST);
                } else {
                    answer = decide(image, topic, request.brokerId(), data, records);
                }
                topicAnswer.partitions().add(answer);
            }
        }
        return ClusterResult.of(records, response);
    }

    private static AlterPartitionResponseData.PartitionData decide(MetadataImage image, TopicImage topic,
                                                                   int senderId,
                                                                   AlterPartitionRequestData.PartitionData data,
                                                                   List<ApiMessageAndVersion> records) {
        ClusterImage cluster = image.cluster();
        PartitionImage partition = topic.partitions().get(data.partitionIndex());
        if (partition == null) {
            return refusal(data, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (data.leaderEpoch() > partition.leaderEpoch() || data.partitionEpoch() > partition.partitionEpoch()) {
            return refusal(data, Errors.NOT_CONTROLLER);
        }
        if (data.leaderEpoch() < partition.leaderEpoch()) {
            return refusal(data, Errors.FENCED_LEADER_EPOCH);
        }
        if (senderId != partition.leader()) {
            return refusal(data, Errors.INVALID_REQUEST);
        }
        List<Integer> newIsr = requestedIsr(data);
        byte recovery = data.leaderRecoveryState();
        if (recovery != PartitionImage.RECOVERED && recovery != PartitionImage.RECOVERING) {
            return refusal(data, Errors.INVALID_REQUEST);
        }
        boolean sameIsr = new HashSet<>(newIsr).equals(new HashSet<>(partition.isr()))
                && newIsr.size() == partition.isr().size();
        boolean sameState = sameIsr && recovery == partition.leaderRecoveryState();
        if (data.partitionEpoch() < partition.partitionEpoch()) {
            return sameState ? current(data, partition) : refusal(data, Errors.INVALID_UPDATE_VERSION);
        }
        if (!validMembers(partition, newIsr)) {
            return refusal(data, Errors.INVALID_REQUEST);
        }
        if (recovery == PartitionImage.RECOVERING
                && (newIsr.size() > 1 || partition.leaderRecoveryState() == PartitionImage.RECOVERED)) {
            return refusal(data, Errors.INVALID_REQUEST);
        }
        if (!eligible(cluster, data)) {
            return refusal(data, Errors.INELIGIBLE_REPLICA);
        }
        if (sameState) {
            return current(data, partition); // nothing to change: nothing written, the epoch stays
        }
        // a partition being reassigned completes its reassignment once every target replica is in the new ISR
        // with eligible leader replicas on, a shrink below the minimum ISR keeps the replicas leaving as eligible
        // leaders and a return to it empties the ELR
        ApiMessageAndVersion record = PartitionMoves.change(image, topic, partition, cluster::usable)
                .targetIsr(sameIsr ? partition.isr() : newIsr).targetRecoveryState(recovery).build();
        records.add(record); // not null: the ISR or the recovery state changes
        PartitionChangeRecord change = (PartitionChangeRecord) record.message();
        boolean newLeader = change.leader() != PartitionMoves.NO_LEADER_CHANGE;
        if (newLeader && change.leader() != senderId) {
            // the leadership moves away from the sender (as Kafka answers): it learns its new role from the metadata
            return new AlterPartitionResponseData.PartitionData().setPartitionIndex(partition.partition())
                    .setErrorCode(Errors.NEW_LEADER_ELECTED.code());
        }
        return new AlterPartitionResponseData.PartitionData().setPartitionIndex(partition.partition())
                .setErrorCode(Errors.NONE.code()).setLeaderId(partition.leader())
                .setLeaderEpoch(partition.leaderEpoch() + (newLeader ? 1 : 0))
                .setIsr(new ArrayList<>(change.isr() == null ? partition.isr() : change.isr()))
                .setLeaderRecoveryState(recovery).setPartitionEpoch(partition.partitionEpoch() + 1);
    }

    /** The ISR asked for: {@code NewIsrWithEpochs} (v3), else {@code NewIsr} (v2, read before forwarding). */
    static List<Integer> requestedIsr(AlterPartitionRequestData.PartitionData data) {
        List<Integer> isr = new ArrayList<>();
        if (!data.newIsrWithEpochs().isEmpty()) {
            data.newIsrWithEpochs().forEach(member -> isr.add(member.brokerId()));
        } else {
            isr.addAll(data.newIsr());
        }
        return isr;
    }

    /** Every member a replica, none twice, the leader among them. */
    private static boolean validMembers(PartitionImage partition, List<Integer> isr) {
        Set<Integer> distinct = new HashSet<>(isr);
        return distinct.size() == isr.size() && partition.replicas().containsAll(distinct)
                && distinct.contains(partition.leader());
    }

    /** Every member registered, unfenced, not shutting down, with the broker epoch named (when named). */
    private static boolean eligible(ClusterImage cluster, AlterPartitionRequestData.PartitionData data) {
        if (data.newIsrWithEpochs().isEmpty()) {
            for (int id : data.newIsr()) {
                if (!cluster.usable(id)) {
                    return false;
                }
            }
            return true;
        }
        for (AlterPartitionRequestData.BrokerState member : data.newIsrWithEpochs()) {
            BrokerRegistration broker = cluster.broker(member.brokerId());
            if (broker == null || !broker.usable()
                    || (member.brokerEpoch() != UNKNOWN_BROKER_EPOCH && member.brokerEpoch() != broker.epoch())) {
                return false;
            }
        }
        return true;
    }

    private static AlterPartitionResponseData.PartitionData current(AlterPartitionRequestData.PartitionData data,
                                                                    PartitionImage partition) {
        return new AlterPartitionResponseData.PartitionData().setPartitionIndex(data.partitionIndex())
                .setErrorCode(Errors.NONE.code()).setLeaderId(partition.leader())
                .setLeaderEpoch(partition.leaderEpoch()).setIsr(new ArrayList<>(partition.isr()))
                .setLeaderRecoveryState(partition.leaderRecoveryState())
                .setPartitionEpoch(partition.partitionEpoch());
    }

    private static AlterPartitionResponseData.PartitionData refusal(AlterPartitionRequestData.PartitionData data,
                                                                    Errors error) {
        return new AlterPartitionResponseData.PartitionData().setPartitionIndex(data.partitionIndex())
                .setErrorCode(error.code());
    }
}
