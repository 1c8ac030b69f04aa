package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * SaslAuthenticate where no SASL exchange is due (see {@link SaslHandshakeHandler}): ILLEGAL_SASL_STATE, as
 * Kafka answers it (re-authentication, KIP-368, is not served yet).
 */
public final class SaslAuthenticateHandler implements ApiHandler<SaslAuthenticateRequestData> {
    @Override
    public ApiKeys apiKey() {
        return ApiKeys.SASL_AUTHENTICATE;
    }

    @Override
    public CompletableFuture<SaslAuthenticateResponseData> handle(RequestContext context,
                                                                  SaslAuthenticateRequestData request) {
        return CompletableFuture.completedFuture(new SaslAuthenticateResponseData()
                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code()).setAuthBytes(new byte[0])
                .setErrorMessage("SaslAuthenticate request received after successful authentication or on a "
                        + "listener without SASL"));
    }
}
