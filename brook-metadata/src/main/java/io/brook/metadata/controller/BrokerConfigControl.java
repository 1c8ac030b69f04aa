package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The controller's decision on dynamic broker configs (KRaft's ConfigurationControlManager for BROKER resources):
 * the complete new set of one resource (a broker id, or "" for the cluster-wide default) becomes
 * {@code ConfigRecord}s, a removal (null value) for each config it no longer has. Which names and values are
 * allowed is checked by the broker that took the request, which knows the broker config definitions; with eligible
 * leader replicas on, only the cluster-wide {@code min.insync.replicas} may change, and a change of it empties every
 * partition's ELR (KIP-966 R9). Pure.
 */
public final class BrokerConfigControl {
    private BrokerConfigControl() {
    }

    /**
     * @throws InvalidRequestException when {@code resourceName} is neither "" nor a broker id
     */
    public static ControllerResult<Void> replaceConfigs(MetadataImage image, String resourceName,
                                                        Map<String, String> configs) {
        if (!resourceName.isEmpty() && !resourceName.matches("[0-9]+")) {
            throw new InvalidRequestException("Invalid broker name '" + resourceName + "'");
        }
        Map<String, String> current = image.brokerConfigs().getOrDefault(resourceName, Map.of());
        String minIsr = PartitionMoves.MIN_ISR_CONFIG;
        boolean minIsrChanges = !java.util.Objects.equals(current.get(minIsr), configs.get(minIsr));
        if (image.elrEnabled() && minIsrChanges) { // KIP-966 R9: every controller reads one minimum
            if (!resourceName.isEmpty()) {
                throw new InvalidConfigurationException("Broker-level min.insync.replicas cannot be altered while "
                        + "ELR is enabled.");
            }
            if (configs.get(minIsr) == null) {
                throw new InvalidConfigurationException("Cluster-level min.insync.replicas cannot be removed while "
                        + "ELR is enabled.");
            }
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (String existing : new TreeMap<>(current).keySet()) {
            if (!configs.containsKey(existing)) {
                records.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, resourceName, existing, null));
            }
        }
        new TreeMap<>(configs).forEach((name, value) -> {
            if (!value.equals(current.get(name))) {
                records.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, resourceName, name, value));
            }
        });
        if (resourceName.isEmpty() && minIsrChanges) {
            records.addAll(PartitionMoves.clearElr(image, null));
        }
        return ControllerResult.of(records, null);
    }
}
