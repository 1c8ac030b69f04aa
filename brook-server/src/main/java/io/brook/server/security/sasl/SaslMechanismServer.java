package io.brook.server.security.sasl;

import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The server side of one SASL mechanism for one connection: takes the client's tokens one by one and
 * answers each, until the exchange is complete (the user is then known) or fails.
 *
 * <p>Thread-safety: not thread-safe; one connection calls it one token at a time.
 */
public interface SaslMechanismServer {

    /** The mechanism's name as clients ask for it (PLAIN, SCRAM-SHA-256, ...). */
    String mechanism();

    /**
     * The answer to the client's next token.
     *
     * @throws SaslAuthenticationException when the client's token is malformed or its credentials are wrong;
     *                                     the message is safe to give the client
     */
    byte[] evaluate(byte[] token);

    /** Whether the exchange has succeeded. */
    boolean isComplete();

    /**
     * The user name the client claimed so far, verified or not (for the audit line of a failed exchange); null
     * before the client named one.
     */
    default String claimedUser() {
        return null;
    }

    /** The authenticated user's name; only once {@link #isComplete()}. */
    String user();

    /** {@link #credentialExpiresAtMs()} of a credential that does not expire. */
    long NO_EXPIRY = Long.MAX_VALUE;

    /**
     * When the credential used expires, milliseconds since the epoch (a bearer token's {@code exp}); the session
     * ends then at the latest when re-authentication is on (KIP-368). {@link #NO_EXPIRY} for passwords.
     */
    default long credentialExpiresAtMs() {
        return NO_EXPIRY;
    }
}
