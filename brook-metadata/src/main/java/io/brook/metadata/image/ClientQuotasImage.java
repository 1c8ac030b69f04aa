package io.brook.metadata.image;

import io.brook.metadata.quota.ClientQuotaEntity;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client quotas at one point of the metadata log (KRaft's {@code ClientQuotasImage}): per entity, its
 * quota values by key. Made only by {@link ClientQuotasDelta#apply()}.
 *
 * <p>Thread-safety: immutable, shared freely between threads.
 */
public final class ClientQuotasImage {
    public static final ClientQuotasImage EMPTY = new ClientQuotasImage(Map.of());

    private final Map<ClientQuotaEntity, Map<String, Double>> entities;

    ClientQuotasImage(Map<ClientQuotaEntity, Map<String, Double>> entities) {
        this.entities = entities;
    }

    /** Every entity with at least one quota, to its values by key (read-only). */
    public Map<ClientQuotaEntity, Map<String, Double>> entities() {
        return entities;
    }

    /** The quota {@code key} of {@code entity}, or null when it has none. */
    public Double quota(ClientQuotaEntity entity, String key) {
        Map<String, Double> values = entities.get(entity);
        return values == null ? null : values.get(key);
    }

    public boolean isEmpty() {
        return entities.isEmpty();
    }

    /** The records that rebuild this image from an empty one (for snapshots), by entity then key. */
    public List<ApiMessageAndVersion> toRecords() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        entities.entrySet().stream().sorted(Comparator.comparing(e -> e.getKey().toString()))
                .forEach(e -> new TreeMap<>(e.getValue()).forEach((key, value) ->
                        records.add(record(e.getKey(), key, value))));
        return records;
    }

    /** Kafka's record setting ({@code value} not null) or removing (null) one quota of one entity. */
    public static ApiMessageAndVersion record(ClientQuotaEntity entity, String key, Double value) {
        List<ClientQuotaRecord.EntityData> parts = new ArrayList<>();
        entity.parts().forEach((type, name) -> parts.add(new ClientQuotaRecord.EntityData().setEntityType(type)
                .setEntityName(name)));
        return new ApiMessageAndVersion(new ClientQuotaRecord().setEntity(parts).setKey(key)
                .setValue(value == null ? 0.0 : value).setRemove(value == null), (short) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientQuotasImage other && entities.equals(other.entities);
    }

    @Override
    public int hashCode() {
        return entities.hashCode();
    }

    @Override
    public String toString() {
        return "ClientQuotasImage(" + entities + ")";
    }
}
