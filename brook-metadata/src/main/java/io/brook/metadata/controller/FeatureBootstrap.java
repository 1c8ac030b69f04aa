package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The first records of a new cluster's metadata (Kafka's {@code kafka-storage format} bootstrap with
 * {@code ActivationRecordsGenerator}): the finalized {@code eligible.leader.replicas.version} when it is at least 1,
 * with the cluster-wide {@code min.insync.replicas} set to the controller's static value when the cluster has none
 * (Kafka's {@code ConfigurationControlManager.maybeGenerateElrSafetyRecords}), so that with eligible leader replicas
 * on every controller reads the same minimum ISR from the image. Level 0 writes nothing: the feature stays off, as on
 * a cluster from before it existed. Pure.
 *
 * <p>Thread-safety: stateless.
 */
public final class FeatureBootstrap {
    private FeatureBootstrap() {
    }

    /**
     * The records to write before any other on a new cluster, or none when {@code image} is not empty (an existing
     * cluster keeps the level it has) or {@code elrLevel} is 0.
     *
     * @param elrLevel     {@code brook.eligible.leader.replicas.version} (0 or 1)
     * @param staticMinIsr the controller's static {@code min.insync.replicas}
     */
    public static List<ApiMessageAndVersion> records(MetadataImage image, short elrLevel, int staticMinIsr) {
        if (image.offset() >= 0 || elrLevel < 1) {
            return List.of();
        }
        return elrLevel(image, elrLevel, staticMinIsr);
    }

    /**
     * The records setting {@code eligible.leader.replicas.version} to {@code level}: with it, when {@code level} is
     * at least 1 and the cluster has no cluster-wide {@code min.insync.replicas}, {@code staticMinIsr} as that.
     */
    static List<ApiMessageAndVersion> elrLevel(MetadataImage image, short level, int staticMinIsr) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.featureLevel(MetadataImage.ELR_FEATURE, level));
        if (level >= 1 && !image.brokerConfigs().getOrDefault("", Map.of())
                .containsKey(PartitionMoves.MIN_ISR_CONFIG)) {
            records.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", PartitionMoves.MIN_ISR_CONFIG,
                    String.valueOf(staticMinIsr)));
        }
        return records;
    }
}
