package io.brook.server.handlers;

import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData.FeatureUpdateKey;
import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * UpdateFeatures on a controller listener, whose connections are not authenticated: refused while an authorizer is
 * on, whoever asks; without one, NOT_CONTROLLER until the quorum is open (its channel still null).
 */
class UpdateFeaturesHandlerTest {
    private static final UpdateFeaturesRequestData REQUEST = new UpdateFeaturesRequestData().setFeatureUpdates(
            new UpdateFeaturesRequestData.FeatureUpdateKeyCollection(java.util.List.of(new FeatureUpdateKey()
                    .setFeature("eligible.leader.replicas.version").setMaxVersionLevel((short) 1)).iterator()));

    private static UpdateFeaturesResponseData answer(UpdateFeaturesHandler handler) throws Exception {
        return handler.handle(HandlerTestSupport.request(ApiKeys.UPDATE_FEATURES, (short) 1, "admin"), REQUEST)
                .get(5, TimeUnit.SECONDS);
    }

    @Test
    void theControllerListenerRefusesItWhileAnAuthorizerIsOn() throws Exception {
        UpdateFeaturesResponseData refused = answer(UpdateFeaturesHandler.onControllerListener(true, () -> null));
        assertEquals(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), refused.errorCode());
        assertTrue(refused.errorMessage().contains("--bootstrap-server"), refused.errorMessage());
        assertEquals(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), refused.results().iterator().next().errorCode());

        UpdateFeaturesResponseData notOpen = answer(UpdateFeaturesHandler.onControllerListener(false, () -> null));
        assertEquals(Errors.NOT_CONTROLLER.code(), notOpen.errorCode());
    }
}
