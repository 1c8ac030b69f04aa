package io.brook.server.security.sasl;

import org.apache.kafka.common.errors.SaslAuthenticationException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * SASL PLAIN (RFC 4616) against a fixed user list: one token {@code [authzid] NUL authcid NUL passwd}, no
 * answer. As Kafka, an authorization id other than the user name is refused, and a wrong user or password
 * gets one message that does not tell which. Passwords are compared in constant time.
 */
public final class PlainServer implements SaslMechanismServer {
    public static final String MECHANISM = "PLAIN";
    static final String INVALID = "Authentication failed: Invalid username or password";

    private final Map<String, String> passwords;
    private String user;
    /** The user name of the token, before it is checked. */
    private String claimed;

    /** @param passwords user name to password (from the listener's JAAS configuration) */
    public PlainServer(Map<String, String> passwords) {
        this.passwords = passwords;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public byte[] evaluate(byte[] token) {
        if (user != null) {
            throw new SaslAuthenticationException("Authentication failed: PLAIN takes one token");
        }
        String message = new String(token, StandardCharsets.UTF_8);
        int first = message.indexOf('\0');
        int second = first < 0 ? -1 : message.indexOf('\0', first + 1);
        if (first < 0 || second < 0 || message.indexOf('\0', second + 1) >= 0) {
            throw new SaslAuthenticationException("Authentication failed: the PLAIN token is not "
                    + "[authzid] NUL username NUL password");
        }
        String authorizationId = message.substring(0, first);
        String username = message.substring(first + 1, second);
        String password = message.substring(second + 1);
        claimed = username.isEmpty() ? null : username;
        if (username.isEmpty()) {
            throw new SaslAuthenticationException("Authentication failed: username not specified");
        }
        if (password.isEmpty()) {
            throw new SaslAuthenticationException("Authentication failed: password not specified");
        }
        if (!authorizationId.isEmpty() && !authorizationId.equals(username)) {
            throw new SaslAuthenticationException("Authentication failed: Client requested an authorization id "
                    + "that is different from username");
        }
        String expected = passwords.get(username);
        // compare with something of the same kind even for an unknown user, so timing tells nothing
        byte[] expectedBytes = (expected == null ? "\0unknown-user" : expected).getBytes(StandardCharsets.UTF_8);
        boolean matches = MessageDigest.isEqual(expectedBytes, password.getBytes(StandardCharsets.UTF_8));
        if (expected == null || !matches) {
            throw new SaslAuthenticationException(INVALID);
        }
        user = username;
        return new byte[0];
    }

    @Override
    public boolean isComplete() {
        return user != null;
    }

    @Override
    public String claimedUser() {
        return claimed;
    }

    @Override
    public String user() {
        return user;
    }
}
