package io.brook.metadata.scram;

import java.util.Arrays;

/**
 * One user's SCRAM credential for one mechanism, as Kafka's {@code UserScramCredentialRecord} holds it:
 * the salt, {@code StoredKey = H(HMAC(SaltedPassword, "Client Key"))}, {@code ServerKey =
 * HMAC(SaltedPassword, "Server Key")} and the iteration count. Enough to verify a client's proof and
 * sign the server's answer, not to log in as the user. Never printed ({@link #toString} hides the bytes).
 *
 * <p>Immutable by convention: the arrays are never changed after construction.
 */
public record ScramCredential(byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredential other && iterations == other.iterations
                && Arrays.equals(salt, other.salt) && Arrays.equals(storedKey, other.storedKey)
                && Arrays.equals(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(storedKey) * 31 + iterations;
    }

    @Override
    public String toString() {
        return "ScramCredential(salt, storedKey, serverKey hidden, " + iterations + " iterations)";
    }
}
