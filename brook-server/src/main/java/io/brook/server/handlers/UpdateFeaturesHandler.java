package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * UpdateFeatures (API 57, {@code kafka-features.sh upgrade|downgrade}, {@code Admin.updateFeatures}): needs ALTER on
 * the cluster, as in Kafka; decided by the active controller ({@link io.brook.metadata.controller.FeatureControl},
 * through the {@link io.brook.server.controller.ControllerChannel}) and answered once its records are committed. A
 * failure of the whole request (no active controller, say) becomes the answer's error and every feature's.
 */
public final class UpdateFeaturesHandler implements ApiHandler<UpdateFeaturesRequestData> {
    private final BrokerContext broker;

    public UpdateFeaturesHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.UPDATE_FEATURES;
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> handle(RequestContext context,
                                                               UpdateFeaturesRequestData request) {
        if (!Access.cluster(broker, context, AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(refusal(request, Errors.CLUSTER_AUTHORIZATION_FAILED,
                    "Not authorized to ALTER the cluster (UpdateFeatures)"));
        }
        return broker.controller().updateFeatures(request).handle((response, e) -> e == null ? response
                : refusal(request, ErrorMapping.errorFor(e), ErrorMapping.messageFor(e)));
    }

    private static UpdateFeaturesResponseData refusal(UpdateFeaturesRequestData request, Errors error,
                                                      String message) {
        UpdateFeaturesResponseData response = new UpdateFeaturesResponseData().setErrorCode(error.code())
                .setErrorMessage(message);
        for (UpdateFeaturesRequestData.FeatureUpdateKey update : request.featureUpdates()) {
            response.results().add(new UpdateFeaturesResponseData.UpdatableFeatureResult()
                    .setFeature(update.feature()).setErrorCode(error.code()).setErrorMessage(message));
        }
        return response;
    }
}
