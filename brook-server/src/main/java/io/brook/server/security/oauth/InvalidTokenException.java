package io.brook.server.security.oauth;

/**
 * A bearer token that is not accepted; the message says why (never the token itself) and is safe to give the
 * client, as Kafka's validators describe a refused token.
 */
public final class InvalidTokenException extends Exception {
    public InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}
