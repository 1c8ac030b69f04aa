package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.BrokerRegistration.FeatureRange;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;

/**
 * The controller's decision on UpdateFeatures ({@code kafka-features.sh upgrade|downgrade}, Kafka's
 * FeatureControlManager): the only feature whose finalized level Brook keeps in its metadata,
 * {@code eligible.leader.replicas.version}, may be set to any level every registered broker supports; a lower level
 * needs a downgrade type (safe or unsafe), a higher one an upgrade. Enabling it also writes the cluster-wide
 * {@code min.insync.replicas} when the cluster has none ({@link FeatureBootstrap}'s rule), so that every controller
 * reads the same minimum; disabling it leaves the lists to be emptied by each partition's next change, as Kafka.
 * {@code metadata.version} (Brook writes its records at one version) and {@code transaction.version} (set per node by
 * {@code brook.transaction.version}) are refused, as is any other name. The request is atomic: the first refusal is
 * the answer's error and every feature's, and nothing is written. Pure.
 */
public final class FeatureControl {
    /** Kafka's upgrade types (UpdateFeatures v1+). */
    static final byte UPGRADE = 1;

    private FeatureControl() {
    }

    /**
     * @param staticMinIsr the controller's static {@code min.insync.replicas}, written cluster-wide when the feature
     *                     is enabled and the cluster has none
     */
    public static ControllerResult<UpdateFeaturesResponseData> update(MetadataImage image,
                                                                      UpdateFeaturesRequestData request,
                                                                      int staticMinIsr) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        String refusal = null;
        for (UpdateFeaturesRequestData.FeatureUpdateKey update : request.featureUpdates()) {
            refusal = refusal(image, update);
            if (refusal != null) {
                break;
            }
            short level = (short) Math.max(update.maxVersionLevel(), 0);
            if (level != image.features().getOrDefault(update.feature(), (short) 0)) {
                records.addAll(FeatureBootstrap.elrLevel(image, level, staticMinIsr)); // the only feature it takes
            }
        }
        Errors error = refusal == null ? Errors.NONE : Errors.INVALID_UPDATE_VERSION;
        UpdateFeaturesResponseData response = new UpdateFeaturesResponseData().setErrorCode(error.code())
                .setErrorMessage(refusal);
        for (UpdateFeaturesRequestData.FeatureUpdateKey update : request.featureUpdates()) {
            response.results().add(new UpdateFeaturesResponseData.UpdatableFeatureResult()
                    .setFeature(update.feature()).setErrorCode(error.code()).setErrorMessage(refusal));
        }
        return ControllerResult.of(refusal == null ? records : List.of(), response);
    }

    /** Why {@code update} cannot be made, or null when it can. */
    private static String refusal(MetadataImage image, UpdateFeaturesRequestData.FeatureUpdateKey update) {
        String name = update.feature();
        if (!MetadataImage.ELR_FEATURE.equals(name)) {
            return switch (name) {
                case "metadata.version" -> "metadata.version cannot be changed: Brook writes its metadata at one "
                        + "version.";
                case "transaction.version" -> "transaction.version is set on every node by brook.transaction.version.";
                default -> "Unknown feature " + name + "; Brook finalizes " + MetadataImage.ELR_FEATURE + ".";
            };
        }
        short level = (short) Math.max(update.maxVersionLevel(), 0);
        short current = image.features().getOrDefault(name, (short) 0);
        byte type = update.allowDowngrade() && update.upgradeType() == UPGRADE ? 2 : update.upgradeType();
        if (level > MetadataImage.MAX_ELR_LEVEL) {
            return name + " has levels 0 to " + MetadataImage.MAX_ELR_LEVEL + ", not " + level + ".";
        }
        if (level < current && type == UPGRADE) {
            return "Can't downgrade the version of this feature without setting the upgrade type to either safe or "
                    + "unsafe downgrade (" + name + " is at " + current + ").";
        }
        if (level > current && type != UPGRADE) {
            return "Can't downgrade to a newer version (" + name + " is at " + current + ").";
        }
        for (BrokerRegistration broker : image.cluster().brokers().values()) {
            FeatureRange supported = broker.supportedFeatures().getOrDefault(name,
                    new FeatureRange((short) 0, (short) 0));
            if (!supported.contains(level)) {
                return "Broker " + broker.id() + " does not support " + name + " level " + level + " (it supports "
                        + supported.min() + " to " + supported.max() + ").";
            }
        }
        return null;
    }
}
