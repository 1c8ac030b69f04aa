package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Pure decisions about topics: given the current image and a request, the records to write and
 * the answer. Nothing here touches files, threads or clocks; a rejected request yields an
 * exception and no records.
 */
public final class TopicControl {
    /** Largest partition count a topic may have. */
    public static final int MAX_PARTITIONS_PER_TOPIC = 100_000;

    private TopicControl() {
    }

    /** A topic to create; -1 partitions or replication factor means the broker default. */
    public record NewTopic(String name, int numPartitions, short replicationFactor,
                           Map<Integer, List<Integer>> assignments, Map<String, String> configs) {
    }

    /** The created (or, in validate-only mode, would-be) topic. */
    public record CreatedTopic(Uuid topicId, int numPartitions, short replicationFactor) {
    }

    /**
     * Decides a topic creation.
     *
     * @param brokers        ids of the registered brokers
     * @param idSupplier     the new topic's id (injected so decisions replay deterministically)
     * @throws ApiException  carrying the Kafka error for the request
     */
    public static ControllerResult<CreatedTopic> createTopic(MetadataImage image, NewTopic request,
                                                             List<Integer> brokers, int defaultPartitions,
                                                             short defaultReplicationFactor,
                                                             Supplier<Uuid> idSupplier) {
        Topic.validate(request.name());
        if (image.topic(request.name()) != null) {
            throw new TopicExistsException("Topic '" + request.name() + "' already exists.");
        }
        for (String existing : image.topicsByName().keySet()) {
            if (Topic.hasCollision(existing, request.name())) {
                throw new InvalidTopicException("Topic '" + request.name() + "' collides with existing topic '"
                        + existing + "': '.' and '_' are treated alike in metric names.");
            }
        }
        List<List<Integer>> assignment;
        if (request.assignments() != null && !request.assignments().isEmpty()) {
            if (request.numPartitions() != -1 || request.replicationFactor() != -1) {
                throw new InvalidRequestException("Both numPartitions or replicationFactor and "
                        + "replicasAssignments were set. Both cannot be used at the same time.");
            }
            assignment = validateAssignment(request.assignments(), brokers);
        } else {
            int partitions = request.numPartitions() == -1 ? defaultPartitions : request.numPartitions();
            short rf = request.replicationFactor() == -1 ? defaultReplicationFactor : request.replicationFactor();
            if (partitions <= 0 || partitions > MAX_PARTITIONS_PER_TOPIC) {
                throw new InvalidPartitionsException("Number of partitions was set to an invalid value " + partitions
                        + ": it must be between 1 and " + MAX_PARTITIONS_PER_TOPIC + ".");
            }
            if (rf <= 0) {
                throw new InvalidReplicationFactorException("Replication factor must be larger than 0, was " + rf
                        + ".");
            }
            if (rf > brokers.size()) {
                throw new InvalidReplicationFactorException("Unable to replicate the partition " + rf
                        + " time(s): The target replication factor of " + rf + " cannot be reached because only "
                        + brokers.size() + " broker(s) are registered.");
            }
            assignment = place(partitions, rf, brokers, 0);
        }
        Uuid id = idSupplier.get();
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.topic(request.name(), id));
        for (int p = 0; p < assignment.size(); p++) {
            List<Integer> replicas = assignment.get(p);
            records.add(MetadataRecords.newPartition(id, p, replicas, defaultDirs(image, replicas)));
        }
        for (Map.Entry<String, String> e : request.configs().entrySet()) {
            records.add(MetadataRecords.topicConfig(request.name(), e.getKey(), e.getValue()));
        }
        return ControllerResult.of(records, new CreatedTopic(id, assignment.size(),
                (short) assignment.get(0).size()));
    }

    private static List<List<Integer>> validateAssignment(Map<Integer, List<Integer>> assignments,
                                                          List<Integer> brokers) {
        List<List<Integer>> result = new ArrayList<>();
        int size = -1;
        for (int p = 0; p < assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas == null) {
                throw new InvalidReplicaAssignmentException("Partitions must be numbered 0.." + (assignments.size() - 1)
                        + " without gaps; partition " + p + " is missing.");
            }
            if (replicas.isEmpty() || new HashSet<>(replicas).size() != replicas.size()) {
                throw new InvalidReplicaAssignmentException("Partition " + p + " has an empty or duplicated replica "
                        + "list " + replicas + ".");
            }
            if (size != -1 && replicas.size() != size) {
                throw new InvalidReplicaAssignmentException("All partitions must have the same number of replicas.");
            }
            for (int broker : replicas) {
                if (!brokers.contains(broker)) {
                    throw new InvalidReplicaAssignmentException("Partition " + p + " is assigned to broker " + broker
                            + ", which is not registered.");
                }
            }
            size = replicas.size();
            result.add(List.copyOf(replicas));
        }
        return result;
    }

    /** Round-robin placement of {@code partitions} partitions with {@code rf} replicas each. */
    /** Where each of {@code replicas} starts: its broker's only log directory, else not yet known (KIP-858). */
    private static List<Uuid> defaultDirs(MetadataImage image, List<Integer> replicas) {
        return replicas.stream().map(image.cluster()::defaultDir).toList();
    }

    static List<List<Integer>> place(int partitions, int rf, List<Integer> brokers, int firstPartition) {
        List<Integer> sorted = new ArrayList<>(brokers);
        sorted.sort(Integer::compare);
        List<List<Integer>> result = new ArrayList<>();
        for (int p = firstPartition; p < firstPartition + partitions; p++) {
            List<Integer> replicas = new ArrayList<>();
            for (int r = 0; r < rf; r++) {
                replicas.add(sorted.get((p + r) % sorted.size()));
            }
            result.add(List.copyOf(replicas));
        }
        return result;
    }

    /** Decides the deletion of a topic named by name or (if {@code name} is null) by id. */
    public static ControllerResult<TopicImage> deleteTopic(MetadataImage image, String name, Uuid id) {
        TopicImage topic = name != null ? image.topic(name) : image.topic(id);
        if (topic == null) {
            if (name != null) {
                throw new UnknownTopicOrPartitionException("This server does not host topic '" + name + "'.");
            }
            throw new UnknownTopicIdException("This server does not host topic id " + id + ".");
        }
        if (topic.isInternal()) {
            throw new InvalidTopicException("Topic '" + topic.name() + "' is internal and cannot be deleted.");
        }
        return ControllerResult.of(List.of(MetadataRecords.removeTopic(topic.id())), topic);
    }

    /** Decides growing a topic to {@code newCount} partitions. */
    public static ControllerResult<Integer> createPartitions(MetadataImage image, String name, int newCount,
                                                             List<List<Integer>> assignments, List<Integer> brokers) {
        TopicImage topic = image.topic(name);
        if (topic == null) {
            throw new UnknownTopicOrPartitionException("This server does not host topic '" + name + "'.");
        }
        int current = topic.partitions().size();
        if (newCount < current) {
            throw new InvalidPartitionsException("Topic currently has " + current + " partitions, which is higher than "
                    + "the requested " + newCount + ".");
        }
        if (newCount == current) {
            throw new InvalidPartitionsException("Topic already has " + current + " partitions.");
        }
        if (newCount > MAX_PARTITIONS_PER_TOPIC) {
            throw new InvalidPartitionsException("A topic may have at most " + MAX_PARTITIONS_PER_TOPIC
                    + " partitions, " + newCount + " were requested.");
        }
        int rf = topic.partitions().get(0).replicas().size();
        List<List<Integer>> placement;
        if (assignments != null) {
            if (assignments.size() != newCount - current) {
                throw new InvalidReplicaAssignmentException("Increasing the number of partitions by "
                        + (newCount - current) + " but " + assignments.size() + " assignments provided.");
            }
            Map<Integer, List<Integer>> byIndex = new java.util.HashMap<>();
            for (int i = 0; i < assignments.size(); i++) {
                byIndex.put(i, assignments.get(i));
            }
            placement = validateAssignment(byIndex, brokers);
            if (placement.get(0).size() != rf) {
                throw new InvalidReplicaAssignmentException("The new partitions are assigned "
                        + placement.get(0).size() + " replica(s) each, but the topic's partitions have " + rf + ".");
            }
        } else {
            placement = place(newCount - current, rf, brokers, current);
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (int i = 0; i < placement.size(); i++) {
            List<Integer> replicas = placement.get(i);
            records.add(MetadataRecords.newPartition(topic.id(), current + i, replicas, defaultDirs(image, replicas)));
        }
        return ControllerResult.of(records, newCount);
    }

    /**
     * Decides config changes for a topic: {@code changes} maps names to new values (null removes
     * the override). {@code replaceAll} drops every override not named (AlterConfigs semantics).
     */
    public static ControllerResult<Void> alterConfigs(MetadataImage image, String name, Map<String, String> changes,
                                                      boolean replaceAll) {
        TopicImage topic = image.topic(name);
        if (topic == null) {
            throw new UnknownTopicOrPartitionException("This server does not host topic '" + name + "'.");
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        Set<String> named = changes.keySet();
        if (replaceAll) {
            for (String existing : topic.configs().keySet()) {
                if (!named.contains(existing)) {
                    records.add(MetadataRecords.topicConfig(name, existing, null));
                }
            }
        }
        for (Map.Entry<String, String> e : changes.entrySet()) {
            records.add(MetadataRecords.topicConfig(name, e.getKey(), e.getValue()));
        }
        String minIsr = PartitionMoves.MIN_ISR_CONFIG;
        String newMinIsr = changes.containsKey(minIsr) || replaceAll ? changes.get(minIsr)
                : topic.configs().get(minIsr);
        if (!java.util.Objects.equals(newMinIsr, topic.configs().get(minIsr))) {
            records.addAll(PartitionMoves.clearElr(image, name)); // KIP-966 R9
        }
        return ControllerResult.of(records, null);
    }
}
