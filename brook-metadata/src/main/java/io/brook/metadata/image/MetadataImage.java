package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster metadata at one point of the metadata log: immutable, shared freely between
 * threads. A new image is made from a {@link MetadataDelta}; nothing else changes metadata. Images
 * share their unchanged topics with the image they came from (the topic maps are
 * {@link PersistentMap}s), so a change costs what it touches, not the size of the cluster.
 */
public final class MetadataImage {
    public static final MetadataImage EMPTY = new MetadataImage(-1, PersistentMap.empty(), PersistentMap.empty(), 0,
            Map.of(), Map.of(), ClusterImage.EMPTY, AclsImage.EMPTY, ScramImage.EMPTY, ClientQuotasImage.EMPTY);

    private final long offset;
    private final PersistentMap<String, TopicImage> topicsByName;
    private final PersistentMap<Uuid, TopicImage> topicsById;
    private final long nextProducerId;
    private final Map<String, Map<String, String>> brokerConfigs;
    private final Map<String, Short> features;
    private final ClusterImage cluster;
    private final AclsImage acls;
    private final ScramImage scram;
    private final ClientQuotasImage clientQuotas;

    MetadataImage(long offset, PersistentMap<String, TopicImage> topicsByName,
                  PersistentMap<Uuid, TopicImage> topicsById, long nextProducerId,
                  Map<String, Map<String, String>> brokerConfigs, Map<String, Short> features,
                  ClusterImage cluster, AclsImage acls, ScramImage scram, ClientQuotasImage clientQuotas) {
        this.offset = offset;
        this.topicsByName = topicsByName;
        this.topicsById = topicsById;
        this.nextProducerId = nextProducerId;
        this.brokerConfigs = brokerConfigs;
        this.features = features;
        this.cluster = cluster;
        this.acls = acls;
        this.scram = scram;
        this.clientQuotas = clientQuotas;
    }

    /** The image after {@code records}, which were written at offsets up to {@code lastOffset}. */
    public MetadataImage apply(List<ApiMessageAndVersion> records, long lastOffset) {
        MetadataDelta delta = new MetadataDelta(this);
        for (ApiMessageAndVersion record : records) {
            delta.replay(record);
        }
        return delta.apply(lastOffset);
    }

    /** Offset of the last metadata record applied (-1 for none). */
    public long offset() {
        return offset;
    }

    public TopicImage topic(String name) {
        return topicsByName.get(name);
    }

    public TopicImage topic(Uuid id) {
        return topicsById.get(id);
    }

    /** Every topic by name (read-only). */
    public PersistentMap<String, TopicImage> topicsByName() {
        return topicsByName;
    }

    /** Every topic by id (read-only). */
    public PersistentMap<Uuid, TopicImage> topicsById() {
        return topicsById;
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    /** Dynamic broker config overrides by resource name (a broker id, or "" for the cluster default). */
    public Map<String, Map<String, String>> brokerConfigs() {
        return brokerConfigs;
    }

    /** Finalized feature levels by feature name (for example {@code metadata.version}). */
    public Map<String, Short> features() {
        return features;
    }

    /** Kafka's feature name for eligible leader replicas (KIP-966). */
    public static final String ELR_FEATURE = "eligible.leader.replicas.version";
    /** The highest {@link #ELR_FEATURE} level this build knows. */
    public static final short MAX_ELR_LEVEL = 1;

    /**
     * Whether eligible leader replicas are on: the finalized {@code eligible.leader.replicas.version} is at least 1
     * (Kafka's {@code FeatureControlManager.isElrFeatureEnabled}).
     */
    public boolean elrEnabled() {
        return features.getOrDefault(ELR_FEATURE, (short) 0) >= 1;
    }

    /** The registered brokers (KRaft's cluster image). */
    public ClusterImage cluster() {
        return cluster;
    }

    /** The ACLs (KRaft's ACLs image). */
    public AclsImage acls() {
        return acls;
    }

    /** The users' SCRAM credentials (salted keys only). */
    public ScramImage scram() {
        return scram;
    }

    /** The client quotas (Kafka's {@code ClientQuotaRecord}s, by entity). */
    public ClientQuotasImage clientQuotas() {
        return clientQuotas;
    }

    /**
     * The records that rebuild this image from {@link #EMPTY} (what a snapshot holds): features, then
     * the broker registrations, then per topic its topic record, every partition's full state and its configs, then broker configs and
     * the producer-id high mark, then the ACLs. Replayed in one delta and applied at {@link #offset()}, they give an
     * image equal to this one.
     */
    public List<ApiMessageAndVersion> records() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        new TreeMap<>(features).forEach((name, level) -> records.add(MetadataRecords.featureLevel(name, level)));
        records.addAll(cluster.toRecords());
        for (TopicImage topic : topicsById.values()) {
            records.add(MetadataRecords.topic(topic.name(), topic.id()));
            for (PartitionImage p : topic.partitions().values()) {
                records.add(MetadataRecords.partition(topic.id(), p));
            }
            new TreeMap<>(topic.configs()).forEach((name, value) ->
                    records.add(MetadataRecords.topicConfig(topic.name(), name, value)));
        }
        new TreeMap<>(brokerConfigs).forEach((resource, configs) -> new TreeMap<>(configs).forEach((name, value) ->
                records.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, resource, name, value))));
        records.addAll(scram.toRecords());
        records.addAll(clientQuotas.toRecords());
        if (nextProducerId > 0) {
            records.add(MetadataRecords.producerIds(-1, -1, nextProducerId));
        }
        records.addAll(acls.toRecords());
        return records;
    }

    /**
     * Images are equal when they hold the same topics, configs, features, brokers and producer ids at the
     * same offset.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof MetadataImage other && offset == other.offset && nextProducerId == other.nextProducerId
                && topicsById.equals(other.topicsById) && topicsByName.equals(other.topicsByName)
                && brokerConfigs.equals(other.brokerConfigs) && features.equals(other.features)
                && cluster.equals(other.cluster) && acls.equals(other.acls) && scram.equals(other.scram)
                && clientQuotas.equals(other.clientQuotas);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset) * 31 + topicsById.hashCode();
    }

    @Override
    public String toString() {
        return "MetadataImage(offset " + offset + ", next producer id " + nextProducerId + ", topics "
                + topicsById.values() + (brokerConfigs.isEmpty() ? "" : ", broker configs " + brokerConfigs)
                + (features.isEmpty() ? "" : ", features " + features)
                + (cluster.brokers().isEmpty() ? "" : ", brokers " + cluster.brokers().values())
                + (acls.isEmpty() ? "" : ", ACLs " + acls.acls().values())
                + (clientQuotas.isEmpty() ? "" : ", client quotas " + clientQuotas.entities()) + ")";
    }
}
