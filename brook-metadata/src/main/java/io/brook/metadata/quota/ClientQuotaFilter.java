package io.brook.metadata.quota;

import io.brook.metadata.image.ClientQuotasImage;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * DescribeClientQuotas (API 48) over an image, with Kafka's filter semantics: each component names an entity
 * type at most once and matches an entity whose part of that type is the exact name (match type 0, a name
 * required), the default entity (1) or any name (2); a strict filter matches only entities with exactly the
 * filter's types, a loose one also entities with more. An empty loose filter matches every entity. A bad filter
 * is an {@link InvalidRequestException}. Pure.
 */
public final class ClientQuotaFilter {
    static final byte MATCH_EXACT = 0;
    static final byte MATCH_DEFAULT = 1;
    static final byte MATCH_ANY = 2;

    private ClientQuotaFilter() {
    }

    /** The entries of {@code image} the request's filter matches, in entity order. */
    public static List<DescribeClientQuotasResponseData.EntryData> describe(ClientQuotasImage image,
                                                                           DescribeClientQuotasRequestData request) {
        Map<String, DescribeClientQuotasRequestData.ComponentData> components = new HashMap<>();
        for (DescribeClientQuotasRequestData.ComponentData component : request.components()) {
            String type = component.entityType();
            if (components.put(type, component) != null) {
                throw new InvalidRequestException("Entity type " + type + " cannot appear more than once in the filter");
            }
            if (!ClientQuotaEntity.USER.equals(type) && !ClientQuotaEntity.CLIENT_ID.equals(type)
                    && !ClientQuotaEntity.IP.equals(type)) {
                throw new InvalidRequestException("Unknown entity type " + type + " in the filter");
            }
            switch (component.matchType()) {
                case MATCH_EXACT -> {
                    if (component.match() == null) {
                        throw new InvalidRequestException("An exact match on " + type + " needs a name");
                    }
                }
                case MATCH_DEFAULT, MATCH_ANY -> {
                }
                default -> throw new InvalidRequestException("Unknown match type " + component.matchType()
                        + " for " + type);
            }
        }
        if (components.containsKey(ClientQuotaEntity.IP) && (components.containsKey(ClientQuotaEntity.USER)
                || components.containsKey(ClientQuotaEntity.CLIENT_ID))) {
            throw new InvalidRequestException("A filter cannot match on both ip and user or client-id");
        }
        List<DescribeClientQuotasResponseData.EntryData> entries = new ArrayList<>();
        image.entities().entrySet().stream().sorted(Comparator.comparing(e -> e.getKey().toString()))
                .filter(e -> matches(e.getKey(), components, request.strict()))
                .forEach(e -> {
                    DescribeClientQuotasResponseData.EntryData entry = new DescribeClientQuotasResponseData.EntryData();
                    e.getKey().parts().forEach((type, name) -> entry.entity().add(
                            new DescribeClientQuotasResponseData.EntityData().setEntityType(type).setEntityName(name)));
                    new TreeMap<>(e.getValue()).forEach((key, value) -> entry.values().add(
                            new DescribeClientQuotasResponseData.ValueData().setKey(key).setValue(value)));
                    entries.add(entry);
                });
        return entries;
    }

    private static boolean matches(ClientQuotaEntity entity,
                                   Map<String, DescribeClientQuotasRequestData.ComponentData> components,
                                   boolean strict) {
        if (strict && !entity.parts().keySet().equals(components.keySet())) {
            return false;
        }
        for (DescribeClientQuotasRequestData.ComponentData component : components.values()) {
            if (!entity.parts().containsKey(component.entityType())) {
                return false;
            }
            String name = entity.parts().get(component.entityType());
            boolean match = switch (component.matchType()) {
                case MATCH_EXACT -> component.match().equals(name);
                case MATCH_DEFAULT -> name == null;
                default -> true;
            };
            if (!match) {
                return false;
            }
        }
        return true;
    }
}
