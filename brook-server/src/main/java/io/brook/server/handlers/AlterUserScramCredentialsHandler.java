package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/**
 * AlterUserScramCredentials: decided by the active controller ({@link io.brook.metadata.controller.ScramControl},
 * through the {@link io.brook.server.controller.ControllerChannel}); answered once its records are committed.
 * The request carries salted passwords, never passwords; the metadata keeps only the keys derived from them.
 */
public final class AlterUserScramCredentialsHandler implements ApiHandler<AlterUserScramCredentialsRequestData> {
    private final BrokerContext broker;

    public AlterUserScramCredentialsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_USER_SCRAM_CREDENTIALS;
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> handle(RequestContext context,
                                                                           AlterUserScramCredentialsRequestData request) {
        return broker.controller().alterUserScramCredentials(request);
    }
}
