package io.brook.metadata.controller;

import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Partition reassignments (KIP-455: AlterPartitionReassignments, API 45; ListPartitionReassignments, API 46), the
 * active controller's decisions. Pure: the image and the request in, {@code PartitionChangeRecord}s and the answer
 * out. Kafka's {@code ReplicationControlManager}, {@code PartitionReassignmentReplicas} and
 * {@code PartitionChangeBuilder} are the reference for the semantics.
 *
 * <p>A reassignment moves a partition from its replicas R to a target T in two steps:
 * <ol>
 *   <li>The request: replicas become T followed by the members of R not in T, with {@code addingReplicas} T - R and
 *       {@code removingReplicas} R - T; the ISR and (normally) the leader stay, so the new replicas start as
 *       followers and catch up.</li>
 *   <li>Completion, once every target replica is in the ISR (checked on the request itself and on every ISR change
 *       through AlterPartition, {@link IsrControl}): replicas become T, adding and removing are cleared, the removed
 *       replicas leave the ISR, and the leader, if it leaves (or is not a usable ISR member), is replaced by the
 *       first usable target replica in the new ISR. Dropping replicas always bumps the leader epoch (the leader
 *       field is set even when the leader stays), so the leaving replicas are fenced.</li>
 * </ol>
 * A null target cancels: replicas go back to R (replicas minus adding), the adding replicas leave the ISR (refused,
 * INVALID_REPLICA_ASSIGNMENT, when only adding replicas are in the ISR: that revert would need an unclean election).
 * A new target while one is in progress starts from the current replicas (so the previous target's additions not in
 * the new target are removed).
 *
 * <p>Errors per partition, as Kafka: unknown topic or partition UNKNOWN_TOPIC_OR_PARTITION; an empty target, a
 * broker named twice, a negative or unregistered broker id INVALID_REPLICA_ASSIGNMENT; a cancel with nothing in
 * progress NO_REASSIGNMENT_IN_PROGRESS; {@code allowReplicationFactorChange} false (v1) and a target of another size
 * than the partition's original replicas INVALID_REPLICATION_FACTOR. A partition named twice in one request is decided
 * once; the second mention is INVALID_REPLICA_ASSIGNMENT.
 *
 * <p>Thread-safety: stateless.
 */
public final class Reassignments {
    private Reassignments() {
    }

    /** Decides an AlterPartitionReassignments request against {@code image} (brokers from {@code image.cluster()}). */
    public static ClusterResult<AlterPartitionReassignmentsResponseData> alter(
            MetadataImage image, AlterPartitionReassignmentsRequestData request) {
        ClusterImage cluster = image.cluster();
        return alter(image, request, id -> cluster.broker(id) != null, cluster::usable);
    }

