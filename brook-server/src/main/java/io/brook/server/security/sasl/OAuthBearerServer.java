package io.brook.server.security.sasl;

import io.brook.server.security.oauth.InvalidTokenException;
import io.brook.server.security.oauth.TokenValidator;
import io.brook.server.security.oauth.ValidatedToken;
import org.apache.kafka.common.errors.SaslAuthenticationException;

import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * SASL OAUTHBEARER (RFC 7628) as Kafka serves it: the client's one message is a GS2 header, then
 * {@code auth=Bearer <token>} and optional extensions, each ended by {@code 0x01}. A token the listener's
 * {@link TokenValidator} accepts completes the exchange as the token's principal, until the token expires. A refused
 * token gets RFC 7628's error answer ({@code {"status":"invalid_token"}}); the client acknowledges it with a lone
 * {@code 0x01}, and the exchange then fails with the reason the token was refused.
 */
public final class OAuthBearerServer implements SaslMechanismServer {
    public static final String MECHANISM = "OAUTHBEARER";
    /** RFC 7628's key-value separator. */
    static final char SEPARATOR = '\u0001';
    static final String INVALID_TOKEN_ANSWER = "{\"status\":\"invalid_token\"}";
    /** An extension or the auth key: RFC 7628's key and value grammar. */
    private static final Pattern KEY = Pattern.compile("[A-Za-z]+");
    private static final Pattern VALUE = Pattern.compile("[\\x21-\\x7E \\t\\r\\n]*");
    /** RFC 6750's b64token. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

    private final TokenValidator validator;
    private final LongSupplier clockMs;
    private ValidatedToken accepted;
    private String refusal;

    /** @param clockMs the wall clock, milliseconds since the epoch (tokens carry absolute times) */
    public OAuthBearerServer(TokenValidator validator, LongSupplier clockMs) {
        this.validator = validator;
        this.clockMs = clockMs;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public byte[] evaluate(byte[] response) {
        String message = new String(response, StandardCharsets.UTF_8);
        if (refusal != null) { // the client's acknowledgement of the error answer
            if (!message.equals(String.valueOf(SEPARATOR))) {
                throw new SaslAuthenticationException("Authentication failed: expected the client's acknowledgement "
                        + "of the refusal (" + refusal + ")");
            }
            throw new SaslAuthenticationException("Authentication failed: " + refusal);
        }
        if (accepted != null) {
            throw new SaslAuthenticationException("Authentication failed: OAUTHBEARER takes one message");
        }
        ClientMessage parsed = ClientMessage.parse(message);
        ValidatedToken token;
        try {
            token = validator.validate(parsed.token(), clockMs.getAsLong());
        } catch (InvalidTokenException e) {
            refusal = "invalid token: " + e.getMessage();
            return INVALID_TOKEN_ANSWER.getBytes(StandardCharsets.UTF_8);
        }
        if (!parsed.authorizationId().isEmpty() && !parsed.authorizationId().equals(token.principal())) {
            throw new SaslAuthenticationException("Authentication failed: the authorization id "
                    + parsed.authorizationId() + " is not the token's principal " + token.principal());
        }
        accepted = token;
        return new byte[0];
    }

    @Override
    public boolean isComplete() {
        return accepted != null;
    }

    @Override
    public String user() {
        return accepted.principal();
    }

    @Override
    public long credentialExpiresAtMs() {
        return accepted == null ? NO_EXPIRY : accepted.expiresAtMs();
    }

    /** The client's first message, parsed: the authorization id of its GS2 header (may be empty) and its token. */
    record ClientMessage(String authorizationId, String token) {

        static ClientMessage parse(String message) {
            if (!message.startsWith("n,")) {
                throw malformed("it does not start with the GS2 header n,");
            }
            int headerEnd = message.indexOf(',', 2);
            if (headerEnd < 0) {
                throw malformed("its GS2 header is not closed by ','");
            }
            String authzid = message.substring(2, headerEnd);
            if (!authzid.isEmpty()) {
                if (!authzid.startsWith("a=")) {
                    throw malformed("its GS2 header's authorization id is not a=<name>");
                }
                authzid = authzid.substring(2);
            }
            String rest = message.substring(headerEnd + 1);
            if (rest.length() < 2 || rest.charAt(0) != SEPARATOR || !rest.endsWith("" + SEPARATOR + SEPARATOR)) {
                throw malformed("its key-value pairs are not framed by 0x01");
            }
            String token = null;
            String pairs = rest.substring(1, rest.length() - 1); // each pair ends with 0x01
            for (String pair : pairs.split(String.valueOf(SEPARATOR), -1)) {
                if (pair.isEmpty()) {
                    continue; // after the last pair's separator
                }
                int eq = pair.indexOf('=');
                if (eq <= 0 || !KEY.matcher(pair.substring(0, eq)).matches()
                        || !VALUE.matcher(pair.substring(eq + 1)).matches()) {
                    throw malformed("a key-value pair is not key=value");
                }
                if (pair.substring(0, eq).equals("auth")) {
                    String value = pair.substring(eq + 1);
                    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
                        throw malformed("its auth value is not \"Bearer <token>\"");
                    }
                    token = value.substring(7).trim();
                }
                // other keys are SASL extensions: accepted and not used, as Kafka's validators do by default
            }
            if (token == null || !TOKEN.matcher(token).matches()) {
                throw malformed("it carries no bearer token (auth=Bearer <token>)");
            }
            return new ClientMessage(authzid, token);
        }

        private static SaslAuthenticationException malformed(String why) {
            return new SaslAuthenticationException("Authentication failed: the OAUTHBEARER client message is "
                    + "malformed: " + why);
        }
    }
}
