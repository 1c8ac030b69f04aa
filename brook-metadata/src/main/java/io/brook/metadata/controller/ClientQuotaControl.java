package io.brook.metadata.controller;

import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.quota.ClientQuotaEntity;
import io.brook.metadata.quota.ClientQuotaKeys;
import io.brook.metadata.quota.IpLiteral;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure decision of AlterClientQuotas (API 49) with Kafka's controller validation, each entry judged alone:
 * the entity is user, client-id, or both (a null name is the default entity, an empty name is refused); the
 * keys are Kafka's user/client-id quota keys, each at most once per entry; a value set must be a positive number,
 * a whole one for the byte rates (Kafka's LONG type). An {@code ip} entity stands alone, names an IP literal (or is
 * the default ip; Kafka also resolves host names, Brook's pure decision does not, see {@link IpLiteral}) and takes
 * only {@code connection_creation_rate}, a whole number up to Integer.MAX_VALUE (Kafka's INT). Every refusal is
 * INVALID_REQUEST with its reason. Brook accepts only the keys it enforces ({@link ClientQuotaKeys#ENFORCED}), so no
 * quota is stored that would silently do nothing.
 * Removing a key that is not set writes nothing. Valid entries get one {@code ClientQuotaRecord} per changed key.
 */
public final class ClientQuotaControl {
    private ClientQuotaControl() {
    }

    public static ControllerResult<AlterClientQuotasResponseData> alter(MetadataImage image,
                                                                       AlterClientQuotasRequestData request) {
        AlterClientQuotasResponseData response = new AlterClientQuotasResponseData();
        List<ApiMessageAndVersion> records = new ArrayList<>();
        // quotas as the entries before this one leave them (an entity may be named twice in one request)
        Map<ClientQuotaEntity, Map<String, Double>> pending = new HashMap<>();
        for (AlterClientQuotasRequestData.EntryData entry : request.entries()) {
            AlterClientQuotasResponseData.EntryData result = new AlterClientQuotasResponseData.EntryData();
            for (AlterClientQuotasRequestData.EntityData part : entry.entity()) {
                result.entity().add(new AlterClientQuotasResponseData.EntityData().setEntityType(part.entityType())
                        .setEntityName(part.entityName()));
            }
            response.entries().add(result);
            String refusal = checkEntity(entry.entity());
            ClientQuotaEntity entity = null;
            if (refusal == null) {
                TreeMap<String, String> parts = new TreeMap<>();
                entry.entity().forEach(p -> parts.put(p.entityType(), p.entityName()));
                entity = new ClientQuotaEntity(parts);
                refusal = checkOps(entry.ops(), parts.containsKey(ClientQuotaEntity.IP));
            }
            if (refusal != null) {
                result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(refusal);
                continue;
            }
            ClientQuotaEntity target = entity;
            Map<String, Double> current = pending.computeIfAbsent(target, e -> {
                Map<String, Double> values = image.clientQuotas().entities().get(e);
                return values == null ? new HashMap<>() : new HashMap<>(values);
            });
            for (AlterClientQuotasRequestData.OpData op : entry.ops()) {
                if (op.remove()) {
                    if (current.remove(op.key()) != null) {
                        records.add(ClientQuotasImage.record(target, op.key(), null));
                    }
                } else {
                    current.put(op.key(), op.value());
                    records.add(ClientQuotasImage.record(target, op.key(), op.value()));
                }
            }
            result.setErrorCode(Errors.NONE.code()).setErrorMessage(null);
        }
        return ControllerResult.of(records, response);
    }

    /** Why the entity is refused, or null. */
    private static String checkEntity(List<AlterClientQuotasRequestData.EntityData> entity) {
        if (entity.isEmpty()) {
            return "Invalid empty client quota entity";
        }
        Map<String, String> parts = new LinkedHashMap<>();
        for (AlterClientQuotasRequestData.EntityData part : entity) {
            String type = part.entityType();
            if (parts.containsKey(type)) {
                return "Duplicate " + type + " in the client quota entity";
            }
            if (ClientQuotaEntity.IP.equals(type) && part.entityName() != null && !part.entityName().isEmpty()
                    && IpLiteral.parse(part.entityName()) == null) {
                return part.entityName() + " is not a valid IP address (Brook does not resolve host names)";
            }
            if (!ClientQuotaEntity.USER.equals(type) && !ClientQuotaEntity.CLIENT_ID.equals(type)
                    && !ClientQuotaEntity.IP.equals(type)) {
                return "Unhandled client quota entity type: " + type;
            }
            if (part.entityName() != null && part.entityName().isEmpty()) {
                return "Empty " + type + " name in the client quota entity (use the default entity instead)";
            }
            parts.put(type, part.entityName());
        }
        if (parts.containsKey(ClientQuotaEntity.IP) && parts.size() > 1) {
            return "Invalid quota entity combination: ip cannot be combined with user or client-id";
        }
        return null;
    }

    /** Why the operations are refused, or null. */
    private static String checkOps(List<AlterClientQuotasRequestData.OpData> ops, boolean ip) {
        Map<String, Boolean> seen = new HashMap<>();
        for (AlterClientQuotasRequestData.OpData op : ops) {
            String key = op.key();
            if (seen.put(key, Boolean.TRUE) != null) {
                return "Duplicate quota key " + key;
            }
            if (!(ip ? ClientQuotaKeys.IP_KEYS : ClientQuotaKeys.USER_CLIENT_KEYS).contains(key)) {
                return "Invalid configuration key " + key;
            }
            if (!ClientQuotaKeys.ENFORCED.contains(key)) {
                return "The quota " + key + " is not enforced by Brook, so it is not accepted (enforced: "
                        + String.join(", ", new java.util.TreeSet<>(ClientQuotaKeys.ENFORCED)) + ")";
            }
            if (op.remove()) {
                continue;
            }
            double value = op.value();
            if (Double.isNaN(value) || value <= 0) {
                return "Quota " + key + " must be positive, got " + value;
            }
            if (ClientQuotaKeys.WHOLE.contains(key) && (value != Math.rint(value) || value > Long.MAX_VALUE)) {
                return "Configuration " + key + " must be a Long value";
            }
            if (ip && value > Integer.MAX_VALUE) {
                return "Configuration " + key + " must be an Integer value";
            }
        }
        return null;
    }
}
