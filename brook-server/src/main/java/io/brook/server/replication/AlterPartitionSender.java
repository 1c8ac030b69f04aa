package io.brook.server.replication;

import io.brook.metadata.image.PartitionImage;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * Sends a leader's ISR change to the active controller as Kafka's AlterPartition (v3: topic id, the partition
 * epoch it is based on, each member with the broker epoch it fetched with). The applied change comes back
 * through the metadata log; a refusal frees the partition to propose again at its next check
 * ({@link Partition#isrChangeFailed}); a request that got no answer may have been applied, so it stays in flight and
 * is sent again ({@link Partition#isrChangeUnanswered}).
 *
 * <p>Thread-safety: stateless apart from its collaborators; called from fetch handler and scheduler threads.
 */
public final class AlterPartitionSender implements ReplicaManager.IsrSender {
    private static final Logger log = LoggerFactory.getLogger(AlterPartitionSender.class);

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
            if (cause != null && !(cause instanceof StaleBrokerEpochException)) {
                // a timeout, a lost connection, a controller that failed over: it may have been applied
                log.info("No answer to ISR change {} for {} ({}); sending it again", newIsr,
                        partition.topicPartition(), cause.toString());
                partition.isrChangeUnanswered(state.leaderEpoch(), newIsr);
                return;
            }
            Errors error = cause != null ? Errors.forException(cause) : firstError(response);
            if (error != Errors.NONE) {
                log.info("ISR change {} for {} was not applied: {}", newIsr, partition.topicPartition(),
                        cause != null ? cause.toString() : error.name());
                partition.isrChangeFailed(state.leaderEpoch(), newIsr);
            }
        });
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
