package io.brook.server.security.sasl;

import io.brook.server.security.oauth.Tokens;
import io.brook.server.security.oauth.UnsecuredTokenValidator;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OAUTHBEARER's exchange (RFC 7628) over unsecured tokens, and the session lifetime a token's expiry gives. */
@Timeout(30)
class OAuthBearerServerTest {
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long NOW_S = NOW_MS / 1000;

    private static OAuthBearerServer server(String... requiredScope) {
        return new OAuthBearerServer(new UnsecuredTokenValidator("sub", "scope", Set.of(requiredScope), 0),
                () -> NOW_MS);
    }

    private static byte[] message(String gs2, String token, String... extensions) {
        StringBuilder m = new StringBuilder(gs2).append('\u0001');
        for (String e : extensions) {
            m.append(e).append('\u0001');
        }
        m.append("auth=Bearer ").append(token).append('\u0001').append('\u0001');
        return m.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String token(String sub, long expSeconds, String scope) {
        return Tokens.unsecured("{\"sub\":\"" + sub + "\",\"iat\":" + (NOW_S - 10) + ",\"exp\":" + expSeconds
                + (scope == null ? "" : ",\"scope\":\"" + scope + "\"") + "}");
    }

    @Test
    void aValidUnsecuredTokenAuthenticatesItsSubjectUntilItsExpiry() {
        OAuthBearerServer server = server();
        assertArrayEquals(new byte[0], server.evaluate(message("n,,", token("alice", NOW_S + 60, null),
                "traceId=abc")));
        assertTrue(server.isComplete());
        assertEquals("alice", server.user());
        assertEquals((NOW_S + 60) * 1000, server.credentialExpiresAtMs());
        // the GS2 header may name the same principal
        OAuthBearerServer named = server();
        named.evaluate(message("n,a=alice,", token("alice", NOW_S + 60, null)));
        assertEquals("alice", named.user());
    }

    @Test
    void aRefusedTokenGetsTheErrorAnswerThenFailsWithTheReasonOnTheAcknowledgement() {
        OAuthBearerServer server = server();
        byte[] answer = server.evaluate(message("n,,", token("alice", NOW_S - 5, null)));
        assertEquals(OAuthBearerServer.INVALID_TOKEN_ANSWER, new String(answer, StandardCharsets.UTF_8));
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
                () -> server.evaluate(new byte[] {1}));
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
    }

    @Test
    void missingScopeSignedTokensAndForeignPrincipalsAreRefused() {
        OAuthBearerServer scoped = server("produce");
        scoped.evaluate(message("n,,", token("alice", NOW_S + 60, "read")));
        assertTrue(assertThrows(SaslAuthenticationException.class, () -> scoped.evaluate(new byte[] {1}))
                .getMessage().contains("required scope"));
        OAuthBearerServer withScope = server("produce");
        withScope.evaluate(message("n,,", token("alice", NOW_S + 60, "read produce")));
        assertTrue(withScope.isComplete());

        OAuthBearerServer signed = server();
        String rs256 = Tokens.b64("{\"alg\":\"RS256\"}") + "." + Tokens.b64("{\"sub\":\"a\",\"exp\":" + (NOW_S + 60)
                + "}") + ".c2ln";
        signed.evaluate(message("n,,", rs256));
        assertTrue(assertThrows(SaslAuthenticationException.class, () -> signed.evaluate(new byte[] {1}))
                .getMessage().contains("alg none"));

        OAuthBearerServer other = server();
        assertThrows(SaslAuthenticationException.class,
                () -> other.evaluate(message("n,a=bob,", token("alice", NOW_S + 60, null))));
    }

    @Test
    void malformedMessagesAreRefusedAtOnce() {
        for (String bad : List.of("", "y,,\u0001auth=Bearer x\u0001\u0001", "n,,auth=Bearer x\u0001\u0001",
                "n,,\u0001auth=Bearer x\u0001", "n,,\u0001auth=Basic x\u0001\u0001", "n,,\u0001\u0001",
                "n,,\u0001auth=Bearer a b\u0001\u0001", "n,,\u00011=2\u0001auth=Bearer x\u0001\u0001")) {
            assertThrows(SaslAuthenticationException.class,
                    () -> server().evaluate(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void aTokenExpiringBeforeTheReauthenticationIntervalShortensTheSession() {
        SaslAuthenticator sasl = new SaslAuthenticator(List.of("OAUTHBEARER"), m -> server(), 3_600_000,
                () -> NOW_MS);
        sasl.step(new SaslHandshakeRequestData().setMechanism("OAUTHBEARER"), (short) 1);
        SaslAuthenticator.Authenticated done = assertInstanceOf(SaslAuthenticator.Authenticated.class,
                sasl.step(new SaslAuthenticateRequestData().setAuthBytes(message("n,,",
                        token("alice", NOW_S + 90, null))), (short) 2));
        assertEquals(90_000, ((SaslAuthenticateResponseData) done.response()).sessionLifetimeMs());
        assertEquals(90_000, sasl.sessionLifetimeMs());
        assertEquals("User:alice", done.principal().toString());

        // without re-authentication the session does not end with the token, as Kafka
        SaslAuthenticator noReauth = new SaslAuthenticator(List.of("OAUTHBEARER"), m -> server(), 0, () -> NOW_MS);
        noReauth.step(new SaslHandshakeRequestData().setMechanism("OAUTHBEARER"), (short) 1);
        noReauth.step(new SaslAuthenticateRequestData().setAuthBytes(message("n,,",
                token("alice", NOW_S + 90, null))), (short) 2);
        assertEquals(0, noReauth.sessionLifetimeMs());

        // a refused token: the error answer, then SASL_AUTHENTICATION_FAILED with the reason
        SaslAuthenticator refused = new SaslAuthenticator(List.of("OAUTHBEARER"), m -> server(), 0, () -> NOW_MS);
        refused.step(new SaslHandshakeRequestData().setMechanism("OAUTHBEARER"), (short) 1);
        assertInstanceOf(SaslAuthenticator.Respond.class, refused.step(new SaslAuthenticateRequestData()
                .setAuthBytes(message("n,,", token("alice", NOW_S - 100, null))), (short) 2));
        SaslAuthenticator.Fail fail = assertInstanceOf(SaslAuthenticator.Fail.class,
                refused.step(new SaslAuthenticateRequestData().setAuthBytes(new byte[] {1}), (short) 2));
        SaslAuthenticateResponseData response = (SaslAuthenticateResponseData) fail.response();
        assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), response.errorCode());
        assertTrue(response.errorMessage().contains("expired"), response.errorMessage());
    }
}
