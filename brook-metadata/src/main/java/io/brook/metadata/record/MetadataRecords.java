package io.brook.metadata.record;

import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.metadata.AccessControlEntryRecord;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.FeatureLevelRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RemoveAccessControlEntryRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.List;

/**
 * Brook's metadata records are Kafka's: the generated classes of {@code kafka-metadata}
 * ({@code org.apache.kafka.common.metadata.*Record}) carried as {@link ApiMessageAndVersion}, at the
 * versions Kafka 4.3.1 writes for {@link #METADATA_VERSION}. This class builds the ones the controller
 * writes, so every writer picks the same versions and the same "no change" defaults.
 *
 * <p>{@link PartitionChangeRecord} follows its schema: a null ISR or replica list means unchanged; a
 * leader of {@link #NO_LEADER_CHANGE} (-2) means unchanged, {@link #NO_LEADER} (-1) means no leader now;
 * replaying one bumps the partition epoch, and the leader epoch when the leader field is set.
 *
 * <p>Thread-safety: stateless. The records built are mutable Kafka messages: never change one after
 * handing it to the controller.
 */
public final class MetadataRecords {
    /** The metadata.version Brook's records follow (Kafka 4.3.1's latest production level, 4.3-IV0). */
    public static final MetadataVersion METADATA_VERSION = MetadataVersion.latestProduction();
    /** A partition leader of -1: the partition has no leader. */
    public static final int NO_LEADER = -1;
    /** A {@link PartitionChangeRecord} leader of -2: the leader does not change. */
    public static final int NO_LEADER_CHANGE = -2;
    /** {@link ConfigRecord#resourceType()} of a topic config (Kafka's ConfigResource.Type.TOPIC). */
    public static final byte TOPIC_RESOURCE = ConfigResource.Type.TOPIC.id();
    /** {@link ConfigRecord#resourceType()} of a broker config; resource name "" is the cluster default. */
    public static final byte BROKER_RESOURCE = ConfigResource.Type.BROKER.id();

    private static final short V0 = 0;

    private MetadataRecords() {
    }

    public static ApiMessageAndVersion topic(String name, Uuid topicId) {
        return new ApiMessageAndVersion(new TopicRecord().setName(name).setTopicId(topicId), V0);
    }

    /** A partition's full state (a new partition, or a snapshot of one). */
    public static ApiMessageAndVersion partition(Uuid topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                                 int leader, int leaderEpoch, int partitionEpoch) {
        return partition(topicId, partition, replicas, isr, leader, leaderEpoch, partitionEpoch, (byte) 0);
    }

