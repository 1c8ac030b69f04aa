package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.ControllerChannel;
import org.apache.kafka.common.message.UnregisterBrokerRequestData;
import org.apache.kafka.common.message.UnregisterBrokerResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/**
 * UnregisterBroker (Kafka's {@code Admin.unregisterBroker}, KIP-500): removes a broker's registration
 * through the active controller, which first moves its leaderships and ISR places away. As Kafka, an
 * unknown id is refused with BROKER_ID_NOT_REGISTERED and a registered broker is removed whether or not it
 * is fenced (the operator's tool for brokers that are gone for good; a live broker registers again).
 * Kafka requires ALTER on the CLUSTER resource: checked here once Brook has an authorizer.
 */
public final class UnregisterBrokerHandler implements ApiHandler<UnregisterBrokerRequestData> {
    private final ControllerChannel controller;

    public UnregisterBrokerHandler(ControllerChannel controller) {
        this.controller = controller;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.UNREGISTER_BROKER;
    }

    @Override
    public CompletableFuture<UnregisterBrokerResponseData> handle(RequestContext context,
                                                                  UnregisterBrokerRequestData request) {
        return controller.unregisterBroker(request.brokerId()).handle((ignored, e) -> {
            UnregisterBrokerResponseData response = new UnregisterBrokerResponseData();
            if (e != null) {
                response.setErrorCode(ErrorMapping.errorFor(e).code()).setErrorMessage(ErrorMapping.messageFor(e));
            }
            return response;
        });
    }
}
