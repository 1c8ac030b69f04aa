package io.brook.server.handlers;

import io.brook.metadata.image.MetadataImage;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.ApiRegistry;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * ApiVersions: the version range of every API a handler is registered for, and (v3+) the features Brook
 * finalizes: {@code transaction.version}, at the level {@code brook.transaction.version} sets (2 by default: Kafka 4
 * clients then use transaction protocol 2, KIP-890), and on a broker {@code eligible.leader.replicas.version} as
 * the cluster's metadata has it (KIP-966; {@code kafka-features.sh describe} shows it). No other feature is
 * finalized, so clients use their baseline behaviour for the rest.
 */
public final class ApiVersionsHandler implements ApiHandler<ApiVersionsRequestData> {
    /** KIP-511: software name and version must be alphanumerics, '.', '-'. */
    private static final Pattern SOFTWARE_FIELD = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

    /** Kafka's name of the transaction protocol feature. */
    public static final String TRANSACTION_VERSION = "transaction.version";
    /** The highest transaction protocol Brook implements. */
    public static final short MAX_TRANSACTION_VERSION = 2;
    private static final short FEATURES_VERSION = 3;
    private static final short ZERO_MIN_VERSION = 4;

    private final ApiRegistry registry;
    private final short transactionVersion;
    /** The metadata: its finalized feature levels and its offset (empty on a controller-only listener). */
    private final Supplier<MetadataImage> metadata;

    public ApiVersionsHandler(ApiRegistry registry, short transactionVersion) {
        this(registry, transactionVersion, () -> MetadataImage.EMPTY);
    }

    public ApiVersionsHandler(ApiRegistry registry, short transactionVersion, Supplier<MetadataImage> metadata) {
        this.registry = registry;
        this.transactionVersion = transactionVersion;
        this.metadata = metadata;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.API_VERSIONS;
    }

    @Override
    public CompletableFuture<ApiVersionsResponseData> handle(RequestContext context, ApiVersionsRequestData request) {
        ApiVersionsResponseData response = new ApiVersionsResponseData().setApiKeys(registry.apiVersions());
        if (context.apiVersion() >= FEATURES_VERSION) {
            // clients before ApiVersions v4 reject a supported minimum of 0 (KAFKA-17011): they get 1
            short min = context.apiVersion() >= ZERO_MIN_VERSION ? (short) 0 : (short) 1;
            response.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                    .setName(TRANSACTION_VERSION).setMinVersion(min).setMaxVersion(MAX_TRANSACTION_VERSION));
            MetadataImage image = metadata.get();
            // Kafka's epoch of the finalized features: the offset of the metadata they were read from
            response.setFinalizedFeaturesEpoch(Math.max(0, image.offset()));
            if (transactionVersion > 0) {
                response.finalizedFeatures().add(new ApiVersionsResponseData.FinalizedFeatureKey()
                        .setName(TRANSACTION_VERSION).setMinVersionLevel(transactionVersion)
                        .setMaxVersionLevel(transactionVersion));
            }
            response.supportedFeatures().add(new ApiVersionsResponseData.SupportedFeatureKey()
                    .setName(MetadataImage.ELR_FEATURE).setMinVersion(min).setMaxVersion(MetadataImage.MAX_ELR_LEVEL));
            short elr = image.features().getOrDefault(MetadataImage.ELR_FEATURE, (short) 0);
            if (elr > 0) {
                response.finalizedFeatures().add(new ApiVersionsResponseData.FinalizedFeatureKey()
                        .setName(MetadataImage.ELR_FEATURE).setMinVersionLevel(elr).setMaxVersionLevel(elr));
            }
        }
        if (context.apiVersion() >= 3 && (!SOFTWARE_FIELD.matcher(request.clientSoftwareName()).matches()
                || !SOFTWARE_FIELD.matcher(request.clientSoftwareVersion()).matches())) {
            response.setErrorCode(Errors.INVALID_REQUEST.code());
        }
        return CompletableFuture.completedFuture(response);
    }
}
