package io.brook.server.security.sasl;

import io.brook.metadata.scram.ScramCredential;
import io.brook.metadata.scram.ScramFunctions;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SCRAM server against RFC 7677's SCRAM-SHA-256 exchange, and what it must refuse. */
@Timeout(30)
class ScramServerTest {
    // RFC 7677 section 3: user "user", password "pencil"
    private static final byte[] SALT = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    private static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static ScramServer server(String password) {
        ScramCredential credential = ScramFunctions.credential(ScramMechanism.SCRAM_SHA_256, SALT,
                ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_256, password, SALT, 4096), 4096);
        return new ScramServer(ScramMechanism.SCRAM_SHA_256,
                (user, mechanism) -> user.equals("user") && mechanism == ScramMechanism.SCRAM_SHA_256 ? credential
                        : null, () -> SERVER_NONCE);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rfc7677ExchangeSucceedsWithTheRfcsMessages() {
        ScramServer server = server("pencil");
        assertEquals(SERVER_FIRST, new String(server.evaluate(bytes(CLIENT_FIRST)), StandardCharsets.UTF_8));
        assertFalse(server.isComplete());
        assertEquals(SERVER_FINAL, new String(server.evaluate(bytes(CLIENT_FINAL)), StandardCharsets.UTF_8));
        assertTrue(server.isComplete());
        assertEquals("user", server.user());
        assertThrows(SaslAuthenticationException.class, () -> server.evaluate(bytes(CLIENT_FINAL)),
                "the exchange is over");
    }

    @Test
    void aProofForAnotherPasswordFailsWithKafkasMessage() {
        ScramServer server = server("not-pencil");
        server.evaluate(bytes(CLIENT_FIRST));
        SaslAuthenticationException e = assertThrows(SaslAuthenticationException.class,
                () -> server.evaluate(bytes(CLIENT_FINAL)));
        assertEquals(ScramServer.INVALID, e.getMessage());
        assertFalse(server.isComplete());
    }

    @Test
    void unknownUsersTamperedMessagesAndChannelBindingAreRefused() {
        assertEquals(ScramServer.INVALID, assertThrows(SaslAuthenticationException.class,
                () -> server("pencil").evaluate(bytes("n,,n=mallory,r=abc"))).getMessage());
        assertThrows(SaslAuthenticationException.class,
                () -> server("pencil").evaluate(bytes("p=tls-unique,,n=user,r=abc")));
        assertThrows(SaslAuthenticationException.class, () -> server("pencil").evaluate(bytes("garbage")));
        assertThrows(SaslAuthenticationException.class,
                () -> server("pencil").evaluate(bytes("n,a=other,n=user,r=abc")), "another authorization id");

        ScramServer wrongNonce = server("pencil");
        wrongNonce.evaluate(bytes(CLIENT_FIRST));
        assertThrows(SaslAuthenticationException.class, () -> wrongNonce.evaluate(bytes(
                CLIENT_FINAL.replace("k0,p=", "k1,p="))));
        ScramServer truncatedNonce = server("pencil");
        truncatedNonce.evaluate(bytes(CLIENT_FIRST));
        assertThrows(SaslAuthenticationException.class, () -> truncatedNonce.evaluate(bytes(
                CLIENT_FINAL.replace("k0,p=", ",p="))));
        ScramServer wrongBinding = server("pencil");
        wrongBinding.evaluate(bytes(CLIENT_FIRST));
        assertThrows(SaslAuthenticationException.class, () -> wrongBinding.evaluate(bytes(
                CLIENT_FINAL.replace("c=biws", "c=eSws"))));
        ScramServer badBase64 = server("pencil");
        badBase64.evaluate(bytes(CLIENT_FIRST));
        assertThrows(SaslAuthenticationException.class, () -> badBase64.evaluate(bytes(
                CLIENT_FINAL.replace("p=dHz", "p=!!!"))));
    }

    @Test
    void saltedPasswordIsPbkdf2() {
        // RFC 7677's exchange only works if Hi is PBKDF2-HMAC-SHA-256; check it against the JDK's own too
        byte[] ours = ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_512, "pencil", SALT, 4096);
        try {
            javax.crypto.SecretKeyFactory f = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512");
            byte[] jdk = f.generateSecret(new javax.crypto.spec.PBEKeySpec("pencil".toCharArray(), SALT, 4096, 512))
                    .getEncoded();
            assertEquals(Base64.getEncoder().encodeToString(jdk), Base64.getEncoder().encodeToString(ours));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
