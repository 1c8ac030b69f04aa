package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.ApiRegistry;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * ApiVersions: the version range of every API a handler is registered for, nothing more. No
 * features are finalized yet, so clients use their baseline behaviour (transaction version 0).
 */
public final class ApiVersionsHandler implements ApiHandler<ApiVersionsRequestData> {
    /** KIP-511: software name and version must be alphanumerics, '.', '-'. */
    private static final Pattern SOFTWARE_FIELD = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

    private final ApiRegistry registry;

    public ApiVersionsHandler(ApiRegistry registry) {
        this.registry = registry;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.API_VERSIONS;
    }

    @Override
    public CompletableFuture<ApiVersionsResponseData> handle(RequestContext context, ApiVersionsRequestData request) {
        ApiVersionsResponseData response = new ApiVersionsResponseData().setApiKeys(registry.apiVersions());
        if (context.apiVersion() >= 3 && (!SOFTWARE_FIELD.matcher(request.clientSoftwareName()).matches()
                || !SOFTWARE_FIELD.matcher(request.clientSoftwareVersion()).matches())) {
            response.setErrorCode(Errors.INVALID_REQUEST.code());
        }
        return CompletableFuture.completedFuture(response);
    }
}
