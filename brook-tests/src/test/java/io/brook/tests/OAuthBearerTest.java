package io.brook.tests;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SASL/OAUTHBEARER against one node ({@code bin/brook server}) with four listeners: PLAINTEXT (the super user
 * that sets up topics and ACLs), SASL_PLAINTEXT taking unsecured JWTs (alg "none", Kafka's default validator),
 * SIGNED (SASL_PLAINTEXT) validating RS256/ES256 JWTs against a JWKS file with an expected audience and issuer,
 * and PLAINONLY (SASL_PLAINTEXT with PLAIN only). Clients nobody here wrote (kafka-clients 4.3.1 with its
 * unsecured login and its file token retriever, kcat, kafkajs) authenticate, and the ACLs of
 * {@code allow.everyone.if.no.acl.found=false} apply to {@code User:<sub>}; expired, foreign-signed and
 * mis-addressed tokens are refused with a message saying why while the node keeps serving others; a session
 * lasts until the token expires when that is sooner than {@code connections.max.reauth.ms} (KIP-368).
 * The keys and tokens are made here with the JDK (java.security), so nothing is trusted from a library on the
 * signing side.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OAuthBearerTest {
    static final String LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    static final String AUDIENCE = "brook-oauth-test";
    static final String ISSUER = "https://issuer.brook.test";
    /** connections.max.reauth.ms of the node: longer than any test, so only a token's expiry shortens a session. */
    static final int REAUTH_MS = 600_000;
    /** The lifetime of alice's tokens in the re-authentication test, seconds. */
    static final int SHORT_TOKEN_S = 4;
    /** Kafka's system property listing the OAuth URLs (token files, JWKS) a JVM may read (since Kafka 4.0). */
    static final String ALLOWED_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls";
    /** The topics and groups alice may use (ALL on this prefix); everything else is closed to her. */
    static final String ALICE_PREFIX = "oauth-alice-";
    /** The topics and groups the signed tokens' principals may use. */
    static final String SIGNED_PREFIX = "oauth-signed-";

    @TempDir
    static File dir;
    static BrookFixture brook;
    /** Bootstrap addresses of the SASL listeners. */
    static String unsecured;
    static String signed;
    static String plainOnly;
    static String scoped;
    static KeyPair rsa;
    static KeyPair ec;
    /** A key pair whose public key is not in the JWKS file. */
    static KeyPair foreignRsa;
    /** Token files for FileJwtRetriever, by name, written before any client starts. */
    static final Map<String, String> TOKEN_URLS = new LinkedHashMap<>();
    static String previousAllowedUrls;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        foreignRsa = rsaGenerator.generateKeyPair();
        KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
        ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGenerator.generateKeyPair();
        File jwks = new File(dir, "jwks.json");
        Files.writeString(jwks.toPath(), jwks(), StandardCharsets.UTF_8);
        String jwksUrl = "file://" + jwks.getAbsolutePath();

        long now = System.currentTimeMillis() / 1000;
        writeToken("rsa", signedJwt("RS256", "rsa-1", rsa.getPrivate(),
                claims("svc-rsa", now + 3600, AUDIENCE, ISSUER)));
        writeToken("ec", signedJwt("ES256", "ec-1", ec.getPrivate(), claims("svc-ec", now + 3600, AUDIENCE, ISSUER)));
        Map<String, Object> expired = claims("svc-rsa", now - 600, AUDIENCE, ISSUER);
        expired.put("iat", now - 3600); // issued an hour ago: its expiry is all that is wrong with it
        writeToken("expired", signedJwt("RS256", "rsa-1", rsa.getPrivate(), expired));
        writeToken("foreign-key", signedJwt("RS256", "rsa-1", foreignRsa.getPrivate(),
                claims("svc-rsa", now + 3600, AUDIENCE, ISSUER)));
        writeToken("wrong-audience", signedJwt("RS256", "rsa-1", rsa.getPrivate(),
                claims("svc-rsa", now + 3600, "someone-else", ISSUER)));
        writeToken("wrong-issuer", signedJwt("ES256", "ec-1", ec.getPrivate(),
                claims("svc-ec", now + 3600, AUDIENCE, "https://impostor.test")));
        previousAllowedUrls = System.getProperty(ALLOWED_URLS);
        System.setProperty(ALLOWED_URLS, String.join(",", TOKEN_URLS.values()));

        int unsecuredPort = freePort();
        int signedPort = freePort();
        int plainPort = freePort();
        int scopedPort = freePort();
        unsecured = "localhost:" + unsecuredPort;
        signed = "localhost:" + signedPort;
        plainOnly = "localhost:" + plainPort;
        scoped = "localhost:" + scopedPort;
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "PLAINTEXT://localhost:0,SASL_PLAINTEXT://localhost:" + unsecuredPort
                + ",SIGNED://localhost:" + signedPort + ",PLAINONLY://localhost:" + plainPort
                + ",SCOPED://localhost:" + scopedPort);
        settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                + "SIGNED:SASL_PLAINTEXT,PLAINONLY:SASL_PLAINTEXT,SCOPED:SASL_PLAINTEXT");
        settings.put("inter.broker.listener.name", "PLAINTEXT");
        // unsecured JWTs: Kafka's default when no server callback handler is set
        settings.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "OAUTHBEARER");
        settings.put("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", LOGIN_MODULE + " required;");
        // signed JWTs checked against the JWKS file
        settings.put("listener.name.signed.sasl.enabled.mechanisms", "OAUTHBEARER");
        settings.put("listener.name.signed.oauthbearer.sasl.jaas.config", LOGIN_MODULE + " required;");
        settings.put("listener.name.signed.oauthbearer.sasl.server.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler");
        settings.put("sasl.oauthbearer.jwks.endpoint.url", jwksUrl);
        settings.put("sasl.oauthbearer.expected.audience", AUDIENCE + ",another-audience");
        settings.put("sasl.oauthbearer.expected.issuer", ISSUER);
        // unsecured JWTs that must carry the scope "produce" (the JAAS options of Kafka's unsecured validator)
        settings.put("listener.name.scoped.sasl.enabled.mechanisms", "OAUTHBEARER");
        settings.put("listener.name.scoped.oauthbearer.sasl.jaas.config", LOGIN_MODULE + " required "
                + "unsecuredValidatorRequiredScope=\"produce\" unsecuredValidatorAllowableClockSkewMs=\"0\";");
        settings.put("listener.name.plainonly.sasl.enabled.mechanisms", "PLAIN");
        settings.put("listener.name.plainonly.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";");
        settings.put("connections.max.reauth.ms", String.valueOf(REAUTH_MS));
        settings.put("authorizer.class.name", AclAuthorizationTest.AUTHORIZER);
        settings.put("super.users", AclAuthorizationTest.ANONYMOUS);
        settings.put("allow.everyone.if.no.acl.found", "false");
        // as a Kafka broker, the node's JVM is told which OAuth URL it may read (a node that does not check
        // ignores it)
        File data = new File(dir, "data");
        Files.createDirectories(data.toPath());
        brook = new BrookFixture(data, settings, 0, Map.of("BROOK_JAVA_OPTS",
                "-Xms64m -Xmx1g -XX:+ExitOnOutOfMemoryError -D" + ALLOWED_URLS + "=" + jwksUrl));

        try (Admin admin = brook.admin()) { // PLAINTEXT: the super user
            admin.createTopics(List.of(new NewTopic("oauth-closed", 1, (short) 1),
                    new NewTopic(ALICE_PREFIX + "kcat", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            List<AclBinding> acls = new ArrayList<>();
            for (ResourceType type : List.of(ResourceType.TOPIC, ResourceType.GROUP)) {
                acls.add(allowAll(type, ALICE_PREFIX, "User:alice"));
                acls.add(allowAll(type, SIGNED_PREFIX, "User:svc-rsa"));
                acls.add(allowAll(type, SIGNED_PREFIX, "User:svc-ec"));
            }
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (previousAllowedUrls == null) {
            System.clearProperty(ALLOWED_URLS);
        } else {
            System.setProperty(ALLOWED_URLS, previousAllowedUrls);
        }
        if (brook != null) {
            brook.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static AclBinding allowAll(ResourceType type, String prefix, String principal) {
        return new AclBinding(new ResourcePattern(type, prefix, PatternType.PREFIXED),
                new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW));
    }

    // ---- tokens made here: JWKS, JWS (RS256, ES256) and unsecured JWTs --------------------------------------

    private static String b64url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A JWK's big-endian unsigned integer, {@code length} bytes long (0 keeps it minimal, as n and e are). */
    private static String b64url(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length); // the sign byte
        }
        if (length > bytes.length) {
            byte[] padded = new byte[length];
            System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
            bytes = padded;
        }
        return b64url(bytes);
    }

    private static String jwks() {
        RSAPublicKey rsaKey = (RSAPublicKey) rsa.getPublic();
        ECPublicKey ecKey = (ECPublicKey) ec.getPublic();
        return "{\"keys\":["
                + "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\""
                + b64url(rsaKey.getModulus(), 0) + "\",\"e\":\"" + b64url(rsaKey.getPublicExponent(), 0) + "\"},"
                + "{\"kty\":\"EC\",\"kid\":\"ec-1\",\"use\":\"sig\",\"alg\":\"ES256\",\"crv\":\"P-256\",\"x\":\""
                + b64url(ecKey.getW().getAffineX(), 32) + "\",\"y\":\"" + b64url(ecKey.getW().getAffineY(), 32)
                + "\"}]}";
    }

    /** A key set of one RS256 key, {@code kid}. */
    static String rsaJwks(String kid, RSAPublicKey key) {
        return "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\""
                + b64url(key.getModulus(), 0) + "\",\"e\":\"" + b64url(key.getPublicExponent(), 0) + "\"}]}";
    }

    /** The claims of a token: sub, iat (now), exp (epoch seconds), aud, iss and a scope; null ones are left out. */
    static Map<String, Object> claims(String sub, long exp, String audience, String issuer) {
        Map<String, Object> claims = new LinkedHashMap<>();
        if (sub != null) {
            claims.put("sub", sub);
        }
        claims.put("iat", System.currentTimeMillis() / 1000);
        claims.put("exp", exp);
        if (audience != null) {
            claims.put("aud", audience);
        }
        if (issuer != null) {
            claims.put("iss", issuer);
        }
        claims.put("scope", "kafka");
        return claims;
    }

    /** A flat JSON object of strings and numbers. */
    private static String json(Map<String, Object> fields) {
        StringBuilder out = new StringBuilder("{");
        fields.forEach((name, value) -> {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"').append(name).append("\":");
            out.append(value instanceof Number ? value.toString() : "\"" + value + "\"");
        });
        return out.append('}').toString();
    }

    private static String encoded(Map<String, Object> fields) {
        return b64url(json(fields).getBytes(StandardCharsets.UTF_8));
    }

    /** An unsecured JWT (RFC 7519 section 6): header {"alg":"none"}, the claims, an empty signature. */
    static String unsecuredJwt(Map<String, Object> claims) {
        return encoded(Map.of("alg", "none")) + "." + encoded(claims) + ".";
    }

    /** A JWS in compact form, signed with the JDK: RS256 (RSASSA-PKCS1-v1_5) or ES256 (raw R||S, RFC 7518). */
    static String signedJwt(String alg, String kid, PrivateKey key, Map<String, Object> claims)
            throws GeneralSecurityException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", alg);
        header.put("typ", "JWT");
        header.put("kid", kid);
        String input = encoded(header) + "." + encoded(claims);
        Signature signer = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSA");
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        byte[] signature = signer.sign();
        if (alg.equals("ES256")) {
            signature = rawEcdsa(signature, 32);
            // the conversion is checked against the JDK's own raw (IEEE P1363) format
            Signature check = Signature.getInstance("SHA256withECDSAinP1363Format");
            check.initVerify(ec.getPublic());
            check.update(input.getBytes(StandardCharsets.US_ASCII));
            if (!check.verify(signature)) {
                throw new AssertionError("the ES256 signature did not convert to R||S");
            }
        }
        return input + "." + b64url(signature);
    }

    /**
     * The DER ECDSA signature {@code SEQUENCE { INTEGER r, INTEGER s }} as JWS wants it: r and s as unsigned
     * big-endian integers of {@code half} bytes each, concatenated.
     */
    static byte[] rawEcdsa(byte[] der, int half) {
        if (der[0] != 0x30) {
            throw new IllegalArgumentException("not a DER sequence");
        }
        int at = (der[1] & 0x80) == 0 ? 2 : 2 + (der[1] & 0x7f); // short or long form length
        byte[] raw = new byte[2 * half];
        for (int i = 0; i < 2; i++) {
            if (der[at] != 0x02) {
                throw new IllegalArgumentException("not a DER integer at " + at);
            }
            int length = der[at + 1];
            int start = at + 2;
            int from = start;
            int size = length;
            while (size > half && der[from] == 0) { // the sign byte of a high-bit value
                from++;
                size--;
            }
            if (size > half) {
                throw new IllegalArgumentException("an integer of " + size + " bytes");
            }
            System.arraycopy(der, from, raw, i * half + half - size, size);
            at = start + length;
        }
        return raw;
    }

    private static void writeToken(String name, String token) throws IOException {
        File file = new File(dir, name + ".jwt");
        Files.writeString(file.toPath(), token + "\n", StandardCharsets.UTF_8);
        TOKEN_URLS.put(name, "file://" + file.getAbsolutePath());
    }

    // ---- clients ---------------------------------------------------------------------------------------------

    /** A Java client logging in with Kafka's unsecured JWT login (OAuthBearerUnsecuredLoginCallbackHandler). */
    static Map<String, Object> unsecuredClient(String bootstrap, String sub) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, LOGIN_MODULE + " required unsecuredLoginStringClaim_sub=\"" + sub
                + "\";");
        return props;
    }

    /** A Java client reading its token from one of the files written at start (Kafka's FileJwtRetriever). */
    static Map<String, Object> fileTokenClient(String bootstrap, String token) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, LOGIN_MODULE + " required;");
        props.put(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        props.put(SaslConfigs.SASL_OAUTHBEARER_JWT_RETRIEVER_CLASS,
                "org.apache.kafka.common.security.oauthbearer.FileJwtRetriever");
        props.put(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, TOKEN_URLS.get(token));
        return props;
    }

    /** Produces {@code count} records to a new topic and reads them back in a group of the topic's name. */
    private static void roundTrip(String topic, Map<String, Object> props, int count) throws Exception {
        SaslTest.roundTrip(brook, topic, topic, props, count);
    }

    /** The exception a client with {@code props} fails with when it first talks to the node. */
    private static Throwable firstCallFails(Map<String, Object> props) {
        try (Admin admin = SaslTest.admin(props)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
            return e.getCause();
        }
    }

    private static void assertRefusedSaying(String token, String... anyOf) {
        Throwable cause = firstCallFails(fileTokenClient(signed, token));
        SaslAuthenticationException refused = assertInstanceOf(SaslAuthenticationException.class, cause,
                "the " + token + " token");
        String message = String.valueOf(refused.getMessage()).toLowerCase(Locale.ROOT);
        assertTrue(Arrays.stream(anyOf).anyMatch(message::contains),
                "the refusal of the " + token + " token says why (" + String.join(" or ", anyOf) + "): "
                        + refused.getMessage());
    }

    private static void assertServed(Map<String, Object> props) throws Exception {
        try (Admin admin = SaslTest.admin(props)) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
    }

    /** One record from a plain (not idempotent) producer: only the topic's authorization is in question. */
    private static void produce(Map<String, Object> props, String topic) throws Exception {
        Map<String, Object> producerProps = new HashMap<>(props);
        producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(producerProps)) {
            producer.send(new ProducerRecord<>(topic, "x".getBytes())).get(30, TimeUnit.SECONDS);
        }
    }

    // ---- tests -----------------------------------------------------------------------------------------------

    @Test
    @Compat({"Java 4.3.1: SASL_PLAINTEXT OAUTHBEARER (unsecured JWT)",
            "Java 4.3.1: OAUTHBEARER token sub is the ACL principal"})
    void javaClientsWithUnsecuredTokensActAsTheirSub() throws Exception {
        Map<String, Object> alice = unsecuredClient(unsecured, "alice");
        roundTrip(ALICE_PREFIX + "java", alice, 5);
        // the principal is User:alice, not the super user nor anyone else: a topic without an ACL for her is closed
        ExecutionException closed = assertThrows(ExecutionException.class, () -> produce(alice, "oauth-closed"));
        assertInstanceOf(TopicAuthorizationException.class, closed.getCause());
        // and the same client with another sub may not use alice's topic
        ExecutionException mallory = assertThrows(ExecutionException.class,
                () -> produce(unsecuredClient(unsecured, "mallory"), ALICE_PREFIX + "java"));
        assertInstanceOf(TopicAuthorizationException.class, mallory.getCause());
    }

    /** unsecuredValidatorRequiredScope: a token without the scope is refused on that listener only. */
    @Test
    void aListenerRequiringAScopeRefusesTokensWithoutIt() throws Exception {
        Map<String, Object> withScope = unsecuredClient(scoped, "alice");
        withScope.put(SaslConfigs.SASL_JAAS_CONFIG, LOGIN_MODULE + " required unsecuredLoginStringClaim_sub=\"alice\" "
                + "unsecuredLoginListClaim_scope=\",consume,produce\";");
        assertServed(withScope);
        Throwable refused = firstCallFails(unsecuredClient(scoped, "alice"));
        assertInstanceOf(SaslAuthenticationException.class, refused);
        assertTrue(String.valueOf(refused.getMessage()).toLowerCase(Locale.ROOT).contains("scope"),
                "the refusal names the scope: " + refused.getMessage());
        assertServed(unsecuredClient(unsecured, "alice"));
    }

    @Test
    @Compat({"Java 4.3.1: SASL_PLAINTEXT OAUTHBEARER (JWT signed RS256, ES256; JWKS)"})
    void javaClientsWithSignedTokensRoundTrip() throws Exception {
        roundTrip(SIGNED_PREFIX + "rsa", fileTokenClient(signed, "rsa"), 5);
        roundTrip(SIGNED_PREFIX + "ec", fileTokenClient(signed, "ec"), 5);
        // each token's principal is its own sub, whose ACLs do not reach alice's topics
        ExecutionException notAlice = assertThrows(ExecutionException.class,
                () -> produce(fileTokenClient(signed, "ec"), ALICE_PREFIX + "java-ec"));
        assertInstanceOf(TopicAuthorizationException.class, notAlice.getCause());
    }

    @Test
    @Compat({"Java 4.3.1: OAUTHBEARER invalid tokens refused"})
    void badTokensAreRefusedSayingWhyAndTheNodeServesOthers() throws Exception {
        assertRefusedSaying("expired", "expir");
        assertRefusedSaying("foreign-key", "signature");
        assertRefusedSaying("wrong-audience", "audience", "aud");
        assertRefusedSaying("wrong-issuer", "issuer", "iss");
        assertServed(fileTokenClient(signed, "rsa"));
        assertServed(unsecuredClient(unsecured, "alice"));
        // a listener without OAUTHBEARER: the client learns the mechanism is not enabled there
        assertInstanceOf(UnsupportedSaslMechanismException.class,
                firstCallFails(unsecuredClient(plainOnly, "alice")));
        // tokens the Java client will not send (it checks its own token for a sub and three sections) go raw:
        // a signed token without a sub, and an unsigned one on the signed listener (the unsecured one takes it)
        long now = System.currentTimeMillis() / 1000;
        assertRawRefusedSaying(signedJwt("RS256", "rsa-1", rsa.getPrivate(), claims(null, now + 3600, AUDIENCE,
                ISSUER)), "sub");
        String unsigned = unsecuredJwt(claims("svc-rsa", now + 3600, AUDIENCE, ISSUER));
        assertRawRefusedSaying(unsigned, "alg", "sign", "none");
        try (RawConnection raw = new RawConnection(unsecured)) {
            assertEquals(Errors.NONE.code(), authenticate(raw, unsigned).errorCode(), "the unsecured listener");
        }
        assertServed(fileTokenClient(signed, "ec"));
    }

    private static void assertRawRefusedSaying(String token, String... anyOf) throws IOException {
        try (RawConnection raw = new RawConnection(signed)) {
            SaslAuthenticateResponseData refused = authenticate(raw, token);
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), refused.errorCode(), refused.errorMessage());
            String message = String.valueOf(refused.errorMessage()).toLowerCase(Locale.ROOT);
            assertTrue(Arrays.stream(anyOf).anyMatch(message::contains),
                    "the refusal says why (" + String.join(" or ", anyOf) + "): " + refused.errorMessage());
        }
    }

    /**
     * OAUTHBEARER over a bare connection (RFC 7628's client first message in a SaslAuthenticate). A refused token
     * gets either the failure at once or, as Kafka answers, an error challenge that the client acknowledges with
     * %x01 before the failure: both end in the returned response.
     */
    private static SaslAuthenticateResponseData authenticate(RawConnection raw, String token) throws IOException {
        SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) raw.call(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism("OAUTHBEARER"));
        assertEquals(Errors.NONE.code(), handshake.errorCode(), "OAUTHBEARER is enabled: " + handshake.mechanisms());
        SaslAuthenticateResponseData response = (SaslAuthenticateResponseData) raw.call(ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(("n,,\u0001auth=Bearer " + token
                        + "\u0001\u0001").getBytes(StandardCharsets.UTF_8)));
        if (response.errorCode() == Errors.NONE.code() && response.authBytes().length > 0) {
            // an error challenge ({"status":"invalid_token",...}); the client's answer is a lone %x01
            response = (SaslAuthenticateResponseData) raw.call(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                    new SaslAuthenticateRequestData().setAuthBytes(new byte[] {1}));
        }
        return response;
    }

    /** KIP-368: the session ends with the token when it expires before connections.max.reauth.ms. */
    @Test
    void aSessionLastsAsLongAsItsToken() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        try (RawConnection raw = new RawConnection(unsecured)) {
            SaslAuthenticateResponseData longToken = authenticate(raw, unsecuredJwt(claims("alice", now + 3600,
                    null, null)));
            assertEquals(Errors.NONE.code(), longToken.errorCode(), longToken.errorMessage());
            assertEquals(REAUTH_MS, longToken.sessionLifetimeMs(), "connections.max.reauth.ms is the sooner");
        }
        try (RawConnection raw = new RawConnection(unsecured)) {
            long expiresMs = (System.currentTimeMillis() / 1000 + 5) * 1000;
            SaslAuthenticateResponseData shortToken = authenticate(raw, unsecuredJwt(claims("alice", expiresMs / 1000,
                    null, null)));
            assertEquals(Errors.NONE.code(), shortToken.errorCode(), shortToken.errorMessage());
            assertTrue(shortToken.sessionLifetimeMs() > 0 && shortToken.sessionLifetimeMs() <= 5_000,
                    "the token's 5 s at most: " + shortToken.sessionLifetimeMs());
            Thread.sleep(Math.max(0, expiresMs - System.currentTimeMillis()) + 1_000);
            raw.sendBytes(RawConnection.frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"), 99));
            assertTrue(raw.closedByServer(), "a request after the token expired closes the connection");
        }
    }

    /**
     * KIP-368 with a real client: alice's tokens live {@link #SHORT_TOKEN_S} s, far less than
     * connections.max.reauth.ms, so a producer that keeps sending re-authenticates on its connection with its
     * refreshed token (its login renews the token at about 80% of its life) instead of being cut off. Without the
     * token's expiry in the session lifetime it would not re-authenticate at all within the test.
     */
    @Test
    @Compat({"Java 4.3.1: OAUTHBEARER re-authentication as tokens expire (KIP-368)"})
    void javaClientsReauthenticateAsTheirTokensExpire() throws Exception {
        String topic = ALICE_PREFIX + "reauth";
        try (Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> props = unsecuredClient(unsecured, "alice");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, LOGIN_MODULE + " required unsecuredLoginStringClaim_sub=\"alice\" "
                + "unsecuredLoginLifetimeSeconds=\"" + SHORT_TOKEN_S + "\";");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        int sent = 0;
        double reauthentications;
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(props)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SHORT_TOKEN_S * 5 / 2);
            while (System.nanoTime() < end) {
                producer.send(new ProducerRecord<>(topic, ("r" + sent).getBytes())).get(30, TimeUnit.SECONDS);
                sent++;
                Thread.sleep(100);
            }
            reauthentications = producer.metrics().entrySet().stream()
                    .filter(e -> e.getKey().name().equals("successful-reauthentication-total"))
                    .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
        }
        System.out.println("OAuthBearerTest: " + reauthentications + " re-authentications, " + sent + " records");
        assertTrue(reauthentications >= 1, "re-authentications in " + SHORT_TOKEN_S * 5 / 2 + " s with tokens of "
                + SHORT_TOKEN_S + " s: " + reauthentications);
        try (Admin admin = brook.admin()) {
            long end = admin.listOffsets(Map.of(new org.apache.kafka.common.TopicPartition(topic, 0),
                    org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS).values()
                    .iterator().next().offset();
            assertEquals(sent, end, "every record acknowledged is in the log");
        }
    }

    @Test
    @Compat({"kcat: SASL_PLAINTEXT OAUTHBEARER (unsecured JWT)"})
    void kcatProducesAndConsumesWithAnUnsecuredToken() throws Exception {
        Assumptions.assumeTrue(Processes.kcatAvailable(), "kcat is not installed");
        String topic = ALICE_PREFIX + "kcat";
        List<String> produce = new ArrayList<>(List.of("kcat", "-b", unsecured, "-P", "-t", topic));
        produce.addAll(kcatAuth("alice"));
        Processes.run(produce, "k1\nk2\nk3\n");
        List<String> consume = new ArrayList<>(List.of("kcat", "-b", unsecured, "-C", "-t", topic, "-o", "beginning",
                "-e", "-q", "-f", "%s\\n"));
        consume.addAll(kcatAuth("alice"));
        assertEquals(List.of("k1", "k2", "k3"), Processes.run(consume, null).lines().toList());
        // another principal does not see alice's topic
        List<String> mallory = new ArrayList<>(List.of("kcat", "-b", unsecured, "-L", "-t", topic, "-m", "10"));
        mallory.addAll(kcatAuth("mallory"));
        Processes.Output refused = Processes.exec(new ProcessBuilder(mallory), null, Duration.ofSeconds(60));
        assertTrue(refused.all().toLowerCase(Locale.ROOT).contains("authorization failed"), refused.all());
    }

    private static List<String> kcatAuth(String principal) {
        return List.of("-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=OAUTHBEARER",
                "-X", "enable.sasl.oauthbearer.unsecure.jwt=true", "-X", "sasl.oauthbearer.config=principal="
                        + principal);
    }

    @Test
    @Compat({"kafkajs 2.2.4: SASL_PLAINTEXT OAUTHBEARER"})
    void kafkajsProducesAndConsumesWithAnUnsecuredToken() throws Exception {
        File kafkajs = new File("../compat/kafkajs").getAbsoluteFile();
        boolean installed = new File(kafkajs, "node_modules/kafkajs").isDirectory();
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(installed, "kafkajs not installed (npm ci in compat/kafkajs)");
        String output = Processes.run(new ProcessBuilder("node", "oauth.js", unsecured, ALICE_PREFIX + "kafkajs",
                "alice").directory(kafkajs), null, Duration.ofSeconds(120));
        assertTrue(output.contains("consumer: read all 10 records") && output.contains("expired token: refused"),
                output);
    }
}
