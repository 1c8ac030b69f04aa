package io.brook.server.security.oauth;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The verification keys of a JSON Web Key Set (RFC 7517): RSA keys ({@code n}, {@code e}) and EC keys on
 * P-256, P-384 and P-521 ({@code crv}, {@code x}, {@code y}). Keys meant for encryption ({@code "use":"enc"}) and
 * kinds it cannot verify with (symmetric, OKP) are left out, as a JWKS may hold keys for other purposes. Pure;
 * immutable.
 */
final class JsonWebKeys {
    /** One usable key: its id (may be null), its {@code alg} when the set pins one (else null), the key. */
    record Key(String id, String algorithm, PublicKey key) {
    }

    private static final Map<String, String> CURVES = Map.of("P-256", "secp256r1", "P-384", "secp384r1",
            "P-521", "secp521r1");

    private final List<Key> keys;

    private JsonWebKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** The usable keys of a JWKS document; {@link IllegalArgumentException} when it is not one. */
    static JsonWebKeys parse(String json) {
        Map<String, Object> set = JsonReader.parseObject(json);
        if (!(set.get("keys") instanceof List<?> entries)) {
            throw new IllegalArgumentException("a JWKS needs a \"keys\" array");
        }
        List<Key> keys = new ArrayList<>();
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> jwk)) {
                throw new IllegalArgumentException("a JWKS key is not a JSON object");
            }
            if ("enc".equals(jwk.get("use"))) {
                continue;
            }
            PublicKey key = switch (String.valueOf(jwk.get("kty"))) {
                case "RSA" -> rsa(jwk);
                case "EC" -> ec(jwk);
                default -> null;
            };
            if (key != null) {
                keys.add(new Key(text(jwk, "kid", false), text(jwk, "alg", false), key));
            }
        }
        return new JsonWebKeys(keys);
    }

    int size() {
        return keys.size();
    }

    /**
     * The keys a token with key id {@code kid} (may be null) and algorithm {@code alg} may be verified with: those
     * of that id, or, for a token without one, every key of the algorithm's kind.
     */
    List<Key> candidates(String kid, String alg) {
        List<Key> out = new ArrayList<>();
        for (Key k : keys) {
            boolean idMatches = kid == null || kid.equals(k.id());
            boolean algMatches = k.algorithm() == null || k.algorithm().equals(alg);
            boolean kindMatches = alg.startsWith("ES") ? k.key() instanceof ECPublicKey
                    : k.key() instanceof RSAPublicKey;
            if (idMatches && algMatches && kindMatches) {
                out.add(k);
            }
        }
        return out;
    }

    private static PublicKey rsa(Map<?, ?> jwk) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                    number(jwk, "n"), number(jwk, "e")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("an unusable RSA key: " + e.getMessage());
        }
    }

    private static PublicKey ec(Map<?, ?> jwk) {
        String curve = CURVES.get(text(jwk, "crv", true));
        if (curve == null) {
            return null; // a curve Kafka's clients do not sign with either
        }
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(curve));
            ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                    new ECPoint(number(jwk, "x"), number(jwk, "y")), spec));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("an unusable EC key: " + e.getMessage());
        }
    }

    private static BigInteger number(Map<?, ?> jwk, String name) {
        try {
            return new BigInteger(1, Base64.getUrlDecoder().decode(text(jwk, name, true)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key's " + name + " is not base64url");
        }
    }

    private static String text(Map<?, ?> jwk, String name, boolean required) {
        Object value = jwk.get(name);
        if (value == null && !required) {
            return null;
        }
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("a JWKS key needs a string \"" + name + "\"");
        }
        return s;
    }
}
