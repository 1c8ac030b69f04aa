package io.brook.server.security.oauth;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON Web Token in JWS compact form (RFC 7515/7519), split and decoded but not yet trusted:
 * {@code base64url(header) "." base64url(claims) "." base64url(signature)}, the signature empty for an
 * unsecured token. The claim readers refuse a claim of the wrong kind. Pure; immutable.
 */
final class Jwt {
    /** Longest token read: far above any real one, so a huge token costs nothing to refuse. */
    static final int MAX_TOKEN_CHARS = 64 * 1024;

    private final Map<String, Object> header;
    private final Map<String, Object> claims;
    private final byte[] signingInput;
    private final byte[] signature;

    private Jwt(Map<String, Object> header, Map<String, Object> claims, byte[] signingInput, byte[] signature) {
        this.header = header;
        this.claims = claims;
        this.signingInput = signingInput;
        this.signature = signature;
    }

    static Jwt parse(String token) throws InvalidTokenException {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidTokenException("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
            throw new InvalidTokenException("the token is not a JWS in compact form (three parts separated by '.')");
        }
        Map<String, Object> header = json(token.substring(0, first), "header");
        Map<String, Object> claims = json(token.substring(first + 1, second), "claims");
        byte[] signature = decode(token.substring(second + 1), "signature");
        return new Jwt(header, claims, token.substring(0, second).getBytes(StandardCharsets.US_ASCII), signature);
    }

    private static Map<String, Object> json(String part, String what) throws InvalidTokenException {
        String text = new String(decode(part, what), StandardCharsets.UTF_8);
        try {
            return JsonReader.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("the token's " + what + " is not a JSON object (" + e.getMessage() + ")");
        }
    }

    private static byte[] decode(String part, String what) throws InvalidTokenException {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("the token's " + what + " is not base64url");
        }
    }

    /** The header's {@code alg}, or null. */
    String algorithm() throws InvalidTokenException {
        return string(header, "alg", "header parameter");
    }

    /** The header's {@code kid}, or null. */
    String keyId() throws InvalidTokenException {
        return string(header, "kid", "header parameter");
    }

    byte[] signingInput() {
        return signingInput.clone();
    }

    byte[] signature() {
        return signature.clone();
    }

    /** A string claim, or null when absent. */
    String stringClaim(String name) throws InvalidTokenException {
        return string(claims, name, "claim");
    }

    /** A NumericDate claim (seconds, possibly fractional) in milliseconds, or null when absent. */
    Long timeClaimMs(String name) throws InvalidTokenException {
        Object value = claims.get(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof BigDecimal seconds)) {
            throw new InvalidTokenException("the token's " + name + " claim is not a number of seconds");
        }
        try {
            // longValue() would wrap a huge exp into any time at all; past a long's range it is refused
            return seconds.movePointRight(3).setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException e) {
            throw new InvalidTokenException("the token's " + name + " claim is out of range");
        }
    }

    /** A claim that is a string or a list of strings (aud), as a list; empty when absent. */
    List<String> stringsClaim(String name) throws InvalidTokenException {
        Object value = claims.get(name);
        if (value == null) {
            return List.of();
        }
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new InvalidTokenException("the token's " + name + " claim is neither a string nor a list of strings");
    }

    /** A scope claim: a space-separated string or a list of strings; empty when absent. */
    Set<String> scopeClaim(String name) throws InvalidTokenException {
        Set<String> scope = new LinkedHashSet<>();
        for (String s : stringsClaim(name)) {
            for (String item : s.trim().split("\\s+")) {
                if (!item.isEmpty()) {
                    scope.add(item);
                }
            }
        }
        return scope;
    }

    /**
     * The checks every accepted token passes, whatever signs it: a non-empty principal claim, an {@code exp} not
     * past (by more than {@code skewMs}), an {@code iat} and {@code nbf} not ahead, and {@code exp} after {@code iat}.
     */
    ValidatedToken checkClaims(String principalClaim, String scopeClaim, long skewMs, long nowMs)
            throws InvalidTokenException {
        String principal = stringClaim(principalClaim);
        if (principal == null || principal.isBlank()) {
            throw new InvalidTokenException("the token has no " + principalClaim + " claim naming its principal");
        }
        Long expiresAt = timeClaimMs("exp");
        if (expiresAt == null) {
            throw new InvalidTokenException("the token has no exp claim (its expiry)");
        }
        if (nowMs > expiresAt + skewMs) {
            throw new InvalidTokenException("the token expired at " + java.time.Instant.ofEpochMilli(expiresAt)
                    + " (exp), it is now " + java.time.Instant.ofEpochMilli(nowMs));
        }
        Long issuedAt = timeClaimMs("iat");
        if (issuedAt != null && issuedAt > nowMs + skewMs) {
            throw new InvalidTokenException("the token is issued in the future (iat "
                    + java.time.Instant.ofEpochMilli(issuedAt) + ")");
        }
        if (issuedAt != null && expiresAt <= issuedAt) {
            throw new InvalidTokenException("the token expires (exp) before it is issued (iat)");
        }
        Long notBefore = timeClaimMs("nbf");
        if (notBefore != null && notBefore > nowMs + skewMs) {
            throw new InvalidTokenException("the token is not valid before "
                    + java.time.Instant.ofEpochMilli(notBefore) + " (nbf)");
        }
        return new ValidatedToken(principal, expiresAt, scopeClaim(scopeClaim));
    }

    private static String string(Map<String, Object> in, String name, String kind) throws InvalidTokenException {
        Object value = in.get(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String s)) {
            throw new InvalidTokenException("the token's " + name + " " + kind + " is not a string");
        }
        return s;
    }
}
