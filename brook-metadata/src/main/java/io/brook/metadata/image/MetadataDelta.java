package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.FeatureLevelRecord;
import org.apache.kafka.common.metadata.MetadataRecordType;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The changes a run of metadata records makes to a base image (KRaft's {@code MetadataDelta}):
 * records are {@linkplain #replay replayed} into it one by one, then {@link #apply} makes the
 * new image, which shares every topic the records did not touch with the base. Listeners get the
 * delta with the new image, so they visit what changed instead of the whole cluster.
 *
 * <p>Records are Kafka's metadata records ({@link MetadataRecords}) and replay as Kafka's image does:
 * a {@code PartitionChangeRecord} changes only the fields it sets (leader, ISR, replicas, adding and removing
 * replicas, leader recovery state, eligible leader replicas and last known ELR: null is unchanged) and bumps the partition epoch, and the leader epoch only when it names a leader (so an ISR-only
 * change, as AlterPartition writes, keeps the leader epoch); a {@code RemoveTopicRecord} also drops the topic's
 * configs; a {@code ConfigRecord} of a topic or of a broker (resource name "" for the cluster default)
 * sets an override or, with a null value, removes it. The five broker records go to a
 * {@link ClusterDelta} ({@link #cluster()}), the two ACL records to an {@link AclsDelta} ({@link #acls()}).
 *
 * <p>A record the base image plus the records before it cannot take (a partition of an unknown
 * topic, a record type Brook does not keep, say) throws {@link IllegalStateException} and leaves the
 * delta unusable.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied and
 * handed to listeners.
 */
public final class MetadataDelta {
    private final MetadataImage base;
    /** Topics created or changed by the delta and alive at its end, by id, in order of first change. */
    private final Map<Uuid, TopicDelta> changed = new LinkedHashMap<>();
    /** Topics of the base image that the delta removed (a re-created id is also in {@link #changed}). */
    private final Map<Uuid, TopicImage> removed = new LinkedHashMap<>();
    /** Names of the topics the delta created, to find them by name before the image exists. */
    private final Map<String, Uuid> createdNames = new HashMap<>();
    private long nextProducerId;
    /** Broker config changes by resource name ("" = cluster default): name to value, null removes. */
    private final Map<String, Map<String, String>> brokerConfigChanges = new HashMap<>();
    /** Finalized feature levels set by the delta (level 0 removes the feature, as in Kafka). */
    private final Map<String, Short> featureChanges = new HashMap<>();
    /** The broker records (register, fence, unfence, registration change, unregister). */
    private final ClusterDelta cluster;
    /** The ACL records (add, remove). */
    private final AclsDelta acls;
    /** The SCRAM credential records. */
    private final ScramDelta scram;
    /** The client quota records. */
    private final ClientQuotasDelta clientQuotas;

    public MetadataDelta(MetadataImage base) {
        this.base = base;
        this.cluster = new ClusterDelta(base.cluster());
        this.acls = new AclsDelta(base.acls());
        this.scram = new ScramDelta(base.scram());
        this.clientQuotas = new ClientQuotasDelta(base.clientQuotas());
        this.nextProducerId = base.nextProducerId();
    }

    public MetadataImage base() {
        return base;
    }

    /**
     * A delta from {@code from} that leads to {@code to}'s metadata: for a snapshot that replaces the
     * image wholesale (a lagging voter catching up), so publishers still see one delta naming what
     * changed. Removed topics, brokers, configs and features get their removal records; new or changed
     * ones their full state ({@link MetadataImage#records()}'s records); unchanged ones nothing.
     * The producer-id mark only ever rises.
     */
    public static MetadataDelta between(MetadataImage from, MetadataImage to) {
        MetadataDelta delta = new MetadataDelta(from);
        for (TopicImage old : from.topicsById().values()) {
            if (to.topic(old.id()) == null) {
                delta.replay(MetadataRecords.removeTopic(old.id()));
            }
        }
        for (BrokerRegistration old : from.cluster().brokers().values()) {
            if (to.cluster().broker(old.id()) == null) {
                delta.replay(new ApiMessageAndVersion(new UnregisterBrokerRecord().setBrokerId(old.id())
                        .setBrokerEpoch(old.epoch()), (short) 0));
            }
        }
        from.brokerConfigs().forEach((resource, configs) -> configs.keySet().forEach(name -> {
            if (!to.brokerConfigs().getOrDefault(resource, Map.of()).containsKey(name)) {
                delta.replay(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, resource, name, null));
            }
        }));
        from.features().keySet().forEach(name -> {
            if (!to.features().containsKey(name)) {
                delta.replay(MetadataRecords.featureLevel(name, (short) 0));
            }
        });
        new java.util.TreeMap<>(to.features()).forEach((name, level) -> {
            if (!level.equals(from.features().get(name))) {
                delta.replay(MetadataRecords.featureLevel(name, level));
            }
        });
        for (BrokerRegistration broker : to.cluster().brokers().values()) {
            if (!broker.equals(from.cluster().broker(broker.id()))) {
                delta.replay(broker.toRecord());
            }
        }
        for (TopicImage topic : to.topicsById().values()) {
            if (!topic.equals(from.topic(topic.id()))) {
                delta.replay(MetadataRecords.topic(topic.name(), topic.id()));
                for (PartitionImage p : topic.partitions().values()) {
                    delta.replay(MetadataRecords.partition(topic.id(), p));
                }
                new java.util.TreeMap<>(topic.configs()).forEach((name, value) ->
                        delta.replay(MetadataRecords.topicConfig(topic.name(), name, value)));
            }
        }
        to.brokerConfigs().forEach((resource, configs) -> configs.forEach((name, value) -> {
            if (!value.equals(from.brokerConfigs().getOrDefault(resource, Map.of()).get(name))) {
                delta.replay(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, resource, name, value));
            }
        }));
        from.acls().acls().keySet().forEach(id -> {
            if (!to.acls().acls().containsKey(id)) {
                delta.replay(MetadataRecords.removeAcl(id));
            }
        });
        to.acls().acls().forEach((id, acl) -> {
            if (!from.acls().acls().containsKey(id)) {
                delta.replay(MetadataRecords.acl(id, acl));
            }
        });
        from.scram().users().forEach((user, byMechanism) -> byMechanism.keySet().forEach(mechanism -> {
            if (to.scram().credential(user, mechanism) == null) {
                delta.replay(ScramImage.removalRecord(user, mechanism));
            }
        }));
        to.scram().users().forEach((user, byMechanism) -> byMechanism.forEach((mechanism, credential) -> {
            if (!credential.equals(from.scram().credential(user, mechanism))) {
                delta.replay(ScramImage.record(user, mechanism, credential));
            }
        }));
        from.clientQuotas().entities().forEach((entity, values) -> values.keySet().forEach(key -> {
            if (to.clientQuotas().quota(entity, key) == null) {
                delta.replay(ClientQuotasImage.record(entity, key, null));
            }
        }));
        to.clientQuotas().entities().forEach((entity, values) -> values.forEach((key, value) -> {
            if (!value.equals(from.clientQuotas().quota(entity, key))) {
                delta.replay(ClientQuotasImage.record(entity, key, value));
            }
        }));
        if (to.nextProducerId() > from.nextProducerId()) {
            delta.replay(MetadataRecords.producerIds(-1, -1, to.nextProducerId()));
        }
        return delta;
    }

    /** Adds one record to the delta. */
    public void replay(ApiMessageAndVersion record) {
        if (cluster.replay(record.message()) || acls.replay(record.message()) || scram.replay(record.message())
                || clientQuotas.replay(record.message())) {
            return;
        }
        MetadataRecordType type = MetadataRecordType.fromId(record.message().apiKey());
        switch (type) {
            case TOPIC_RECORD -> replayTopic((TopicRecord) record.message());
            case PARTITION_RECORD -> {
                PartitionRecord r = (PartitionRecord) record.message();
                topicDelta(requireLive(r.topicId())).replacePartition(new PartitionImage(r.partitionId(),
                        List.copyOf(r.replicas()), List.copyOf(r.isr()), r.leader(), r.leaderEpoch(),
                        r.partitionEpoch(), r.leaderRecoveryState(), r.addingReplicas(), r.removingReplicas(),
                        orEmpty(r.eligibleLeaderReplicas()), orEmpty(r.lastKnownElr()), r.directories()));
            }
            case PARTITION_CHANGE_RECORD -> replayPartitionChange((PartitionChangeRecord) record.message());
            case CONFIG_RECORD -> replayConfig((ConfigRecord) record.message());
            case REMOVE_TOPIC_RECORD -> {
                Uuid id = requireLive(((RemoveTopicRecord) record.message()).topicId());
                TopicDelta delta = changed.remove(id);
                if (delta != null && delta.created()) {
                    createdNames.remove(delta.name());
                }
                TopicImage inBase = base.topic(id);
                if (inBase != null) {
                    removed.put(id, inBase);
                }
            }
            case PRODUCER_IDS_RECORD -> nextProducerId = Math.max(nextProducerId,
                    ((ProducerIdsRecord) record.message()).nextProducerId());
            case FEATURE_LEVEL_RECORD -> {
                FeatureLevelRecord r = (FeatureLevelRecord) record.message();
                featureChanges.put(r.name(), r.featureLevel());
            }
            default -> throw new IllegalStateException("metadata record of a type Brook does not keep: " + record);
        }
    }

    /** A {@code PartitionChangeRecord} leader recovery state of -1: unchanged. */
    private static final byte NO_RECOVERY_STATE_CHANGE = -1;

    private void replayPartitionChange(PartitionChangeRecord r) {
        TopicDelta topic = topicDelta(requireLive(r.topicId()));
        PartitionImage current = topic.partition(r.partitionId());
        if (current == null) {
            throw new IllegalStateException("partition change record for unknown partition " + r.partitionId()
                    + " of topic " + topic.name());
        }
        boolean leaderChanges = r.leader() != MetadataRecords.NO_LEADER_CHANGE;
        List<Integer> replicas = r.replicas() == null ? current.replicas() : List.copyOf(r.replicas());
        // directories: as written, else (replicas changed without them) each kept replica keeps its own
        List<Uuid> directories = r.directories() != null ? r.directories()
                : current.directoriesFor(replicas, broker -> DirectoryId.UNASSIGNED);
        topic.replacePartition(new PartitionImage(current.partition(), replicas,
                r.isr() == null ? current.isr() : List.copyOf(r.isr()),
                leaderChanges ? r.leader() : current.leader(),
                leaderChanges ? current.leaderEpoch() + 1 : current.leaderEpoch(),
                current.partitionEpoch() + 1,
                r.leaderRecoveryState() == NO_RECOVERY_STATE_CHANGE ? current.leaderRecoveryState()
                        : r.leaderRecoveryState(),
                r.addingReplicas() == null ? current.addingReplicas() : r.addingReplicas(),
                r.removingReplicas() == null ? current.removingReplicas() : r.removingReplicas(),
                r.eligibleLeaderReplicas() == null ? current.elr() : r.eligibleLeaderReplicas(),
                r.lastKnownElr() == null ? current.lastKnownElr() : r.lastKnownElr(), directories));
    }

    /** A {@code PartitionRecord} list left out (null, as its tagged ELR fields are when empty): empty. */
    private static List<Integer> orEmpty(List<Integer> list) {
        return list == null ? List.of() : list;
    }

    private void replayConfig(ConfigRecord r) {
        if (r.resourceType() == MetadataRecords.TOPIC_RESOURCE) {
            Uuid id = liveId(r.resourceName());
            if (id == null) {
                throw new IllegalStateException("config record for unknown topic " + r.resourceName());
            }
            topicDelta(id).changeConfig(r.name(), r.value());
        } else if (r.resourceType() == MetadataRecords.BROKER_RESOURCE) {
            brokerConfigChanges.computeIfAbsent(r.resourceName(), k -> new HashMap<>()).put(r.name(), r.value());
        } else {
            throw new IllegalStateException("config record of resource type " + r.resourceType()
                    + " that Brook does not keep: " + r);
        }
    }

    /** A topic record starts the topic afresh: one that exists under the same id is replaced. */
    private void replayTopic(TopicRecord r) {
        if (r.name() == null || r.topicId() == null) {
            throw new IllegalStateException("topic record without a name or id: " + r);
        }
        Uuid sameName = liveId(r.name());
        if (sameName != null && !sameName.equals(r.topicId())) {
            throw new IllegalStateException("topic record for " + r.name() + " (id " + r.topicId()
                    + "), a name topic id " + sameName + " has");
        }
        if (live(r.topicId()) != null) {
            TopicDelta previous = changed.remove(r.topicId());
            if (previous != null && previous.created()) {
                createdNames.remove(previous.name());
            }
            TopicImage inBase = base.topic(r.topicId());
            if (inBase != null) {
                removed.put(r.topicId(), inBase);
            }
        }
        changed.put(r.topicId(), new TopicDelta(null, r.name(), r.topicId()));
        createdNames.put(r.name(), r.topicId());
    }

    /** The topic's name if it exists at this point of the delta, else null. */
    private String live(Uuid id) {
        TopicDelta delta = changed.get(id);
        if (delta != null) {
            return delta.name();
        }
        if (removed.containsKey(id)) {
            return null;
        }
        TopicImage topic = base.topic(id);
        return topic == null ? null : topic.name();
    }

    private Uuid requireLive(Uuid id) {
        if (live(id) == null) {
            throw new IllegalStateException("metadata record for unknown topic id " + id);
        }
        return id;
    }

    /** The id of the topic named {@code name} at this point of the delta, else null. */
    private Uuid liveId(String name) {
        Uuid created = createdNames.get(name);
        if (created != null) {
            return created;
        }
        TopicImage topic = base.topic(name);
        if (topic == null || removed.containsKey(topic.id())) {
            return null;
        }
        return topic.id();
    }

    /** The delta of a live topic, started from the base image's topic on its first change. */
    private TopicDelta topicDelta(Uuid id) {
        TopicDelta delta = changed.get(id);
        if (delta == null) {
            TopicImage topic = base.topic(id);
            delta = new TopicDelta(topic, topic.name(), id);
            changed.put(id, delta);
        }
        return delta;
    }

    /** Topics created or changed (and not removed again) by this delta. */
    public Collection<TopicDelta> changedTopics() {
        return Collections.unmodifiableCollection(changed.values());
    }

    /** The delta of topic {@code id}, or null when the delta did not create or change it. */
    public TopicDelta topic(Uuid id) {
        return changed.get(id);
    }

    /** Topics of the base image the delta deleted (or replaced by a topic record with their id). */
    public Collection<TopicImage> deletedTopics() {
        return Collections.unmodifiableCollection(removed.values());
    }

    /** Whether a producer-ids record raised the next producer id. */
    public boolean producerIdsChanged() {
        return nextProducerId != base.nextProducerId();
    }

    /** Whether a config record touched a broker's (or the cluster default) config. */
    public boolean brokerConfigsChanged() {
        return !brokerConfigChanges.isEmpty();
    }

    /** The broker part of this delta. */
    public ClusterDelta cluster() {
        return cluster;
    }

    /**
     * Brokers the delta registered or changed (mapped to their registration) or unregistered (mapped to
     * empty), in order of first change (read-only).
     */
    public Map<Integer, Optional<BrokerRegistration>> changedBrokers() {
        return cluster.changedBrokers();
    }

    /** Whether a broker record was replayed. */
    public boolean brokersChanged() {
        return !cluster.changedBrokers().isEmpty();
    }

    /** The ACL part of this delta. */
    public AclsDelta acls() {
        return acls;
    }

    /** Whether an ACL record was replayed. */
    public boolean aclsChanged() {
        return acls.hasChanges();
    }

    /** The SCRAM credential part of this delta. */
    public ScramDelta scram() {
        return scram;
    }

    /** The client quota part of this delta. */
    public ClientQuotasDelta clientQuotas() {
        return clientQuotas;
    }

    /** Whether a feature-level record was replayed. */
    public boolean featuresChanged() {
        return !featureChanges.isEmpty();
    }

    /** The image after this delta, whose last record has offset {@code lastOffset}. */
    public MetadataImage apply(long lastOffset) {
        PersistentMap<Uuid, TopicImage> byId = base.topicsById();
        PersistentMap<String, TopicImage> byName = base.topicsByName();
        for (TopicImage gone : removed.values()) {
            byId = byId.minus(gone.id());
            byName = byName.minus(gone.name());
        }
        for (TopicDelta delta : changed.values()) {
            TopicImage topic = delta.apply();
            byId = byId.plus(topic.id(), topic);
            byName = byName.plus(topic.name(), topic);
        }
        return new MetadataImage(lastOffset, byName, byId, nextProducerId, applyBrokerConfigs(), applyFeatures(),
                cluster.apply(), acls.apply(), scram.apply(), clientQuotas.apply());
    }

    private Map<String, Map<String, String>> applyBrokerConfigs() {
        if (brokerConfigChanges.isEmpty()) {
            return base.brokerConfigs();
        }
        Map<String, Map<String, String>> result = new HashMap<>(base.brokerConfigs());
        for (Map.Entry<String, Map<String, String>> resource : brokerConfigChanges.entrySet()) {
            Map<String, String> configs = new HashMap<>(result.getOrDefault(resource.getKey(), Map.of()));
            for (Map.Entry<String, String> change : resource.getValue().entrySet()) {
                if (change.getValue() == null) {
                    configs.remove(change.getKey());
                } else {
                    configs.put(change.getKey(), change.getValue());
                }
            }
            if (configs.isEmpty()) {
                result.remove(resource.getKey());
            } else {
                result.put(resource.getKey(), Map.copyOf(configs));
            }
        }
        return Map.copyOf(result);
    }

    private Map<String, Short> applyFeatures() {
        if (featureChanges.isEmpty()) {
            return base.features();
        }
        Map<String, Short> result = new HashMap<>(base.features());
        featureChanges.forEach((name, level) -> {
            if (level == 0) {
                result.remove(name);
            } else {
                result.put(name, level);
            }
        });
        return Map.copyOf(result);
    }
}
