package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.ControllerChannel;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * UpdateFeatures (API 57, {@code kafka-features.sh upgrade|downgrade}, {@code Admin.updateFeatures}): needs ALTER on
 * the cluster, as in Kafka; decided by the active controller ({@link io.brook.metadata.controller.FeatureControl},
 * through the {@link io.brook.server.controller.ControllerChannel}) and answered once its records are committed. A
 * failure of the whole request (no active controller, say) becomes the answer's error and every feature's.
 *
 * <p>Served by brokers and, for {@code --bootstrap-controller}, by the controller listener, which takes no
 * authentication: there it is refused while an authorizer is on ({@link #onControllerListener}).
 */
public final class UpdateFeaturesHandler implements ApiHandler<UpdateFeaturesRequestData> {
    private final Predicate<RequestContext> mayAlterCluster;
    private final String refusal;
    private final Supplier<ControllerChannel> controller;

    private UpdateFeaturesHandler(Predicate<RequestContext> mayAlterCluster, String refusal,
                                  Supplier<ControllerChannel> controller) {
        this.mayAlterCluster = mayAlterCluster;
        this.refusal = refusal;
        this.controller = controller;
    }

    /** On a broker listener: ALTER on the cluster for the request's principal. */
    public UpdateFeaturesHandler(BrokerContext broker) {
        this(context -> Access.cluster(broker, context, AclOperation.ALTER),
                "Not authorized to ALTER the cluster (UpdateFeatures)", broker::controller);
    }

    /**
     * On a controller listener, through {@code controller} (null until the quorum is open: the request then fails
     * as with no active controller). Its connections are not authenticated, so with an authorizer on
     * ({@code authorizerEnabled}) every request is refused, pointing at a broker listener, where the principal is
     * known; without one, anyone may, as on a broker without an authorizer.
     */
    public static UpdateFeaturesHandler onControllerListener(boolean authorizerEnabled,
                                                             Supplier<ControllerChannel> controller) {
        return new UpdateFeaturesHandler(context -> !authorizerEnabled, "Not authorized to ALTER the cluster "
                + "(UpdateFeatures): the controller listener does not authenticate clients while an authorizer is "
                + "on; send it to a broker (--bootstrap-server)", controller);
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.UPDATE_FEATURES;
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> handle(RequestContext context,
                                                               UpdateFeaturesRequestData request) {
        if (!mayAlterCluster.test(context)) {
            return CompletableFuture.completedFuture(refusal(request, Errors.CLUSTER_AUTHORIZATION_FAILED, refusal));
        }
        ControllerChannel channel = controller.get();
        if (channel == null) {
            return CompletableFuture.completedFuture(refusal(request, Errors.NOT_CONTROLLER,
                    "The metadata quorum is not open yet; retry"));
        }
        return channel.updateFeatures(request).handle((response, e) -> e == null ? response
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