    /**
     * As {@link #alter(MetadataImage, AlterPartitionReassignmentsRequestData)}, with the brokers given by
     * predicates instead of the image's registrations: a node without the broker lifecycle (the single node, its
     * own only broker) passes its own id, so the one reassignment it can take is to the replicas a partition has
     * already (which changes nothing, as Kafka completes it at once: {@code kafka-reassign-partitions} sends it for a
     * plan that only moves log directories).
     *
     * @param registered the broker ids a target may name
     * @param usable     the brokers that may lead (registered, unfenced, not shutting down)
     */
    public static ClusterResult<AlterPartitionReassignmentsResponseData> alter(
            MetadataImage image, AlterPartitionReassignmentsRequestData request, IntPredicate registered,
            IntPredicate usable) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                .setErrorCode(Errors.NONE.code()).setAllowReplicationFactorChange(
                        request.allowReplicationFactorChange());
        Set<String> seen = new HashSet<>();
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic entry : request.topics()) {
            ReassignableTopicResponse topicAnswer = new ReassignableTopicResponse().setName(entry.name());
            response.responses().add(topicAnswer);
            TopicImage topic = image.topic(entry.name());
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition p : entry.partitions()) {
                ReassignablePartitionResponse answer;
                PartitionImage partition = topic == null ? null : topic.partitions().get(p.partitionIndex());
                if (partition == null) {
                    answer = answer(p.partitionIndex(), Errors.UNKNOWN_TOPIC_OR_PARTITION,
                            "The partition " + entry.name() + "-" + p.partitionIndex() + " does not exist.");
                } else if (!seen.add(entry.name() + "-" + p.partitionIndex())) {
                    answer = answer(p.partitionIndex(), Errors.INVALID_REPLICA_ASSIGNMENT,
                            "The partition " + entry.name() + "-" + p.partitionIndex() + " is named twice.");
                } else if (p.replicas() == null) {
                    answer = cancel(image, usable, topic, partition, records);
                } else {
                    answer = reassign(image, registered, usable, topic, partition, p.replicas(),
                            request.allowReplicationFactorChange(), records);
                }
                topicAnswer.partitions().add(answer);
            }
        }
        return ClusterResult.of(records, response);
    }

    /**
     * The reassignments in progress (ListPartitionReassignments): every one when {@code request.topics()} is null,
     * else those of the partitions named; unknown topics and partitions, and partitions not being reassigned, are
     * left out (as Kafka).
     */
    public static ListPartitionReassignmentsResponseData list(MetadataImage image,
                                                              ListPartitionReassignmentsRequestData request) {
        ListPartitionReassignmentsResponseData response = new ListPartitionReassignmentsResponseData()
                .setErrorCode(Errors.NONE.code());
        if (request.topics() == null) {
            for (TopicImage topic : image.topicsByName().values()) {
                addOngoing(response, topic, topic.partitions().keySet());
            }
        } else {
            for (ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics t : request.topics()) {
                TopicImage topic = image.topic(t.name());
                if (topic != null) {
                    addOngoing(response, topic, t.partitionIndexes());
                }
            }
        }
        return response;
    }

    private static void addOngoing(ListPartitionReassignmentsResponseData response, TopicImage topic,
                                   Iterable<Integer> partitions) {
        OngoingTopicReassignment ongoing = new OngoingTopicReassignment().setName(topic.name());
        Set<Integer> listed = new HashSet<>();
        for (int index : partitions) {
            PartitionImage p = topic.partitions().get(index);
            if (p != null && p.reassigning() && listed.add(index)) {
                ongoing.partitions().add(new OngoingPartitionReassignment().setPartitionIndex(index)
                        .setReplicas(new ArrayList<>(p.replicas()))
                        .setAddingReplicas(new ArrayList<>(p.addingReplicas()))
                        .setRemovingReplicas(new ArrayList<>(p.removingReplicas())));
            }
        }
        if (!ongoing.partitions().isEmpty()) {
            response.topics().add(ongoing);
        }
    }

    private static ReassignablePartitionResponse reassign(MetadataImage image, IntPredicate registered,
                                                          IntPredicate usable,
                                                          TopicImage topic, PartitionImage partition,
                                                          List<Integer> target,
                                                          boolean allowReplicationFactorChange,
                                                          List<ApiMessageAndVersion> records) {
        String name = topic.name() + "-" + partition.partition();
        if (target.isEmpty()) {
            return answer(partition.partition(), Errors.INVALID_REPLICA_ASSIGNMENT,
                    "The manual partition assignment of " + name + " includes an empty replica list.");
        }
        Set<Integer> distinct = new HashSet<>();
        for (int id : target) {
            if (!distinct.add(id)) {
                return answer(partition.partition(), Errors.INVALID_REPLICA_ASSIGNMENT,
                        "The manual partition assignment of " + name + " includes broker " + id + " more than once.");
            }
            if (id < 0 || !registered.test(id)) {
                return answer(partition.partition(), Errors.INVALID_REPLICA_ASSIGNMENT,
                        "The manual partition assignment of " + name + " includes broker " + id
                                + ", but no such broker is registered.");
            }
        }
        if (!allowReplicationFactorChange && target.size() != partition.originalReplicas().size()) {
            return answer(partition.partition(), Errors.INVALID_REPLICATION_FACTOR,
                    "The reassignment of " + name + " would change its replication factor from "
                            + partition.originalReplicas().size() + " to " + target.size() + ".");
        }
        List<Integer> current = partition.replicas();
        List<Integer> replicas = new ArrayList<>(target);
        List<Integer> removing = new ArrayList<>();
        for (int id : current) {
            if (!target.contains(id)) {
                replicas.add(id);
                removing.add(id);
            }
        }
        List<Integer> adding = new ArrayList<>();
        for (int id : target) {
            if (!current.contains(id)) {
                adding.add(id);
            }
        }
        ApiMessageAndVersion change = change(image, topic, partition, replicas, partition.isr(), adding, removing,
                usable);
        if (change != null) {
            records.add(change);
        }
        return answer(partition.partition(), Errors.NONE, null);
    }

    private static ReassignablePartitionResponse cancel(MetadataImage image, IntPredicate usable, TopicImage topic,
                                                        PartitionImage partition,
                                                        List<ApiMessageAndVersion> records) {
        String name = topic.name() + "-" + partition.partition();
        if (!partition.reassigning()) {
            return answer(partition.partition(), Errors.NO_REASSIGNMENT_IN_PROGRESS,
                    "No reassignment of " + name + " is in progress.");
        }
        List<Integer> original = partition.originalReplicas();
        List<Integer> isr = partition.isr().stream().filter(original::contains).toList();
        if (isr.isEmpty()) {
            return answer(partition.partition(), Errors.INVALID_REPLICA_ASSIGNMENT,
                    "Unable to revert the reassignment of " + name + ": only replicas being added are in the ISR "
                            + partition.isr() + ", so it would need an unclean leader election.");
        }
        ApiMessageAndVersion change = change(image, topic, partition, original, isr, List.of(), List.of(),
                usable);
        if (change != null) {
            records.add(change);
        }
        return answer(partition.partition(), Errors.NONE, null);
    }

    /**
     * The change taking {@code partition} to the replicas, ISR, adding and removing replicas given, completing the
     * reassignment when every target replica is in the ISR (see the class note), electing a leader when the current
     * one is not a usable member of the new ISR, and bumping the leader epoch when replicas are dropped. Null when
     * nothing changes ({@link PartitionChange}, with the image's eligible leader replica setting).
     */
    static ApiMessageAndVersion change(MetadataImage image, TopicImage topic, PartitionImage partition,
                                       List<Integer> replicas, List<Integer> isr, List<Integer> adding,
                                       List<Integer> removing, IntPredicate usable) {
        return PartitionMoves.change(image, topic, partition, usable).targetIsr(isr)
                .targetAssignment(replicas, adding, removing).build();
    }

    private static ReassignablePartitionResponse answer(int partition, Errors error, String message) {
        return new ReassignablePartitionResponse().setPartitionIndex(partition).setErrorCode(error.code())
                .setErrorMessage(message);
    }
}
