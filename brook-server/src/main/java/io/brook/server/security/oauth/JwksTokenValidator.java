package io.brook.server.security.oauth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kafka's secured OAUTHBEARER validation ({@code OAuthBearerValidatorCallbackHandler}): a token is accepted when
 * a key of the identity provider's JWKS signed it (RS256/384/512, PS256/384/512, ES256/384/512), its claims are
 * consistent, its {@code iss} is the expected issuer and its {@code aud} holds an expected audience (each when
 * configured). The key set is read at start (a start without it fails) and read again every {@code refreshMs},
 * and at once, at most every {@link #MIN_RELOAD_INTERVAL_MS}, for a token signed by a key id it does not know
 * (the provider rotated its keys); a failed reload keeps the keys it has, with a WARN.
 *
 * <p>Thread-safety: safe; the keys are one immutable set swapped under this object's lock.
 */
public final class JwksTokenValidator implements TokenValidator {
    /** Fewest milliseconds between two reloads for unknown key ids, so a flood of bad tokens cannot hammer the provider. */
    static final long MIN_RELOAD_INTERVAL_MS = 10_000;
    private static final Logger log = LoggerFactory.getLogger(JwksTokenValidator.class);
    /** The JWS algorithms verified, by name, with the JDK's signature algorithm. */
    private static final Map<String, String> ALGORITHMS = Map.of(
            "RS256", "SHA256withRSA", "RS384", "SHA384withRSA", "RS512", "SHA512withRSA",
            "ES256", "SHA256withECDSAinP1363Format", "ES384", "SHA384withECDSAinP1363Format",
            "ES512", "SHA512withECDSAinP1363Format",
            "PS256", "RSASSA-PSS", "PS384", "RSASSA-PSS", "PS512", "RSASSA-PSS");

    /** Where the key set comes from (a file or the provider's endpoint). */
    @FunctionalInterface
    public interface KeySetSource {
        /** The JWKS document, read now. */
        String read() throws IOException;
    }

    /** What a token must carry besides a valid signature (Kafka's sasl.oauthbearer.* settings). */
    public record Expectations(Set<String> audience, String issuer, String subClaim, String scopeClaim,
                               long clockSkewMs) {
        public Expectations {
            audience = Set.copyOf(audience);
        }
    }

    private final KeySetSource source;
    private final String sourceName;
    private final Expectations expected;
    private final long refreshMs;
    private JsonWebKeys keys;
    private long loadedAtMs;
    private long lastReloadAttemptMs;

    /**
     * Reads the key set once.
     *
     * @throws IOException when it cannot be read or is not a JWKS with a usable key (the node does not start)
     */
    public JwksTokenValidator(KeySetSource source, String sourceName, Expectations expected, long refreshMs,
                              long nowMs) throws IOException {
        this.source = source;
        this.sourceName = sourceName;
        this.expected = expected;
        this.refreshMs = refreshMs;
        this.keys = read();
        this.loadedAtMs = nowMs;
        this.lastReloadAttemptMs = nowMs;
    }

    @Override
    public ValidatedToken validate(String token, long nowMs) throws InvalidTokenException {
        Jwt jwt = Jwt.parse(token);
        String alg = jwt.algorithm();
        String jdkAlgorithm = alg == null ? null : ALGORITHMS.get(alg);
        if (jdkAlgorithm == null) {
            throw new InvalidTokenException("the token's alg " + alg + " is not accepted; it must be signed with one "
                    + "of " + new java.util.TreeSet<>(ALGORITHMS.keySet()));
        }
        String kid = jwt.keyId();
        List<JsonWebKeys.Key> candidates = keys(nowMs, false).candidates(kid, alg);
        if (candidates.isEmpty()) {
            candidates = keys(nowMs, true).candidates(kid, alg);
        }
        if (candidates.isEmpty()) {
            throw new InvalidTokenException("no key of " + sourceName + " matches the token's "
                    + (kid == null ? "algorithm " + alg : "key id " + kid));
        }
        if (!verifiedByOneOf(candidates, jdkAlgorithm, alg, jwt)) {
            throw new InvalidTokenException("the token's signature does not verify with the key "
                    + (kid == null ? "set" : kid) + " of " + sourceName);
        }
        ValidatedToken validated = jwt.checkClaims(expected.subClaim(), expected.scopeClaim(),
                expected.clockSkewMs(), nowMs);
        if (expected.issuer() != null && !expected.issuer().equals(jwt.stringClaim("iss"))) {
            throw new InvalidTokenException("the token's issuer (iss) " + jwt.stringClaim("iss") + " is not "
                    + expected.issuer());
        }
        if (!expected.audience().isEmpty()
                && jwt.stringsClaim("aud").stream().noneMatch(expected.audience()::contains)) {
            throw new InvalidTokenException("the token's audience (aud) " + jwt.stringsClaim("aud")
                    + " holds none of " + expected.audience());
        }
        return validated;
    }

    private static boolean verifiedByOneOf(List<JsonWebKeys.Key> candidates, String jdkAlgorithm, String alg,
                                           Jwt jwt) {
        for (JsonWebKeys.Key key : candidates) {
            try {
                Signature verifier = Signature.getInstance(jdkAlgorithm);
                if (alg.startsWith("PS")) {
                    String digest = "SHA-" + alg.substring(2);
                    int saltBytes = Integer.parseInt(alg.substring(2)) / 8;
                    verifier.setParameter(new PSSParameterSpec(digest, "MGF1", new MGF1ParameterSpec(digest),
                            saltBytes, PSSParameterSpec.TRAILER_FIELD_BC));
                }
                verifier.initVerify(key.key());
                verifier.update(jwt.signingInput());
                if (verifier.verify(jwt.signature())) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // a malformed signature for this key: not verified by it
            }
        }
        return false;
    }

    /** The current keys, read again when they are older than the refresh interval or {@code unknownKey} allows. */
    private synchronized JsonWebKeys keys(long nowMs, boolean unknownKey) {
        boolean due = nowMs - loadedAtMs >= refreshMs
                || (unknownKey && nowMs - lastReloadAttemptMs >= MIN_RELOAD_INTERVAL_MS);
        if (due) {
            lastReloadAttemptMs = nowMs;
            try {
                keys = read();
                loadedAtMs = nowMs;
            } catch (IOException e) {
                log.warn("Could not read the JWKS {} again ({}); keeping the {} keys read before", sourceName,
                        e.getMessage(), keys.size());
                loadedAtMs = nowMs; // next try after another refresh interval
            }
        }
        return keys;
    }

    private JsonWebKeys read() throws IOException {
        String document = source.read();
        JsonWebKeys read;
        try {
            read = JsonWebKeys.parse(document);
        } catch (IllegalArgumentException e) {
            throw new IOException(sourceName + " is not a usable JWKS: " + e.getMessage(), e);
        }
        if (read.size() == 0) {
            throw new IOException(sourceName + " holds no RSA or EC signing key");
        }
        return read;
    }
}
