package io.brook.server.api;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/** The handlers of this node, one per API, and the version ranges they declare. Immutable once built. */
public final class ApiRegistry {
    private final Map<ApiKeys, ApiHandler<?>> handlers = new EnumMap<>(ApiKeys.class);

    public ApiRegistry register(ApiHandler<?> handler) {
        if (handlers.put(handler.apiKey(), handler) != null) {
            throw new IllegalStateException("two handlers for " + handler.apiKey());
        }
        if (handler.minVersion() < handler.apiKey().oldestVersion()
                || handler.maxVersion() > handler.apiKey().latestVersion()) {
            throw new IllegalStateException(handler.apiKey() + " handler declares versions " + handler.minVersion()
                    + "-" + handler.maxVersion() + " outside what kafka-clients can parse");
        }
        return this;
    }

    public ApiHandler<?> handler(ApiKeys key) {
        return handlers.get(key);
    }

    public boolean supports(ApiKeys key, short version) {
        ApiHandler<?> handler = handlers.get(key);
        return handler != null && version >= handler.minVersion() && version <= handler.maxVersion();
    }

    public Collection<ApiHandler<?>> handlers() {
        return handlers.values();
    }

    /** The api_keys array of an ApiVersions response. */
    public ApiVersionCollection apiVersions() {
        ApiVersionCollection versions = new ApiVersionCollection();
        handlers.values().stream()
                .sorted((a, b) -> Short.compare(a.apiKey().id, b.apiKey().id))
                .forEach(h -> versions.add(new ApiVersion()
                        .setApiKey(h.apiKey().id)
                        .setMinVersion(h.minVersion())
                        .setMaxVersion(h.maxVersion())));
        return versions;
    }

    /** The answer to an ApiVersions request with a version this node does not know (KIP-511). */
    public ApiVersionsResponseData unsupportedVersionResponse() {
        ApiVersionCollection keys = new ApiVersionCollection();
        ApiHandler<?> self = handlers.get(ApiKeys.API_VERSIONS);
        keys.add(new ApiVersion().setApiKey(ApiKeys.API_VERSIONS.id)
                .setMinVersion(self.minVersion()).setMaxVersion(self.maxVersion()));
        return new ApiVersionsResponseData()
                .setErrorCode(org.apache.kafka.common.protocol.Errors.UNSUPPORTED_VERSION.code())
                .setApiKeys(keys);
    }
}