    /** As above, with Kafka's leader recovery state (0 RECOVERED, 1 RECOVERING after an unclean election). */
    public static ApiMessageAndVersion partition(Uuid topicId, int partition, List<Integer> replicas, List<Integer> isr,
                                                 int leader, int leaderEpoch, int partitionEpoch,
                                                 byte leaderRecoveryState) {
        return new ApiMessageAndVersion(new PartitionRecord().setTopicId(topicId).setPartitionId(partition)
                .setReplicas(List.copyOf(replicas)).setIsr(List.copyOf(isr)).setLeader(leader)
                .setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch)
                .setLeaderRecoveryState(leaderRecoveryState),
                METADATA_VERSION.partitionRecordVersion());
    }

    /**
     * A new partition led by its first replica, its replicas in {@code directories} (one each, KIP-858; left out
     * when none is known).
     */
    public static ApiMessageAndVersion newPartition(Uuid topicId, int partition, List<Integer> replicas,
                                                    List<Uuid> directories) {
        ApiMessageAndVersion record = partition(topicId, partition, replicas, replicas, replicas.get(0), 0, 0);
        if (!directories.stream().allMatch(DirectoryId.UNASSIGNED::equals)) {
            ((PartitionRecord) record.message()).setDirectories(List.copyOf(directories));
        }
        return record;
    }

    /**
     * A partition's full state as the image holds it, reassignment in progress and eligible leader replicas included
     * (a snapshot; the ELR lists left out when empty, as Kafka writes them).
     */
    public static ApiMessageAndVersion partition(Uuid topicId, io.brook.metadata.image.PartitionImage p) {
        ApiMessageAndVersion record = partition(topicId, p.partition(), p.replicas(), p.isr(), p.leader(),
                p.leaderEpoch(), p.partitionEpoch(), p.leaderRecoveryState());
        ((PartitionRecord) record.message()).setAddingReplicas(new java.util.ArrayList<>(p.addingReplicas()))
                .setRemovingReplicas(new java.util.ArrayList<>(p.removingReplicas()))
                .setEligibleLeaderReplicas(p.elr().isEmpty() ? null : new java.util.ArrayList<>(p.elr()))
                .setLastKnownElr(p.lastKnownElr().isEmpty() ? null : new java.util.ArrayList<>(p.lastKnownElr()))
                .setDirectories(p.directoriesFor(p.replicas(), b -> DirectoryId.UNASSIGNED));
        return record;
    }

    /**
     * A change of a partition: {@code replicas} or {@code isr} null for unchanged, {@code leader}
     * {@link #NO_LEADER_CHANGE} for unchanged.
     */
    public static ApiMessageAndVersion partitionChange(Uuid topicId, int partition, List<Integer> replicas,
                                                       List<Integer> isr, int leader) {
        return new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(topicId).setPartitionId(partition)
                .setReplicas(replicas == null ? null : List.copyOf(replicas))
                .setIsr(isr == null ? null : List.copyOf(isr)).setLeader(leader),
                METADATA_VERSION.partitionChangeRecordVersion());
    }

    /** A topic config override set ({@code value} non-null) or removed (null). */
    public static ApiMessageAndVersion topicConfig(String topic, String name, String value) {
        return config(TOPIC_RESOURCE, topic, name, value);
    }

    public static ApiMessageAndVersion config(byte resourceType, String resourceName, String name, String value) {
        return new ApiMessageAndVersion(new ConfigRecord().setResourceType(resourceType).setResourceName(resourceName)
                .setName(name).setValue(value), V0);
    }

    public static ApiMessageAndVersion removeTopic(Uuid topicId) {
        return new ApiMessageAndVersion(new RemoveTopicRecord().setTopicId(topicId), V0);
    }

    /** Producer ids below {@code nextProducerId} are handed out (to broker {@code brokerId}). */
    public static ApiMessageAndVersion producerIds(int brokerId, long brokerEpoch, long nextProducerId) {
        return new ApiMessageAndVersion(new ProducerIdsRecord().setBrokerId(brokerId).setBrokerEpoch(brokerEpoch)
                .setNextProducerId(nextProducerId), V0);
    }

    public static ApiMessageAndVersion featureLevel(String feature, short level) {
        return new ApiMessageAndVersion(new FeatureLevelRecord().setName(feature).setFeatureLevel(level), V0);
    }

    /** An ACL (Kafka's {@code AccessControlEntryRecord}) under {@code id}. */
    public static ApiMessageAndVersion acl(Uuid id, AclBinding binding) {
        return new ApiMessageAndVersion(new AccessControlEntryRecord().setId(id)
                .setResourceType(binding.pattern().resourceType().code())
                .setResourceName(binding.pattern().name())
                .setPatternType(binding.pattern().patternType().code())
                .setPrincipal(binding.entry().principal()).setHost(binding.entry().host())
                .setOperation(binding.entry().operation().code())
                .setPermissionType(binding.entry().permissionType().code()), V0);
    }

    /** The removal of the ACL {@code id} (Kafka's {@code RemoveAccessControlEntryRecord}). */
    public static ApiMessageAndVersion removeAcl(Uuid id) {
        return new ApiMessageAndVersion(new RemoveAccessControlEntryRecord().setId(id), V0);
    }

    /** The ACL an {@code AccessControlEntryRecord} holds. */
    public static AclBinding aclBinding(AccessControlEntryRecord r) {
        return new AclBinding(new ResourcePattern(ResourceType.fromCode(r.resourceType()), r.resourceName(),
                PatternType.fromCode(r.patternType())), new AccessControlEntry(r.principal(), r.host(),
                AclOperation.fromCode(r.operation()), AclPermissionType.fromCode(r.permissionType())));
    }
}
