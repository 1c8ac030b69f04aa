package io.brook.server.security.oauth;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Test tokens and key sets, made with the JDK only. */
public final class Tokens {
    private Tokens() {
    }

    public static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    /** An unsecured JWS ({@code alg none}) with these claims (a JSON object's text). */
    public static String unsecured(String claims) {
        return b64("{\"alg\":\"none\"}") + "." + b64(claims) + ".";
    }

    public static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    public static KeyPair ec256() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** A JWKS entry of a public key. */
    public static String jwk(String kid, KeyPair pair) {
        if (pair.getPublic() instanceof RSAPublicKey rsa) {
            return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"n\":\"" + unsigned(rsa.getModulus())
                    + "\",\"e\":\"" + unsigned(rsa.getPublicExponent()) + "\"}";
        }
        ECPublicKey ec = (ECPublicKey) pair.getPublic();
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"P-256\",\"x\":\""
                + fixed(ec.getW().getAffineX(), 32) + "\",\"y\":\"" + fixed(ec.getW().getAffineY(), 32) + "\"}";
    }

    public static String jwks(String... entries) {
        return "{\"keys\":[" + String.join(",", entries) + "]}";
    }

    /** A token signed with {@code key} by {@code alg} (RS256 or ES256), header kid {@code kid}. */
    public static String signed(String alg, String kid, PrivateKey key, String claims)
            throws GeneralSecurityException {
        String input = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}") + "." + b64(claims);
        Signature signer = Signature.getInstance(alg.equals("ES256") ? "SHA256withECDSAinP1363Format"
                : "SHA256withRSA");
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64(signer.sign());
    }

    private static String unsigned(BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes[0] == 0 && bytes.length > 1) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return b64(bytes);
    }

    private static String fixed(BigInteger n, int length) {
        byte[] bytes = n.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(bytes.length, length);
        System.arraycopy(bytes, bytes.length - copy, out, length - copy, copy);
        return b64(out);
    }
}
