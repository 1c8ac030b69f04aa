package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UpdateFeatures decided as Kafka's controller does, for the one feature Brook keeps in its metadata. */
class FeatureControlTest {
    private final ClusterHarness h = new ClusterHarness();
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);

    private void register(int id, short maxElr) {
        BrokerRegistrationRequestData request = ClusterHarness.registration(id, Uuid.randomUuid(), null);
        request.features().add(new BrokerRegistrationRequestData.Feature().setName(MetadataImage.ELR_FEATURE)
                .setMinSupportedVersion((short) 0).setMaxSupportedVersion(maxElr));
        h.apply(control.register(h.cluster, h.image, request, h.image.offset() + 1, Map.of(), 0));
    }

    private UpdateFeaturesResponseData update(String feature, int level, int upgradeType) {
        UpdateFeaturesRequestData request = new UpdateFeaturesRequestData();
        request.featureUpdates().add(new UpdateFeaturesRequestData.FeatureUpdateKey().setFeature(feature)
                .setMaxVersionLevel((short) level).setUpgradeType((byte) upgradeType));
        ControllerResult<UpdateFeaturesResponseData> result = FeatureControl.update(h.image, request, 2);
        h.apply(result.records());
        return result.response();
    }

    @Test
    void eligibleLeaderReplicasGoOnWithTheClusterMinimumAndOffOnlyAsADowngrade() {
        register(1, (short) 1);
        register(2, (short) 1);
        assertEquals(Errors.NONE.code(), update(MetadataImage.ELR_FEATURE, 1, 1).errorCode());
        assertTrue(h.image.elrEnabled());
        assertEquals("2", h.image.brokerConfigs().get("").get("min.insync.replicas"), "the controller's minimum");

        UpdateFeaturesResponseData refused = update(MetadataImage.ELR_FEATURE, 0, 1);
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), refused.errorCode());
        assertTrue(refused.errorMessage().startsWith("Can't downgrade"), refused.errorMessage());
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), refused.results().find(MetadataImage.ELR_FEATURE)
                .errorCode());
        assertTrue(h.image.elrEnabled(), "nothing written");

        assertEquals(Errors.NONE.code(), update(MetadataImage.ELR_FEATURE, 0, 2).errorCode(), "a safe downgrade");
        assertTrue(!h.image.elrEnabled());
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), update(MetadataImage.ELR_FEATURE, 1, 2).errorCode(),
                "a downgrade to a higher level");
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), update(MetadataImage.ELR_FEATURE, 2, 1).errorCode());
    }

    @Test
    void aLevelSomeBrokerDoesNotSupportAndOtherFeaturesAreRefused() {
        register(1, (short) 1);
        register(2, (short) 0);
        UpdateFeaturesResponseData refused = update(MetadataImage.ELR_FEATURE, 1, 1);
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), refused.errorCode());
        assertTrue(refused.errorMessage().contains("Broker 2 does not support"), refused.errorMessage());
        assertEquals(List.of(), List.copyOf(h.image.features().keySet()));
        for (String other : List.of("metadata.version", "transaction.version", "no.such.feature")) {
            assertEquals(Errors.INVALID_UPDATE_VERSION.code(), update(other, 1, 1).errorCode(), other);
        }
    }
}
