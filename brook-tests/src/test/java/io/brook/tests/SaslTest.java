package io.brook.tests;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node with a PLAINTEXT and a SASL_PLAINTEXT listener ({@code bin/brook server}): real clients authenticate
 * with PLAIN (users from the listener's JAAS configuration) and SCRAM-SHA-256/512 (credentials stored in the
 * metadata by AlterUserScramCredentials, from the admin client and from Kafka's kafka-configs); wrong
 * passwords, unsupported mechanisms, requests before authentication, stalled exchanges and oversized tokens get
 * Kafka's answers or a closed connection, and the node goes on serving everyone else.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SaslTest {
    private static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "user_admin=\"admin-secret\" user_carol=\"carol-secret\";";
    /** brook.sasl.authentication.timeout.ms of the node: short, so the stalled-exchange test is quick. */
    private static final int AUTH_TIMEOUT_MS = 3_000;
    private static final int MAX_RECEIVE = 4096;
    /** connections.max.reauth.ms of the node: clients re-authenticate (KIP-368) during the longer tests. */
    private static final int REAUTH_MS = 5_000;

    @TempDir
    static File dataDir;
    static BrookFixture brook;
    static String sasl;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        sasl = "localhost:" + port;
        brook = new BrookFixture(dataDir, Map.of(
                "listeners", "PLAINTEXT://localhost:0,SASL_PLAINTEXT://localhost:" + port,
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_JAAS,
                "brook.sasl.authentication.timeout.ms", String.valueOf(AUTH_TIMEOUT_MS),
                "sasl.server.max.receive.size", String.valueOf(MAX_RECEIVE),
                "connections.max.reauth.ms", String.valueOf(REAUTH_MS)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (brook != null) {
            brook.close();
        }
    }

    static Map<String, Object> client(String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, sasl);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + user + "\" password=\""
                + password + "\";");
        return props;
    }

    static Admin admin(Map<String, Object> props) {
        Map<String, Object> all = new HashMap<>(props);
        all.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        all.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        return Admin.create(all);
    }

    /** Produces {@code count} records to a new topic and reads them back, both as the given SASL user. */
    private static void roundTrip(String topic, Map<String, Object> props, int count) throws Exception {
        roundTrip(brook, topic, topic + "-group", props, count);
    }

    /**
     * Produces {@code count} records to a new topic of {@code node} and reads them back in {@code group}, all with the
     * client settings {@code props} (a SASL user's, an OAUTHBEARER token's).
     */
    static void roundTrip(BrookFixture node, String topic, String group, Map<String, Object> props, int count)
            throws Exception {
        try (Admin admin = admin(props)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> producerProps = new HashMap<>(props);
        producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        try (KafkaProducer<byte[], byte[]> producer = node.producer(producerProps)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, ("v" + i).getBytes())).get(30, TimeUnit.SECONDS);
            }
        }
        Map<String, Object> consumerProps = new HashMap<>(props);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = node.consumer(consumerProps)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.size() < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value()));
                }
            }
            consumer.commitSync(Duration.ofSeconds(30));
        }
        assertEquals(count, read.size(), "records read back from " + topic);
    }

    private static void addScramUser(String user, String password, ScramMechanism mechanism) throws Exception {
        try (Admin admin = admin(client("PLAIN", "admin", "admin-secret"))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(mechanism, 8192), password))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Compat({"Java 4.3.1: SASL_PLAINTEXT PLAIN", "Java 4.3.1: admin: SCRAM credentials",
            "Java 4.3.1: SASL_PLAINTEXT SCRAM-SHA-256", "Java 4.3.1: SASL_PLAINTEXT SCRAM-SHA-512"})
    void javaClientsAuthenticateWithPlainAndScram() throws Exception {
        roundTrip("sasl-plain", client("PLAIN", "carol", "carol-secret"), 5);

        addScramUser("alice", "alice-secret", ScramMechanism.SCRAM_SHA_512);
        addScramUser("dave", "dave-secret", ScramMechanism.SCRAM_SHA_256);
        try (Admin admin = admin(client("SCRAM-SHA-512", "alice", "alice-secret"))) {
            Map<String, UserScramCredentialsDescription> described = admin.describeUserScramCredentials()
                    .all().get(30, TimeUnit.SECONDS);
            assertEquals(ScramMechanism.SCRAM_SHA_512, described.get("alice").credentialInfos().get(0).mechanism());
            assertEquals(8192, described.get("alice").credentialInfos().get(0).iterations());
            assertEquals(ScramMechanism.SCRAM_SHA_256, described.get("dave").credentialInfos().get(0).mechanism());
            ExecutionException unknown = assertThrows(ExecutionException.class, () -> admin
                    .describeUserScramCredentials(List.of("nobody")).description("nobody").get(30, TimeUnit.SECONDS));
            assertInstanceOf(org.apache.kafka.common.errors.ResourceNotFoundException.class, unknown.getCause());
            ExecutionException tooFew = assertThrows(ExecutionException.class, () -> admin.alterUserScramCredentials(
                    List.of(new UserScramCredentialUpsertion("erin", new ScramCredentialInfo(
                            ScramMechanism.SCRAM_SHA_256, 1000), "pw"))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(org.apache.kafka.common.errors.UnacceptableCredentialException.class, tooFew.getCause());
        }
        roundTrip("sasl-scram-512", client("SCRAM-SHA-512", "alice", "alice-secret"), 5);
        roundTrip("sasl-scram-256", client("SCRAM-SHA-256", "dave", "dave-secret"), 5);

        // alice has no SCRAM-SHA-256 credential: that mechanism fails for her
        assertAuthenticationFails(client("SCRAM-SHA-256", "alice", "alice-secret"));
    }

    private static SaslAuthenticationException assertAuthenticationFails(Map<String, Object> props) {
        try (Admin admin = admin(props)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
            return assertInstanceOf(SaslAuthenticationException.class, e.getCause());
        }
    }

    @Test
    @Compat({"Java 4.3.1: SASL wrong password"})
    void wrongPasswordsFailClearlyAndTheNodeServesOthers() throws Exception {
        SaslAuthenticationException plain = assertAuthenticationFails(client("PLAIN", "carol", "guess"));
        assertTrue(plain.getMessage().contains("Invalid username or password"), plain.getMessage());
        addScramUser("frank", "frank-secret", ScramMechanism.SCRAM_SHA_512);
        SaslAuthenticationException scram = assertAuthenticationFails(client("SCRAM-SHA-512", "frank", "guess"));
        assertTrue(scram.getMessage().contains("Invalid user credentials"), scram.getMessage());
        assertAuthenticationFails(client("SCRAM-SHA-512", "nobody", "guess"));
        // everyone else is still served, on both listeners
        try (Admin admin = admin(client("SCRAM-SHA-512", "frank", "frank-secret"))) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
        try (Admin admin = brook.admin()) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void unsupportedMechanismGetsTheEnabledListAndIsClosed() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
            assertEquals(Errors.NONE.code(), versions.errorCode(), "ApiVersions is served before authentication");
            SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) raw.call(ApiKeys.SASL_HANDSHAKE,
                    (short) 1, new SaslHandshakeRequestData().setMechanism("GSSAPI"));
            assertEquals(Errors.UNSUPPORTED_SASL_MECHANISM.code(), handshake.errorCode());
            assertEquals(List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"), handshake.mechanisms());
            assertTrue(raw.closedByServer());
        }
    }

    @Test
    void aProduceBeforeAuthenticatingClosesTheConnection() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            raw.sendBytes(RawConnection.frame(ApiKeys.PRODUCE, (short) 9, new ProduceRequestData().setAcks((short) 1)
                    .setTimeoutMs(1000), 1));
            assertTrue(raw.closedByServer(), "a Produce before authenticating is not served");
        }
        try (RawConnection raw = new RawConnection(sasl)) { // nor after the handshake, before success
            raw.call(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            raw.sendBytes(RawConnection.frame(ApiKeys.PRODUCE, (short) 9, new ProduceRequestData().setAcks((short) 1)
                    .setTimeoutMs(1000), 2));
            assertTrue(raw.closedByServer());
        }
        try (RawConnection raw = new RawConnection(brook.bootstrap())) { // the PLAINTEXT listener: no SASL state
            SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) raw.call(ApiKeys.SASL_HANDSHAKE,
                    (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertEquals(Errors.ILLEGAL_SASL_STATE.code(), handshake.errorCode());
        }
    }

    /** The exchange of clients older than KIP-152: SaslHandshake v0, then bare size-prefixed tokens. */
    @Test
    void handshakeV0IsFollowedByBareTokens() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) raw.call(ApiKeys.SASL_HANDSHAKE,
                    (short) 0, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertEquals(Errors.NONE.code(), handshake.errorCode());
            byte[] token = "\0carol\0carol-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            raw.sendBytes(ByteBuffer.allocate(4 + token.length).putInt(token.length).put(token).array());
            assertEquals(0, raw.readFrame().length, "PLAIN's (empty) answer, bare");
            ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
            assertEquals(Errors.NONE.code(), versions.errorCode(), "served once authenticated");
        }
        try (RawConnection raw = new RawConnection(sasl)) {
            raw.call(ApiKeys.SASL_HANDSHAKE, (short) 0, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            byte[] token = "\0carol\0guess".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            raw.sendBytes(ByteBuffer.allocate(4 + token.length).putInt(token.length).put(token).array());
            assertTrue(raw.closedByServer(), "a wrong password closes the unframed exchange");
        }
    }

    private static SaslAuthenticateResponseData plainAuthenticate(RawConnection raw, String user, String password)
            throws IOException {
        raw.call(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
        return (SaslAuthenticateResponseData) raw.call(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                new SaslAuthenticateRequestData().setAuthBytes(("\0" + user + "\0" + password)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static ApiVersionsResponseData apiVersions(RawConnection raw) throws IOException {
        return (ApiVersionsResponseData) raw.call(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
    }

    /** KIP-368: the session lifetime is told, a re-authentication renews it, an expired session is closed. */
    @Test
    void sessionsExpireUnlessReauthenticated() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            SaslAuthenticateResponseData first = plainAuthenticate(raw, "carol", "carol-secret");
            assertEquals(Errors.NONE.code(), first.errorCode());
            assertEquals(REAUTH_MS, first.sessionLifetimeMs());
            long start = System.nanoTime();
            while (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < REAUTH_MS + 1_000) {
                // re-authenticate well before the session ends, and keep being served
                assertEquals(Errors.NONE.code(), plainAuthenticate(raw, "carol", "carol-secret").errorCode());
                assertEquals(Errors.NONE.code(), apiVersions(raw).errorCode());
                Thread.sleep(REAUTH_MS / 5);
            }
            SaslAuthenticateResponseData other = plainAuthenticate(raw, "admin", "admin-secret");
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), other.errorCode(), "another principal");
            assertTrue(raw.closedByServer());
        }
        try (RawConnection raw = new RawConnection(sasl)) {
            assertEquals(Errors.NONE.code(), plainAuthenticate(raw, "carol", "carol-secret").errorCode());
            Thread.sleep(REAUTH_MS + 500); // the session ends
            raw.sendBytes(RawConnection.frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"), 99));
            assertTrue(raw.closedByServer(), "a request after the session expired closes the connection");
        }
    }

    @Test
    void aStalledExchangeIsClosedAfterTheLimit() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            raw.call(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-512"));
            long start = System.nanoTime();
            // nothing more is sent: the node closes the connection once brook.sasl.authentication.timeout.ms passed
            assertTrue(raw.closedByServerWithin(AUTH_TIMEOUT_MS + 30_000), "closed within the limit");
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMs < AUTH_TIMEOUT_MS + 30_000, "waited " + waitedMs + " ms");
        }
        try (Admin admin = admin(client("PLAIN", "admin", "admin-secret"))) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void anOversizedTokenClosesTheConnection() throws Exception {
        try (RawConnection raw = new RawConnection(sasl)) {
            raw.call(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            raw.sendBytes(RawConnection.frame(ApiKeys.SASL_AUTHENTICATE, (short) 2, new SaslAuthenticateRequestData()
                    .setAuthBytes(new byte[MAX_RECEIVE * 2]), 2));
            assertTrue(raw.closedByServer(), "a request above sasl.server.max.receive.size before authentication");
        }
        try (Admin admin = admin(client("PLAIN", "admin", "admin-secret"))) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-configs --entity-type users SCRAM", "kcat: SASL_PLAINTEXT SCRAM-SHA-512"})
    void kafkaConfigsAddsAScramUserAndKcatUsesIt() throws Exception {
        KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", "--bootstrap-server", brook.bootstrap(), "--alter",
                "--add-config", "SCRAM-SHA-512=[iterations=4096,password=bob-secret]", "--entity-type", "users",
                "--entity-name", "bob");
        roundTrip("sasl-configs", client("SCRAM-SHA-512", "bob", "bob-secret"), 3);
        if (!Processes.kcatAvailable()) {
            return;
        }
        List<String> auth = List.of("-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanisms=SCRAM-SHA-512",
                "-X", "sasl.username=bob", "-X", "sasl.password=bob-secret");
        List<String> produce = new ArrayList<>(List.of("kcat", "-b", sasl, "-P", "-t", "sasl-configs"));
        produce.addAll(auth);
        Processes.run(produce, "k1\nk2\n");
        List<String> consume = new ArrayList<>(List.of("kcat", "-b", sasl, "-C", "-t", "sasl-configs", "-o",
                "beginning", "-e", "-q", "-f", "%s\\n"));
        consume.addAll(auth);
        assertEquals(List.of("v0", "v1", "v2", "k1", "k2"), Processes.run(consume, null).lines().toList());
        List<String> wrong = new ArrayList<>(List.of("kcat", "-b", sasl, "-L", "-m", "10"));
        wrong.addAll(List.of("-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanisms=SCRAM-SHA-512",
                "-X", "sasl.username=bob", "-X", "sasl.password=guess"));
        Processes.Output refused = Processes.exec(new ProcessBuilder(wrong), null, Duration.ofSeconds(60));
        assertTrue(refused.all().contains("Authentication failed") || refused.all().contains("SASL"),
                refused.all());
    }

    /** {@code bin/brook users} adds, lists and deletes SCRAM users; a deleted credential stops working. */
    @Test
    void brookUsersManagesScramUsers() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = io.brook.cli.BrookCli.commandLine().setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err));
        assertEquals(0, cli.execute("users", "add", "--user", "heidi", "--mechanism", "SCRAM-SHA-256",
                "--iterations", "5000", "--password", "heidi-secret", "--bootstrap-server=" + brook.bootstrap()),
                err.toString());
        assertEquals(0, cli.execute("users", "list", "--bootstrap-server=" + brook.bootstrap()), err.toString());
        assertTrue(out.toString().matches("(?s).*heidi\\s+SCRAM-SHA-256\\s+5000.*"), out.toString());
        try (Admin admin = admin(client("SCRAM-SHA-256", "heidi", "heidi-secret"))) {
            assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
        assertEquals(0, cli.execute("users", "delete", "--user", "heidi", "--mechanism", "SCRAM-SHA-256",
                "--bootstrap-server=" + brook.bootstrap()), err.toString());
        assertAuthenticationFails(client("SCRAM-SHA-256", "heidi", "heidi-secret"));
        assertEquals(1, cli.execute("users", "delete", "--user", "heidi", "--mechanism", "SCRAM-SHA-256",
                "--bootstrap-server=" + brook.bootstrap()), "deleting it again: RESOURCE_NOT_FOUND");
    }

    @Test
    @Compat({"kafkajs 2.2.4: SASL_PLAINTEXT PLAIN", "kafkajs 2.2.4: SASL_PLAINTEXT SCRAM-SHA-512"})
    void kafkajsAuthenticatesWithPlainAndScram() throws Exception {
        File dir = new File("../compat/kafkajs").getAbsoluteFile();
        boolean installed = new File(dir, "node_modules/kafkajs").isDirectory();
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(installed, "kafkajs not installed (npm ci in compat/kafkajs)");
        addScramUser("grace", "grace-secret", ScramMechanism.SCRAM_SHA_512);
        for (List<String> run : List.of(List.of("plain", "carol", "carol-secret"),
                List.of("scram-sha-512", "grace", "grace-secret"))) {
            List<String> command = new ArrayList<>(List.of("node", "sasl.js", sasl));
            command.addAll(run);
            String output = Processes.run(new ProcessBuilder(command).directory(dir), null, Duration.ofSeconds(120));
            assertTrue(output.contains("consumer: read all 10 records") && output.contains("wrong password: refused"),
                    output);
        }
    }
}
