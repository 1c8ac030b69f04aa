package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Leader elections on request (Kafka's ElectLeaders, API 43, KIP-460) and the periodic preferred-leader
 * rebalance ({@code auto.leader.rebalance.enable}). Pure: the image and the request in, the
 * {@code PartitionChangeRecord}s and the answer out; Kafka's {@code ReplicationControlManager.electLeaders}
 * is the reference for the per-partition answers.
 *
 * <p>Per partition:
 * <ul>
 *   <li>unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION;</li>
 *   <li>PREFERRED: ELECTION_NOT_NEEDED when the preferred replica (the first one) already leads; else,
 *       if it is in the ISR and usable (registered, unfenced, not in controlled shutdown), it becomes the
 *       leader (the leader epoch goes up on replay); else PREFERRED_LEADER_NOT_AVAILABLE;</li>
 *   <li>UNCLEAN: ELECTION_NOT_NEEDED when the partition has a leader; else the first usable ISR replica
 *       (replica order) leads, else the first usable replica with the ISR reset to it alone and the
 *       leader recovery state RECOVERING, as {@link PartitionChange} elects uncleanly (the request is the
 *       operator's consent, whatever {@code unclean.leader.election.enable} says); else
 *       ELIGIBLE_LEADERS_NOT_AVAILABLE.</li>
 * </ul>
 * Null topic partitions means every partition, and then (as Kafka) the partitions whose election was not
 * needed are left out of the answer. An unknown election type refuses the whole request (INVALID_REQUEST).
 *
 * <p>Thread-safety: stateless.
 */
public final class LeaderElection {
    /** Kafka's {@code ElectionType.PREFERRED}. */
    public static final byte PREFERRED = 0;
    /** Kafka's {@code ElectionType.UNCLEAN}. */
    public static final byte UNCLEAN = 1;

    private LeaderElection() {
    }

    /** Decides an ElectLeaders request against {@code image} (brokers from {@code image.cluster()}). */
    public static ClusterResult<ElectLeadersResponseData> electLeaders(MetadataImage image,
                                                                       ElectLeadersRequestData request) {
        byte type = request.electionType();
        if (type != PREFERRED && type != UNCLEAN) {
            throw new InvalidRequestException("Unknown election type " + type);
        }
        IntPredicate usable = image.cluster()::usable;
        List<ApiMessageAndVersion> records = new ArrayList<>();
        ElectLeadersResponseData response = new ElectLeadersResponseData().setErrorCode(Errors.NONE.code());
        if (request.topicPartitions() == null) {
            for (TopicImage topic : image.topicsByName().values()) {
                ReplicaElectionResult result = new ReplicaElectionResult().setTopic(topic.name());
                for (PartitionImage partition : topic.partitions().values()) {
                    PartitionResult answer = elect(image, topic, partition, type, usable, records);
                    if (answer.errorCode() != Errors.ELECTION_NOT_NEEDED.code()) {
                        result.partitionResult().add(answer);
                    }
                }
                if (!result.partitionResult().isEmpty()) {
                    response.replicaElectionResults().add(result);
                }
            }
            return ClusterResult.of(records, response);
        }
        Map<String, ReplicaElectionResult> byTopic = new HashMap<>();
        java.util.Set<TopicPartition> seen = new java.util.HashSet<>();
        for (ElectLeadersRequestData.TopicPartitions entry : request.topicPartitions()) {
            ReplicaElectionResult result = byTopic.computeIfAbsent(entry.topic(), name -> {
                ReplicaElectionResult r = new ReplicaElectionResult().setTopic(name);
                response.replicaElectionResults().add(r);
                return r;
            });
            TopicImage topic = image.topic(entry.topic());
            for (int id : entry.partitions()) {
                if (!seen.add(new TopicPartition(entry.topic(), id))) {
                    continue; // named twice: decided (and answered) once
                }
                PartitionImage partition = topic == null ? null : topic.partitions().get(id);
                result.partitionResult().add(partition == null
                        ? answer(id, Errors.UNKNOWN_TOPIC_OR_PARTITION, "The partition " + entry.topic() + "-" + id
                                + " does not exist.")
                        : elect(image, topic, partition, type, usable, records));
            }
        }
        return ClusterResult.of(records, response);
    }

    /**
     * The periodic rebalance ({@code auto.leader.rebalance.enable}, Kafka's rule): for every broker, of the
     * partitions whose preferred replica it is, the share it does not lead; where that share is above
     * {@code imbalancePercentage} percent and the broker is usable, each of those partitions whose preferred
     * replica is in the ISR gets it back as leader. Completes with the partitions whose leader moves.
     */
    public static ClusterResult<List<TopicPartition>> rebalance(MetadataImage image, int imbalancePercentage) {
        IntPredicate usable = image.cluster()::usable;
        Map<Integer, int[]> preferredAndNotLeading = new HashMap<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.replicas().isEmpty()) {
                    continue;
                }
                int[] counts = preferredAndNotLeading.computeIfAbsent(partition.replicas().get(0), b -> new int[2]);
                counts[0]++;
                if (partition.leader() != partition.replicas().get(0)) {
                    counts[1]++;
                }
            }
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        List<TopicPartition> moved = new ArrayList<>();
        for (TopicImage topic : image.topicsById().values()) {
            for (PartitionImage partition : topic.partitions().values()) {
                if (partition.replicas().isEmpty()) {
                    continue;
                }
                int preferred = partition.replicas().get(0);
                int[] counts = preferredAndNotLeading.get(preferred);
                // ratio > percentage / 100, in integers
                boolean imbalanced = (long) counts[1] * 100 > (long) imbalancePercentage * counts[0];
                if (imbalanced && partition.leader() != preferred && partition.isr().contains(preferred)
                        && usable.test(preferred)) {
                    records.add(PartitionMoves.change(image, topic, partition, usable)
                            .election(PartitionChange.Election.PREFERRED).build());
                    moved.add(new TopicPartition(topic.name(), partition.partition()));
                }
            }
        }
        return ClusterResult.of(records, moved);
    }

    private static PartitionResult elect(MetadataImage image, TopicImage topic, PartitionImage partition, byte type,
                                         IntPredicate usable, List<ApiMessageAndVersion> records) {
        String name = topic.name() + "-" + partition.partition();
        if (type == PREFERRED) {
            int preferred = partition.replicas().isEmpty() ? PartitionMoves.NO_LEADER : partition.replicas().get(0);
            if (partition.leader() == preferred) {
                return answer(partition.partition(), Errors.ELECTION_NOT_NEEDED,
                        "The preferred replica " + preferred + " already leads " + name + ".");
            }
            boolean eligible = partition.isr().contains(preferred)
                    || (image.elrEnabled() && partition.isr().isEmpty() && partition.elr().contains(preferred));
            if (preferred == PartitionMoves.NO_LEADER || !eligible || !usable.test(preferred)) {
                return answer(partition.partition(), Errors.PREFERRED_LEADER_NOT_AVAILABLE,
                        "The preferred replica " + preferred + " of " + name + " is "
                                + (eligible ? "not available (fenced or shutting down)."
                                : "not in the ISR " + partition.isr() + "."));
            }
            records.add(PartitionMoves.change(image, topic, partition, usable)
                    .election(PartitionChange.Election.PREFERRED).build());
            return answer(partition.partition(), Errors.NONE, null);
        }
        if (partition.leader() != PartitionMoves.NO_LEADER) {
            return answer(partition.partition(), Errors.ELECTION_NOT_NEEDED,
                    name + " has a leader (" + partition.leader() + ").");
        }
        ApiMessageAndVersion record = PartitionMoves.change(image, topic, partition, usable)
                .election(PartitionChange.Election.UNCLEAN).build();
        if (record == null) {
            return answer(partition.partition(), Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE,
                    "No replica of " + name + " " + partition.replicas() + " is available to lead.");
        }
        records.add(record);
        return answer(partition.partition(), Errors.NONE, null);
    }

    private static PartitionResult answer(int partition, Errors error, String message) {
        return new PartitionResult().setPartitionId(partition).setErrorCode(error.code()).setErrorMessage(message);
    }
}
