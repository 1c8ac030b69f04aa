package io.brook.server.security.sasl;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-connection SASL state machine: what is accepted when, and what each request leads to. */
@Timeout(30)
class SaslAuthenticatorTest {
    private static SaslAuthenticator authenticator() {
        return new SaslAuthenticator(List.of("PLAIN", "SCRAM-SHA-512"), m -> new PlainServer(Map.of("alice", "pw")));
    }

    private static SaslAuthenticateRequestData plain(String user, String password) {
        return new SaslAuthenticateRequestData().setAuthBytes(("\0" + user + "\0" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void handshakeThenPlainAuthenticates() {
        SaslAuthenticator sasl = authenticator();
        assertTrue(sasl.mayPass(ApiKeys.API_VERSIONS));
        assertFalse(sasl.mayPass(ApiKeys.PRODUCE));
        SaslAuthenticator.Respond handshake = assertInstanceOf(SaslAuthenticator.Respond.class,
                sasl.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1));
        assertEquals(Errors.NONE.code(), ((SaslHandshakeResponseData) handshake.response()).errorCode());
        assertFalse(sasl.mayPass(ApiKeys.API_VERSIONS), "only SaslAuthenticate after the handshake");
        SaslAuthenticator.Authenticated done = assertInstanceOf(SaslAuthenticator.Authenticated.class,
                sasl.step(plain("alice", "pw"), (short) 1));
        assertEquals(new KafkaPrincipal("User", "alice"), done.principal());
        assertTrue(sasl.isComplete());
        assertTrue(sasl.mayPass(ApiKeys.PRODUCE));
        assertFalse(sasl.handles(ApiKeys.SASL_HANDSHAKE), "after success the handlers answer ILLEGAL_SASL_STATE");
    }

    @Test
    void wrongPasswordUnsupportedMechanismAndOutOfOrderRequestsFail() {
        SaslAuthenticator wrong = authenticator();
        wrong.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        SaslAuthenticator.Fail fail = assertInstanceOf(SaslAuthenticator.Fail.class, wrong.step(plain("alice", "no"), (short) 1));
        SaslAuthenticateResponseData answer = (SaslAuthenticateResponseData) fail.response();
        assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), answer.errorCode());
        assertEquals(PlainServer.INVALID, answer.errorMessage());
        assertFalse(wrong.isComplete());

        SaslAuthenticator unsupported = authenticator();
        SaslAuthenticator.Fail refused = assertInstanceOf(SaslAuthenticator.Fail.class,
                unsupported.step(new SaslHandshakeRequestData().setMechanism("GSSAPI"), (short) 1));
        SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) refused.response();
        assertEquals(Errors.UNSUPPORTED_SASL_MECHANISM.code(), handshake.errorCode());
        assertEquals(List.of("PLAIN", "SCRAM-SHA-512"), handshake.mechanisms());

        SaslAuthenticator early = authenticator();
        assertEquals(Errors.ILLEGAL_SASL_STATE.code(), ((SaslAuthenticateResponseData) assertInstanceOf(
                SaslAuthenticator.Fail.class, early.step(plain("alice", "pw"), (short) 1)).response()).errorCode());

        SaslAuthenticator twice = authenticator();
        twice.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        assertEquals(Errors.ILLEGAL_SASL_STATE.code(), ((SaslHandshakeResponseData) assertInstanceOf(
                SaslAuthenticator.Fail.class, twice.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1))
                .response()).errorCode());

        SaslAuthenticator produce = authenticator();
        assertInstanceOf(SaslAuthenticator.Close.class, produce.refuse(ApiKeys.PRODUCE));
        assertInstanceOf(SaslAuthenticator.Close.class, produce.step(new ApiVersionsRequestData(), (short) 1));
    }

    @Test
    void reauthenticationKeepsTheMechanismAndThePrincipal() {
        SaslAuthenticator sasl = new SaslAuthenticator(List.of("PLAIN"),
                m -> new PlainServer(Map.of("alice", "pw", "bob", "pw")), 5000);
        assertFalse(sasl.handles(ApiKeys.SASL_HANDSHAKE) && sasl.isComplete());
        sasl.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        SaslAuthenticator.Authenticated first = assertInstanceOf(SaslAuthenticator.Authenticated.class,
                sasl.step(plain("alice", "pw"), (short) 1));
        assertEquals(5000, ((SaslAuthenticateResponseData) first.response()).sessionLifetimeMs());
        assertTrue(sasl.handles(ApiKeys.SASL_HANDSHAKE), "a handshake after success re-authenticates");
        assertFalse(sasl.handles(ApiKeys.SASL_AUTHENTICATE));
        sasl.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        assertFalse(sasl.mayPass(ApiKeys.PRODUCE), "nothing else while re-authenticating");
        assertInstanceOf(SaslAuthenticator.Authenticated.class, sasl.step(plain("alice", "pw"), (short) 1));
        sasl.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        SaslAuthenticator.Fail other = assertInstanceOf(SaslAuthenticator.Fail.class,
                sasl.step(plain("bob", "pw"), (short) 1));
        assertTrue(((SaslAuthenticateResponseData) other.response()).errorMessage()
                .contains("Cannot change principals during re-authentication"));

        SaslAuthenticator none = authenticator();
        none.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        assertEquals(0, ((SaslAuthenticateResponseData) assertInstanceOf(SaslAuthenticator.Authenticated.class,
                none.step(plain("alice", "pw"), (short) 1)).response()).sessionLifetimeMs());
        assertFalse(none.handles(ApiKeys.SASL_HANDSHAKE), "without connections.max.reauth.ms: ILLEGAL_SASL_STATE");
    }

    @Test
    void afterAHandshakeV0TheTokensAreBare() {
        SaslAuthenticator sasl = authenticator();
        sasl.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 0);
        assertTrue(sasl.expectsRawTokens());
        SaslAuthenticator.RawAnswer answer = assertInstanceOf(SaslAuthenticator.RawAnswer.class,
                sasl.rawToken("\0alice\0pw".getBytes(StandardCharsets.UTF_8)));
        assertEquals(new KafkaPrincipal("User", "alice"), answer.principal());
        assertFalse(sasl.expectsRawTokens());
        assertTrue(sasl.isComplete());

        SaslAuthenticator wrong = authenticator();
        wrong.step(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 0);
        assertInstanceOf(SaslAuthenticator.Fail.class, wrong.rawToken("\0alice\0no".getBytes(StandardCharsets.UTF_8)));
        assertFalse(wrong.isComplete());
    }

    @Test
    void plainChecksTheTokensShape() {
        PlainServer plain = new PlainServer(Map.of("alice", "pw"));
        for (String token : List.of("alice", "\0alice", "\0\0pw", "\0alice\0", "bob\0alice\0pw", "\0alice\0pw\0x")) {
            org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.errors.SaslAuthenticationException.class,
                    () -> new PlainServer(Map.of("alice", "pw")).evaluate(token.getBytes(StandardCharsets.UTF_8)),
                    token.replace('\0', '|'));
        }
        plain.evaluate("alice\0alice\0pw".getBytes(StandardCharsets.UTF_8));
        assertEquals("alice", plain.user());
    }
}
