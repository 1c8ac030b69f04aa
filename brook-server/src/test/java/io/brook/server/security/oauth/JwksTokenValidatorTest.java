package io.brook.server.security.oauth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.security.KeyPair;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signed tokens against a JWKS: signatures, key ids, rotation, issuer, audience and times. */
@Timeout(60)
class JwksTokenValidatorTest {
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long NOW_S = NOW_MS / 1000;
    private static final JwksTokenValidator.Expectations EXPECTED = new JwksTokenValidator.Expectations(
            Set.of("brook"), "https://idp.example", "sub", "scope", 30_000);

    private static String claims(String sub, long exp, String aud, String iss) {
        return "{\"sub\":\"" + sub + "\",\"iat\":" + (NOW_S - 5) + ",\"exp\":" + exp + ",\"aud\":[\"other\",\"" + aud
                + "\"],\"iss\":\"" + iss + "\",\"scope\":\"a b\"}";
    }

    private static String good(String sub) {
        return claims(sub, NOW_S + 300, "brook", "https://idp.example");
    }

    private static String reason(JwksTokenValidator validator, String token) {
        return assertThrows(InvalidTokenException.class, () -> validator.validate(token, NOW_MS)).getMessage();
    }

    @Test
    void rsaAndEcSignedTokensFromTheKeySetAreAccepted() throws Exception {
        KeyPair rsa = Tokens.rsa();
        KeyPair ec = Tokens.ec256();
        JwksTokenValidator validator = new JwksTokenValidator(() -> Tokens.jwks(Tokens.jwk("r1", rsa),
                Tokens.jwk("e1", ec)), "test", EXPECTED, 3_600_000, NOW_MS);
        ValidatedToken byRsa = validator.validate(Tokens.signed("RS256", "r1", rsa.getPrivate(), good("alice")),
                NOW_MS);
        assertEquals("alice", byRsa.principal());
        assertEquals((NOW_S + 300) * 1000, byRsa.expiresAtMs());
        assertEquals(Set.of("a", "b"), byRsa.scope());
        assertEquals("bob", validator.validate(Tokens.signed("ES256", "e1", ec.getPrivate(), good("bob")), NOW_MS)
                .principal());
    }

    @Test
    void wrongKeysClaimsAndAlgorithmsAreRefusedWithTheirReason() throws Exception {
        KeyPair rsa = Tokens.rsa();
        KeyPair stranger = Tokens.rsa();
        JwksTokenValidator validator = new JwksTokenValidator(() -> Tokens.jwks(Tokens.jwk("r1", rsa)), "test",
                EXPECTED, 3_600_000, NOW_MS);
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", stranger.getPrivate(), good("alice")))
                .contains("signature does not verify"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r9", rsa.getPrivate(), good("alice")))
                .contains("key id r9"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", rsa.getPrivate(),
                claims("alice", NOW_S - 60, "brook", "https://idp.example"))).contains("expired"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", rsa.getPrivate(),
                claims("alice", NOW_S + 60, "elsewhere", "https://idp.example"))).contains("audience"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", rsa.getPrivate(),
                claims("alice", NOW_S + 60, "brook", "https://evil.example"))).contains("issuer"));
        assertTrue(reason(validator, Tokens.unsecured(good("alice"))).contains("alg none"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", rsa.getPrivate(),
                "{\"exp\":" + (NOW_S + 60) + ",\"aud\":\"brook\",\"iss\":\"https://idp.example\"}"))
                .contains("sub claim"));
        // within the clock skew an expired token still passes
        assertEquals("alice", validator.validate(Tokens.signed("RS256", "r1", rsa.getPrivate(),
                claims("alice", NOW_S - 3, "brook", "https://idp.example")), NOW_MS).principal());
        assertTrue(reason(validator, "!!.e30.").contains("base64url"));
        assertTrue(reason(validator, "bm90.e30.").contains("JSON"));
        assertTrue(reason(validator, "a.b").contains("compact form"));
        assertTrue(reason(validator, Tokens.signed("RS256", "r1", rsa.getPrivate(),
                claims("alice", 0, "brook", "https://idp.example").replace("\"exp\":0", "\"exp\":1e30")))
                .contains("out of range"));
    }

    @Test
    void anUnknownKeyIdReadsTheKeySetAgainAtMostEveryTenSeconds() throws Exception {
        KeyPair first = Tokens.rsa();
        KeyPair rotated = Tokens.rsa();
        AtomicReference<String> published = new AtomicReference<>(Tokens.jwks(Tokens.jwk("k1", first)));
        AtomicInteger reads = new AtomicInteger();
        JwksTokenValidator validator = new JwksTokenValidator(() -> {
            reads.incrementAndGet();
            return published.get();
        }, "test", EXPECTED, 3_600_000, NOW_MS);
        published.set(Tokens.jwks(Tokens.jwk("k1", first), Tokens.jwk("k2", rotated)));
        String byRotated = Tokens.signed("RS256", "k2", rotated.getPrivate(), good("alice"));
        // right after a read: the unknown id waits for the minimum interval
        assertTrue(reason(validator, byRotated).contains("key id k2"));
        assertEquals(1, reads.get());
        long later = NOW_MS + JwksTokenValidator.MIN_RELOAD_INTERVAL_MS;
        assertEquals("alice", validator.validate(byRotated, later).principal());
        assertEquals(2, reads.get());
        // a failed read keeps the keys read before
        JwksTokenValidator keeping = new JwksTokenValidator(() -> {
            if (reads.incrementAndGet() > 3) {
                throw new IOException("provider down");
            }
            return published.get();
        }, "test", EXPECTED, 1000, NOW_MS);
        assertEquals("alice", keeping.validate(byRotated, NOW_MS + 5000).principal());
    }

    @Test
    void aKeySetWithoutUsableKeysStopsTheStart() {
        assertThrows(IOException.class, () -> new JwksTokenValidator(() -> "{\"keys\":[{\"kty\":\"oct\","
                + "\"k\":\"c2VjcmV0\"}]}", "test", EXPECTED, 1000, NOW_MS));
        assertThrows(IOException.class, () -> new JwksTokenValidator(() -> "{\"keys\":", "test", EXPECTED, 1000,
                NOW_MS));
        assertThrows(IOException.class, () -> new JwksTokenValidator(() -> {
            throw new IOException("no such file");
        }, "test", EXPECTED, 1000, NOW_MS));
    }

    @Test
    void theJsonReaderIsStrict() {
        assertEquals(java.util.Map.of("a", java.util.List.of(new java.math.BigDecimal("1.5e3"), true)),
                JsonReader.parse("{\"a\":[1.5e3,true]}"));
        for (String bad : new String[] {"{\"a\":1,\"a\":2}", "{\"a\":1}x", "[1,]", "{\"a\" 1}", "\"\\q\"",
                "[".repeat(40) + "]".repeat(40), "01", "{\"a\":nul}"}) {
            assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(bad), bad);
        }
    }
}
