package io.brook.metadata.quota;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A client quota entity as Kafka names it: one or more parts, each an entity type ({@value #USER},
 * {@value #CLIENT_ID}, {@value #IP}) with a name, where a null name is that type's default entity
 * ({@code <default>}, as Kafka's {@code ClientQuotaRecord} encodes it). For example {@code /users/alice/clients/<default>}
 * is {@code {user=alice, client-id=null}}.
 *
 * <p>Thread-safety: immutable.
 */
public record ClientQuotaEntity(SortedMap<String, String> parts) {
    public static final String USER = "user";
    public static final String CLIENT_ID = "client-id";
    public static final String IP = "ip";

    public ClientQuotaEntity {
        parts = Collections.unmodifiableSortedMap(new TreeMap<>(parts));
    }

    /** The entity of {@code parts} (type to name, a null name for a default). */
    public static ClientQuotaEntity of(Map<String, String> parts) {
        return new ClientQuotaEntity(new TreeMap<>(parts));
    }

    /** An entity of a user (null: the default user) and a client id (null: the default client id). */
    public static ClientQuotaEntity userAndClient(String user, String clientId) {
        TreeMap<String, String> parts = new TreeMap<>();
        parts.put(USER, user);
        parts.put(CLIENT_ID, clientId);
        return new ClientQuotaEntity(parts);
    }

    /** An entity of one type: {@code name} null for that type's default. */
    public static ClientQuotaEntity single(String type, String name) {
        TreeMap<String, String> parts = new TreeMap<>();
        parts.put(type, name);
        return new ClientQuotaEntity(parts);
    }

    @Override
    public String toString() {
        StringBuilder path = new StringBuilder();
        parts.forEach((type, name) -> path.append('/').append(type).append('/')
                .append(name == null ? "<default>" : name));
        return path.toString();
    }
}
