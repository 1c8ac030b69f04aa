package io.brook.server.replication;

import io.brook.metadata.image.PartitionImage;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * Sends a leader's ISR change to the active controller as Kafka's AlterPartition (v3: topic id, the partition
 * epoch it is based on, each member with the broker epoch it fetched with). The applied change comes back
 * through the metadata log. A request that got no answer (or reached a controller no longer active) may have been
 * applied, so it stays in flight and is sent again, the same ({@link Partition#isrChangeUnanswered}); a refusal
 * because the controller's state of the partition is newer leaves it in flight until the metadata arrives; any other
 * refusal frees the partition to propose again at its next check ({@link Partition#isrChangeFailed}).
 *
 * <p>Thread-safety: stateless apart from its collaborators; called from fetch handler and scheduler threads.
 */
public final class AlterPartitionSender implements ReplicaManager.IsrSender {
    private static final Logger log = LoggerFactory.getLogger(AlterPartitionSender.class);
    /**
     * Refusals saying the controller's state of the partition is newer than the one the change was based on: the
     * metadata will bring it and settle the change, so it stays in flight (Kafka's Partition keeps its pending state
     * on these; it resets only on INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED).
     */
    private static final Set<Errors> METADATA_AHEAD = EnumSet.of(Errors.INVALID_UPDATE_VERSION,
            Errors.FENCED_LEADER_EPOCH, Errors.NEW_LEADER_ELECTED, Errors.UNKNOWN_TOPIC_ID,
            Errors.UNKNOWN_TOPIC_OR_PARTITION);

    private final ControllerChannel controller;
    private final int nodeId;
    private final LongSupplier brokerEpoch;

    public AlterPartitionSender(ControllerChannel controller, int nodeId, LongSupplier brokerEpoch) {
        this.controller = controller;
        this.nodeId = nodeId;
        this.brokerEpoch = brokerEpoch;
    }

    @Override
    public void send(Partition partition, PartitionImage state, List<Integer> newIsr) {
        long ownEpoch = brokerEpoch.getAsLong();
        List<BrokerState> members = new ArrayList<>(newIsr.size());
        for (int id : newIsr) {
            members.add(new BrokerState().setBrokerId(id)
                    .setBrokerEpoch(id == nodeId ? ownEpoch : partition.followerBrokerEpoch(id)));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(nodeId)
                .setBrokerEpoch(ownEpoch);
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(partition.topicId())
                .setPartitions(List.of(new AlterPartitionRequestData.PartitionData()
                        .setPartitionIndex(partition.topicPartition().partition())
                        .setLeaderEpoch(state.leaderEpoch()).setPartitionEpoch(state.partitionEpoch())
                        .setNewIsrWithEpochs(members))));
        log.info("Proposing ISR {} for {} (was {}, leader epoch {}, partition epoch {})", newIsr,
                partition.topicPartition(), state.isr(), state.leaderEpoch(), state.partitionEpoch());
        controller.alterPartition(request).whenComplete((response, failure) -> {
            Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                    ? wrapped.getCause() : failure;
            Errors error = cause != null ? Errors.forException(cause) : firstError(response);
            if (error == Errors.NONE) {
                return; // the metadata brings the new state
            }
            if (unanswered(cause, error)) {
                log.info("No answer to ISR change {} for {} ({}); sending it again", newIsr,
                        partition.topicPartition(), cause != null ? cause.toString() : error.name());
                partition.isrChangeUnanswered(state.leaderEpoch(), newIsr);
            } else if (METADATA_AHEAD.contains(error)) {
                // the controller's state is newer than this leader's view (maybe through this very change, applied
                // at an earlier try whose answer was lost): it stays in flight until that metadata arrives
                log.info("ISR change {} for {} waits for newer metadata: {}", newIsr, partition.topicPartition(),
                        error.name());
            } else {
                log.info("ISR change {} for {} was not applied: {}", newIsr, partition.topicPartition(),
                        cause != null ? cause.toString() : error.name());
                partition.isrChangeFailed(state.leaderEpoch(), newIsr);
            }
        });
    }

    /**
     * Whether the controller may have applied the change without this leader knowing: no answer came (a timeout, a
     * lost connection) or the controller was not the active one any more, as Kafka's AlterPartitionManager retries.
     */
    private static boolean unanswered(Throwable cause, Errors error) {
        if (cause != null) {
            return cause instanceof RetriableException || cause instanceof IOException
                    || cause instanceof java.util.concurrent.TimeoutException;
        }
        return error == Errors.NOT_CONTROLLER;
    }

    private static Errors firstError(AlterPartitionResponseData response) {
        if (response.errorCode() != Errors.NONE.code()) {
            return Errors.forCode(response.errorCode());
        }
        for (AlterPartitionResponseData.TopicData topic : response.topics()) {
            for (AlterPartitionResponseData.PartitionData p : topic.partitions()) {
                if (p.errorCode() != Errors.NONE.code()) {
                    return Errors.forCode(p.errorCode());
                }
            }
        }
        return Errors.NONE;
    }
}
