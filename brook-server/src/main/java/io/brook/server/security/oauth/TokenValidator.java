package io.brook.server.security.oauth;

/**
 * Decides whether a bearer token (a JWT in compact form) authenticates its holder, as Kafka's OAUTHBEARER
 * server callback handlers do: unsecured tokens for development ({@link UnsecuredTokenValidator}) or tokens signed
 * by a key of a JWKS ({@link JwksTokenValidator}).
 *
 * <p>Thread-safety: implementations are safe for concurrent use by all connections of a listener.
 */
public interface TokenValidator {

    /**
     * The token's principal, expiry and scope.
     *
     * @param nowMs the wall clock, milliseconds since the epoch
     * @throws InvalidTokenException when the token is malformed, expired, not yet valid, wrongly signed or
     *                               missing what the listener requires
     */
    ValidatedToken validate(String token, long nowMs) throws InvalidTokenException;
}
