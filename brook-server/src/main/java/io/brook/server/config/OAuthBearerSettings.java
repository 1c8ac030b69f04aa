package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * How a SASL listener validates OAUTHBEARER tokens, under Kafka's names. Without a server callback handler (or
 * with Kafka's unsecured one) tokens are unsecured JWS for development, tuned by the {@code unsecuredValidator*}
 * options of the listener's OAuthBearerLoginModule JAAS entry. With Kafka's
 * {@code OAuthBearerValidatorCallbackHandler} they must be signed by a key of
 * {@code sasl.oauthbearer.jwks.endpoint.url}, with the {@code sasl.oauthbearer.expected.*} claims. Each
 * {@code sasl.oauthbearer.*} setting may be given per listener as
 * {@code listener.name.<listener>.oauthbearer.<setting>}. Pure; immutable.
 *
 * @param secured        whether tokens must be signed (the JWKS validator)
 * @param jwksUrl        {@code sasl.oauthbearer.jwks.endpoint.url} (secured only)
 * @param refreshMs      {@code sasl.oauthbearer.jwks.endpoint.refresh.ms}
 * @param audience       {@code sasl.oauthbearer.expected.audience} (empty: not checked)
 * @param issuer         {@code sasl.oauthbearer.expected.issuer} (null: not checked)
 * @param principalClaim the claim naming the principal
 * @param scopeClaim     the claim holding the scope
 * @param requiredScope  scope every token must have (unsecured only, as Kafka)
 * @param clockSkewMs    the clock difference tolerated on exp, iat and nbf
 */
public record OAuthBearerSettings(boolean secured, String jwksUrl, long refreshMs, Set<String> audience,
                                  String issuer, String principalClaim, String scopeClaim, Set<String> requiredScope,
                                  long clockSkewMs) {
    /** Kafka's secured validator, by its current and its earlier package. */
    static final List<String> SECURED_HANDLERS = List.of(
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
            "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler");
    static final String UNSECURED_HANDLER =
            "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler";
    static final String LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    public static final String JWKS_URL = "sasl.oauthbearer.jwks.endpoint.url";
    static final String REFRESH_MS = "sasl.oauthbearer.jwks.endpoint.refresh.ms";
    static final String AUDIENCE = "sasl.oauthbearer.expected.audience";
    static final String ISSUER = "sasl.oauthbearer.expected.issuer";
    static final String SUB_CLAIM = "sasl.oauthbearer.sub.claim.name";
    static final String SCOPE_CLAIM = "sasl.oauthbearer.scope.claim.name";
    static final String CLOCK_SKEW_SECONDS = "sasl.oauthbearer.clock.skew.seconds";
    /** The sasl.oauthbearer.* settings a listener honours. */
    static final List<String> HONOURED = List.of(JWKS_URL, REFRESH_MS, AUDIENCE, ISSUER, SUB_CLAIM, SCOPE_CLAIM,
            CLOCK_SKEW_SECONDS);

    public OAuthBearerSettings {
        audience = Set.copyOf(audience);
        requiredScope = Set.copyOf(requiredScope);
    }

    /** The settings of {@code listener}, whose key prefix is {@code listener.name.<listener>.}. */
    static OAuthBearerSettings parse(String listener, String prefix, Map<String, String> originals) {
        String handlerKey = prefix + "oauthbearer.sasl.server.callback.handler.class";
        String handler = originals.get(handlerKey);
        boolean secured = handler != null && SECURED_HANDLERS.contains(handler.trim());
        if (handler != null && !secured && !handler.trim().equals(UNSECURED_HANDLER)) {
            throw new ConfigException(handlerKey, handler, "Brook validates OAUTHBEARER tokens itself, as Kafka's "
                    + SECURED_HANDLERS.get(0) + " (signed tokens, JWKS) or, without this setting, as its unsecured "
                    + "validator; other callback handler classes are not loaded");
        }
        Function<String, String> setting = key -> originals.containsKey(prefix + "oauthbearer." + key)
                ? originals.get(prefix + "oauthbearer." + key) : originals.get(key);
        long skewMs = 1000L * integer(setting, CLOCK_SKEW_SECONDS, 30);
        if (secured) {
            String url = setting.apply(JWKS_URL);
            if (url == null || url.isBlank()) {
                throw new ConfigException(JWKS_URL, null, "the SASL listener " + listener + " validates signed "
                        + "OAUTHBEARER tokens (" + handlerKey + ") and needs the identity provider's key set: set it "
                        + "to its https: JWKS endpoint or a file: URL");
            }
            return new OAuthBearerSettings(true, url.trim(), integer(setting, REFRESH_MS, 3_600_000),
                    words(setting.apply(AUDIENCE), ","), blankToNull(setting.apply(ISSUER)),
                    orDefault(setting.apply(SUB_CLAIM), "sub"), orDefault(setting.apply(SCOPE_CLAIM), "scope"),
                    Set.of(), skewMs);
        }
        Map<String, String> options = unsecuredOptions(prefix, originals);
        long unsecuredSkewMs;
        try {
            unsecuredSkewMs = Long.parseLong(options.getOrDefault("unsecuredValidatorAllowableClockSkewMs", "0"));
        } catch (NumberFormatException e) {
            throw new ConfigException(prefix + "oauthbearer.sasl.jaas.config", "[hidden]",
                    "unsecuredValidatorAllowableClockSkewMs must be a number of milliseconds");
        }
        return new OAuthBearerSettings(false, null, 0, Set.of(), null,
                orDefault(options.get("unsecuredValidatorPrincipalClaimName"), "sub"),
                orDefault(options.get("unsecuredValidatorScopeClaimName"), "scope"),
                words(options.get("unsecuredValidatorRequiredScope"), " "), unsecuredSkewMs);
    }

    /** The options of the listener's OAuthBearerLoginModule entry (none when it has no such entry). */
    private static Map<String, String> unsecuredOptions(String prefix, Map<String, String> originals) {
        String key = originals.containsKey(prefix + "oauthbearer.sasl.jaas.config")
                ? prefix + "oauthbearer.sasl.jaas.config" : "sasl.jaas.config";
        String jaas = originals.get(key);
        if (jaas == null || jaas.isBlank()) {
            return Map.of();
        }
        List<JaasEntry> entries;
        try {
            entries = JaasEntry.parse(jaas);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, "[hidden]", "is not a JAAS configuration: " + e.getMessage());
        }
        return entries.stream().filter(e -> LOGIN_MODULE.equals(e.loginModule())).findFirst()
                .map(JaasEntry::options).orElse(Map.of());
    }

    private static long integer(Function<String, String> setting, String key, long defaultValue) {
        String value = setting.apply(key);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "must be a non-negative whole number");
        }
    }

    private static Set<String> words(String value, String separator) {
        if (value == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(value.split(separator.equals(" ") ? "\\s+" : separator)).map(String::trim)
                .filter(w -> !w.isEmpty()).forEach(out::add);
        return out;
    }

    private static String orDefault(String value, String defaultValue) {
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
