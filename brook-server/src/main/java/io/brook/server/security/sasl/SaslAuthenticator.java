package io.brook.server.security.sasl;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The SASL state of one connection on a SASL listener, before it has authenticated (KIP-152 framing):
 * which requests it may send and what each does. Pure: no sockets, no clock; the network layer applies the
 * {@link Step} it returns (answer, answer and close after the failed-authentication delay, or close).
 *
 * <ul>
 *   <li>Before the handshake only ApiVersions ({@link #mayPass}) and SaslHandshake are accepted. A handshake
 *       naming an enabled mechanism moves on to SaslAuthenticate; any other gets UNSUPPORTED_SASL_MECHANISM
 *       with the enabled list, and the connection is closed (as Kafka does).</li>
 *   <li>Then only SaslAuthenticate: each token goes to the mechanism's server; a failure is answered with
 *       SASL_AUTHENTICATION_FAILED and its message, then the connection is closed; success sets the principal
 *       {@code User:<name>}.</li>
 *   <li>A SaslAuthenticate before the handshake, or a second handshake, is ILLEGAL_SASL_STATE and closes;
 *       any other request before success closes the connection without an answer, as Kafka does.</li>
 * </ul>
 * After success the connection is served as any other. With {@code connections.max.reauth.ms} (KIP-368) the
 * SaslAuthenticate answer (v1+) tells the session lifetime and a new SaslHandshake re-authenticates: same
 * mechanism, same principal, else the connection fails; the network layer closes a connection whose session
 * expired when it sends anything but that handshake. Without it, SaslHandshake and SaslAuthenticate after
 * success are answered by their handlers with ILLEGAL_SASL_STATE.
 *
 * <p>Thread-safety: not thread-safe; a connection handles one request at a time, and each hand-over between
 * threads (event loop, request handler) is a happens-before edge. Only {@link #isComplete} may be called
 * concurrently with a step (the state is volatile).
 */
public final class SaslAuthenticator {
    /** What the network layer does with a request. */
    public sealed interface Step {
    }

    /** Answer with {@code response}; the exchange goes on. */
    public record Respond(ApiMessage response) implements Step {
    }

    /** Answer with {@code response}: the connection is authenticated as {@code principal}. */
    public record Authenticated(ApiMessage response, KafkaPrincipal principal) implements Step {
    }

    /**
     * The client failed: answer with {@code response} after the failed-authentication delay, then close.
     * {@code reason} is for the server's log.
     */
    public record Fail(ApiMessage response, String reason) implements Step {
    }

    /**
     * The answer to a token of the unframed exchange that follows a SaslHandshake v0: the bytes alone, size
     * prefixed; {@code principal} is set when the exchange has succeeded with it.
     */
    public record RawAnswer(byte[] token, KafkaPrincipal principal) implements Step {
    }

    /** Close the connection without an answer; {@code reason} is for the server's log. */
    public record Close(String reason) implements Step {
    }

    private enum State { HANDSHAKE, AUTHENTICATE, COMPLETE, FAILED }

    private final List<String> enabledMechanisms;
    private final Function<String, SaslMechanismServer> servers;
    /** {@code connections.max.reauth.ms}: the session lifetime told to clients; 0 for no re-authentication. */
    private final long reauthenticationMs;
    private final LongSupplier clockMs;
    /** The lifetime of the session the last success began (see {@link #sessionLifetimeMs()}). */
    private long sessionLifetimeMs;
    /** The principal of the first successful exchange (null before): a re-authentication must keep it. */
    private KafkaPrincipal principal;
    /** Volatile: the authentication deadline reads {@link #isComplete} on the event loop while a step may run. */
    private volatile State state = State.HANDSHAKE;
    private SaslMechanismServer server;
    /** After a SaslHandshake v0: the tokens come as bare size-prefixed frames, not SaslAuthenticate requests. */
    private boolean unframed;

    /**
     * @param enabledMechanisms the listener's mechanisms, in the order it lists them
     * @param servers           a new server for an enabled mechanism
     */
    public SaslAuthenticator(List<String> enabledMechanisms, Function<String, SaslMechanismServer> servers) {
        this(enabledMechanisms, servers, 0);
    }

    /**
     * @param reauthenticationMs {@code connections.max.reauth.ms} (KIP-368): above 0, clients are told this
     *                           session lifetime and may re-authenticate (same mechanism, same principal) on the
     *                           connection with a new SaslHandshake
     */
    public SaslAuthenticator(List<String> enabledMechanisms, Function<String, SaslMechanismServer> servers,
                             long reauthenticationMs) {
        this(enabledMechanisms, servers, reauthenticationMs, System::currentTimeMillis);
    }

    /** @param clockMs the wall clock (a credential's expiry is absolute), milliseconds since the epoch */
    public SaslAuthenticator(List<String> enabledMechanisms, Function<String, SaslMechanismServer> servers,
                             long reauthenticationMs, LongSupplier clockMs) {
        this.enabledMechanisms = List.copyOf(enabledMechanisms);
        this.servers = servers;
        this.reauthenticationMs = reauthenticationMs;
        this.clockMs = clockMs;
        this.sessionLifetimeMs = reauthenticationMs;
    }

    /**
     * The session lifetime after a success, 0 when sessions do not expire: {@code connections.max.reauth.ms}, or
     * less when the credential (a bearer token) expires before that, as Kafka (KIP-368).
     */
    public long sessionLifetimeMs() {
        return sessionLifetimeMs;
    }

    /** Whether the connection has authenticated. */
    public boolean isComplete() {
        return state == State.COMPLETE;
    }

    /** Whether {@code api} goes to its handler as usual: any once authenticated, else only ApiVersions before the handshake. */
    public boolean mayPass(ApiKeys api) {
        return state == State.COMPLETE || (state == State.HANDSHAKE && api == ApiKeys.API_VERSIONS);
    }

    /** Whether {@code api} is one this authenticator handles now ({@link #step}). */
    public boolean handles(ApiKeys api) {
        if (state == State.COMPLETE) { // a SaslHandshake then starts a re-authentication (KIP-368)
            return reauthenticationMs > 0 && api == ApiKeys.SASL_HANDSHAKE;
        }
        return api == ApiKeys.SASL_HANDSHAKE || api == ApiKeys.SASL_AUTHENTICATE;
    }

    /** The step for a request the connection may not send now (neither {@link #mayPass} nor {@link #handles}). */
    public Step refuse(ApiKeys api) {
        state = State.FAILED;
        return new Close("a " + api + " request before authenticating on a SASL listener");
    }

    /** Whether the next frame is a bare token (the exchange after a SaslHandshake v0), not a request. */
    public boolean expectsRawTokens() {
        return unframed && state == State.AUTHENTICATE;
    }

    /**
     * A bare token after a SaslHandshake v0: the mechanism's answer as a {@link RawAnswer}, or, on failure,
     * a {@link Fail} without a response (the unframed exchange has no way to carry an error; Kafka closes too).
     */
    public Step rawToken(byte[] token) {
        try {
            byte[] answer = server.evaluate(token);
            if (!server.isComplete()) {
                return new RawAnswer(answer, null);
            }
            state = State.COMPLETE;
            sessionLifetimeMs = sessionLifetime(server.credentialExpiresAtMs());
            return new RawAnswer(answer, new KafkaPrincipal(KafkaPrincipal.USER_TYPE, server.user()));
        } catch (SaslAuthenticationException e) {
            state = State.FAILED;
            return new Fail(null, server.mechanism() + " authentication failed: " + e.getMessage());
        }
    }

    /** The mechanism the client chose, or null before its handshake named an enabled one. */
    public String mechanism() {
        return server == null ? null : server.mechanism();
    }

    /** The user name the client claimed in its exchange (verified or not), or null before it named one. */
    public String claimedUser() {
        return server == null ? null : server.claimedUser();
    }

    /** Handles a SaslHandshake or SaslAuthenticate request of {@code version}. */
    public Step step(ApiMessage request, short version) {
        if (request instanceof SaslHandshakeRequestData handshake) {
            Step step = handshake(handshake);
            unframed = version == 0 && state == State.AUTHENTICATE;
            return step;
        }
        if (request instanceof SaslAuthenticateRequestData authenticate) {
            return authenticate(authenticate, version);
        }
        return refuse(ApiKeys.forId(request.apiKey()));
    }

    private Step handshake(SaslHandshakeRequestData request) {
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(enabledMechanisms);
        boolean reauthentication = state == State.COMPLETE && reauthenticationMs > 0;
        if (state != State.HANDSHAKE && !reauthentication) {
            state = State.FAILED;
            return new Fail(response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code()), "a second SaslHandshake");
        }
        if (reauthentication && !request.mechanism().equals(server.mechanism())) {
            state = State.FAILED;
            return new Fail(response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()), "re-authentication "
                    + "with " + request.mechanism() + " instead of " + server.mechanism());
        }
        if (!enabledMechanisms.contains(request.mechanism())) {
            state = State.FAILED;
            return new Fail(response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()), "the SASL mechanism '"
                    + request.mechanism() + "', which is not enabled (" + String.join(",", enabledMechanisms) + ")");
        }
        server = servers.apply(request.mechanism());
        state = State.AUTHENTICATE;
        return new Respond(response.setErrorCode(Errors.NONE.code()));
    }

    private Step authenticate(SaslAuthenticateRequestData request, short version) {
        SaslAuthenticateResponseData response = new SaslAuthenticateResponseData().setAuthBytes(new byte[0]);
        if (state != State.AUTHENTICATE) {
            state = State.FAILED;
            return new Fail(response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code()).setErrorMessage(
                    "Unexpected SaslAuthenticate request before a SaslHandshake"), "SaslAuthenticate before SaslHandshake");
        }
        byte[] answer;
        try {
            answer = server.evaluate(request.authBytes());
        } catch (SaslAuthenticationException e) {
            state = State.FAILED;
            return new Fail(response.setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code())
                    .setErrorMessage(e.getMessage()), server.mechanism() + " authentication failed: " + e.getMessage());
        }
        response.setAuthBytes(answer);
        if (!server.isComplete()) {
            return new Respond(response);
        }
        KafkaPrincipal authenticated = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, server.user());
        if (principal != null && !principal.equals(authenticated)) {
            state = State.FAILED;
            String message = "Cannot change principals during re-authentication from " + principal + ": "
                    + authenticated;
            return new Fail(response.setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(message)
                    .setAuthBytes(new byte[0]), message);
        }
        principal = authenticated;
        state = State.COMPLETE;
        sessionLifetimeMs = sessionLifetime(server.credentialExpiresAtMs());
        if (version >= 1) { // the field exists from v1 on (KIP-368)
            response.setSessionLifetimeMs(sessionLifetimeMs);
        }
        return new Authenticated(response, authenticated);
    }

    /** {@code connections.max.reauth.ms}, cut to what is left of a credential that expires sooner (at least 1 ms). */
    private long sessionLifetime(long credentialExpiresAtMs) {
        if (reauthenticationMs <= 0 || credentialExpiresAtMs == SaslMechanismServer.NO_EXPIRY) {
            return reauthenticationMs;
        }
        return Math.max(1, Math.min(reauthenticationMs, credentialExpiresAtMs - clockMs.getAsLong()));
    }
}
