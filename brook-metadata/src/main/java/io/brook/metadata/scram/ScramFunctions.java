package io.brook.metadata.scram;

import org.apache.kafka.clients.admin.ScramMechanism;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * The SCRAM functions of RFC 5802 section 2.2 for Kafka's two mechanisms (SCRAM-SHA-256 and
 * SCRAM-SHA-512, RFC 7677): {@code Hi} (PBKDF2 with the mechanism's HMAC), {@code ClientKey},
 * {@code StoredKey}, {@code ServerKey} and the signatures. What the metadata stores (salt,
 * StoredKey, ServerKey, iterations) is derived here from a salted password, never the password.
 *
 * <p>Thread-safety: stateless; each call gets its own {@link Mac} and {@link MessageDigest}.
 */
public final class ScramFunctions {
    /** Kafka's lower bound on iterations for both mechanisms. */
    public static final int MIN_ITERATIONS = 4096;
    /** Kafka's upper bound on iterations of a credential. */
    public static final int MAX_ITERATIONS = 16384;

    private ScramFunctions() {
    }

    /** Whether {@code mechanism} is one of the two Brook serves. */
    public static boolean supported(ScramMechanism mechanism) {
        return mechanism == ScramMechanism.SCRAM_SHA_256 || mechanism == ScramMechanism.SCRAM_SHA_512;
    }

    /** {@code HMAC(key, message)} with the mechanism's hash. */
    public static byte[] hmac(ScramMechanism mechanism, byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance(hmacAlgorithm(mechanism));
            mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + hmacAlgorithm(mechanism), e);
        }
    }

    /** {@code H(message)} with the mechanism's hash. */
    public static byte[] hash(ScramMechanism mechanism, byte[] message) {
        try {
            return MessageDigest.getInstance(hashAlgorithm(mechanism)).digest(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + hashAlgorithm(mechanism), e);
        }
    }

    /** {@code Hi(password, salt, iterations)}: the salted password. */
    public static byte[] saltedPassword(ScramMechanism mechanism, String password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance(hmacAlgorithm(mechanism));
            mac.init(new SecretKeySpec(password.getBytes(StandardCharsets.UTF_8), mac.getAlgorithm()));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + hmacAlgorithm(mechanism), e);
        }
    }

    public static byte[] clientKey(ScramMechanism mechanism, byte[] saltedPassword) {
        return hmac(mechanism, saltedPassword, "Client Key".getBytes(StandardCharsets.US_ASCII));
    }

    public static byte[] serverKey(ScramMechanism mechanism, byte[] saltedPassword) {
        return hmac(mechanism, saltedPassword, "Server Key".getBytes(StandardCharsets.US_ASCII));
    }

    public static byte[] storedKey(ScramMechanism mechanism, byte[] clientKey) {
        return hash(mechanism, clientKey);
    }

    /** {@code a XOR b}; both of one length. */
    public static byte[] xor(byte[] a, byte[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("xor of " + a.length + " and " + b.length + " bytes");
        }
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }

    /** The credential a salted password gives (what the metadata keeps). */
    public static ScramCredential credential(ScramMechanism mechanism, byte[] salt, byte[] saltedPassword,
                                             int iterations) {
        return new ScramCredential(salt.clone(), storedKey(mechanism, clientKey(mechanism, saltedPassword)),
                serverKey(mechanism, saltedPassword), iterations);
    }

    private static String hmacAlgorithm(ScramMechanism mechanism) {
        return switch (mechanism) {
            case SCRAM_SHA_256 -> "HmacSHA256";
            case SCRAM_SHA_512 -> "HmacSHA512";
            default -> throw new IllegalArgumentException("not a SCRAM mechanism Brook serves: " + mechanism);
        };
    }

    private static String hashAlgorithm(ScramMechanism mechanism) {
        return switch (mechanism) {
            case SCRAM_SHA_256 -> "SHA-256";
            case SCRAM_SHA_512 -> "SHA-512";
            default -> throw new IllegalArgumentException("not a SCRAM mechanism Brook serves: " + mechanism);
        };
    }
}
