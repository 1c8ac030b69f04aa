package io.brook.metadata.image;

import io.brook.metadata.quota.ClientQuotaEntity;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The changes a run of {@code ClientQuotaRecord}s makes to a base {@link ClientQuotasImage} (KRaft's
 * {@code ClientQuotasDelta}): a record sets one key of one entity, or with {@code remove} removes it (removing
 * a key that is not set changes nothing, as in Kafka). An entity type other than user, client-id and ip throws
 * {@link IllegalStateException}.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied.
 */
public final class ClientQuotasDelta {
    private final ClientQuotasImage base;
    /** Per changed entity, per key: the new value, or null for removed. */
    private final Map<ClientQuotaEntity, Map<String, Double>> changed = new LinkedHashMap<>();

    public ClientQuotasDelta(ClientQuotasImage base) {
        this.base = base;
    }

    /** Adds one record when it is a client quota record; returns whether it was. */
    public boolean replay(ApiMessage message) {
        if (!(message instanceof ClientQuotaRecord r)) {
            return false;
        }
        TreeMap<String, String> parts = new TreeMap<>();
        for (ClientQuotaRecord.EntityData part : r.entity()) {
            String type = part.entityType();
            if (!ClientQuotaEntity.USER.equals(type) && !ClientQuotaEntity.CLIENT_ID.equals(type)
                    && !ClientQuotaEntity.IP.equals(type)) {
                throw new IllegalStateException("client quota record of unknown entity type " + type + ": " + r);
            }
            parts.put(type, part.entityName());
        }
        if (parts.isEmpty()) {
            throw new IllegalStateException("client quota record without an entity: " + r);
        }
        changed.computeIfAbsent(new ClientQuotaEntity(parts), k -> new HashMap<>())
                .put(r.key(), r.remove() ? null : r.value());
        return true;
    }

    /** Whether a client quota record was replayed. */
    public boolean changed() {
        return !changed.isEmpty();
    }

    public ClientQuotasImage apply() {
        if (changed.isEmpty()) {
            return base;
        }
        Map<ClientQuotaEntity, Map<String, Double>> entities = new HashMap<>(base.entities());
        changed.forEach((entity, values) -> {
            Map<String, Double> next = new HashMap<>(entities.getOrDefault(entity, Map.of()));
            values.forEach((key, value) -> {
                if (value == null) {
                    next.remove(key);
                } else {
                    next.put(key, value);
                }
            });
            if (next.isEmpty()) {
                entities.remove(entity);
            } else {
                entities.put(entity, Map.copyOf(next));
            }
        });
        return new ClientQuotasImage(Map.copyOf(entities));
    }
}
