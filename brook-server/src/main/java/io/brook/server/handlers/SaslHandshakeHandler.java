package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * SaslHandshake where no SASL exchange is due: on a listener without SASL, or on a connection that has
 * authenticated already (a SASL listener's exchange is served by the connection itself,
 * {@link io.brook.server.security.sasl.SaslAuthenticator}, before requests reach handlers). Kafka answers
 * ILLEGAL_SASL_STATE then. Versions 0 (bare tokens follow) and 1 (KIP-152: tokens in SaslAuthenticate).
 */
public final class SaslHandshakeHandler implements ApiHandler<SaslHandshakeRequestData> {
    @Override
    public ApiKeys apiKey() {
        return ApiKeys.SASL_HANDSHAKE;
    }

    @Override
    public CompletableFuture<SaslHandshakeResponseData> handle(RequestContext context,
                                                               SaslHandshakeRequestData request) {
        return CompletableFuture.completedFuture(new SaslHandshakeResponseData()
                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code()).setMechanisms(List.of()));
    }
}
