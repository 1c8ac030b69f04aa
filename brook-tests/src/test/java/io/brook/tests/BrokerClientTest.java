package io.brook.tests;

import io.brook.server.config.BrokerConfig;
import io.brook.server.node.BrookNode;
import io.brook.server.replication.BrokerClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BrokerClient}, the inter-broker Kafka-protocol client, against a real Brook node started in this JVM
 * ({@link BrookNode}): ApiVersions, CreateTopics, Metadata, Produce, a Fetch as broker 2 (ReplicaState) refused
 * because it holds no replica, a Fetch reading the records back and an OffsetForLeaderEpoch as a follower; a parked fetch longer than a send's
 * bound ending at that bound; a stopped node failing a send within its bound and a restarted one reached again
 * by the same client; a send to a peer that accepts and never answers ending at its bound, or at once when
 * another thread closes the client; the same over an SSL, a SASL_PLAINTEXT (PLAIN, SCRAM) and a SASL_SSL inter-broker
 * listener.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrokerClientTest {
    /** The bound of sends that must succeed: generous, the machine is shared. */
    private static final long SEND_MS = 30_000;
    /** The bound of sends that must fail; the test allows much more than this before calling it a hang. */
    private static final long SHORT_MS = 2_000;
    private static final long HANG_MS = 20_000;
    private static final int REMOTE_ID = 1;
    private static final int LOCAL_ID = 2;
    private static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"admin\" password=\"%s\" user_admin=\"admin-secret\";";

    @TempDir
    File dataDir;
    @TempDir
    File certDir;
    private BrookNode node;
    private final List<BrokerClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        clients.forEach(BrokerClient::close);
        if (node != null) {
            node.close();
        }
    }

    @Test
    void apiVersionsMetadataProduceAndAReplicaFetchOverPlaintext() throws Exception {
        int port = listenPort();
        Map<String, String> settings = Map.of("listeners", "PLAINTEXT://localhost:" + port);
        node = startNode(settings);
        BrokerClient client = client(settings, port);
        produceAndFetchAsReplica(client, "replicated");

        // a fetch the node parks for longer than the send's bound ends at that bound, and the next send reconnects
        Map<TopicPartition, FetchRequest.PartitionData> atTheEnd = Map.of(new TopicPartition("replicated", 0),
                new FetchRequest.PartitionData(Uuid.ZERO_UUID, 3, -1, 1024 * 1024, Optional.empty()));
        long start = System.nanoTime();
        IOException timedOut = assertThrows(IOException.class, () -> client.send(FetchRequest.Builder.forConsumer(
                (short) 12, (int) HANG_MS, 1, atTheEnd), SHORT_MS));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs >= SHORT_MS - 100 && tookMs < HANG_MS - 5_000, "took " + tookMs + " ms");
        assertTrue(timedOut.getMessage().contains("no response from broker " + REMOTE_ID + " (localhost:" + port
                + ") within " + SHORT_MS + " ms"), timedOut.getMessage());
        apiVersions(client);
    }

    @Test
    void aStoppedNodeFailsASendWithinItsBoundAndTheClientReconnectsAfterTheRestart() throws Exception {
        int port = listenPort();
        Map<String, String> settings = Map.of("listeners", "PLAINTEXT://localhost:" + port);
        node = startNode(settings);
        BrokerClient client = client(settings, port);
        apiVersions(client);

        node.close();
        node = null;
        for (int i = 0; i < 2; i++) { // the open connection lost, then a refused one
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> client.send(new ApiVersionsRequest.Builder(), SHORT_MS));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs < HANG_MS, "a send to a stopped node took " + tookMs + " ms");
            assertTrue(e.getMessage().contains("broker " + REMOTE_ID + " (localhost:" + port + ")"), e.getMessage());
            if (i == 1) {
                assertTrue(e.getMessage().startsWith("could not connect to broker"), e.getMessage());
            }
        }

        node = startNode(settings);
        apiVersions(client);
        MetadataResponse metadata = client.send(new MetadataRequest.Builder(List.of(), false), SEND_MS);
        assertEquals(REMOTE_ID, metadata.data().brokers().iterator().next().nodeId());
    }

    @Test
    void aSilentPeerEndsASendAtItsBoundOrWhenAnotherThreadClosesTheClient() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = silent.accept(); // reads nothing, answers nothing
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-peer");
            acceptor.setDaemon(true);
            acceptor.start();
            try {
                Map<String, String> settings = Map.of("listeners", "PLAINTEXT://localhost:0");
                BrokerClient client = client(settings, silent.getLocalPort());

                long start = System.nanoTime();
                IOException timedOut = assertThrows(IOException.class,
                        () -> client.send(new ApiVersionsRequest.Builder(), SHORT_MS));
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs >= SHORT_MS - 100 && tookMs < HANG_MS, "took " + tookMs + " ms");
                assertTrue(timedOut.getMessage().contains("broker " + REMOTE_ID), timedOut.getMessage());

                int connectionsBefore = connections(accepted);
                CompletableFuture<Object> blocked = CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.send(new ApiVersionsRequest.Builder(), 10 * 60_000L);
                    } catch (IOException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                long deadline = System.currentTimeMillis() + HANG_MS;
                while (connections(accepted) == connectionsBefore && System.currentTimeMillis() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(connections(accepted) > connectionsBefore, "the send never connected again");
                Thread.sleep(200); // let it block in the selector
                long closeStart = System.nanoTime();
                client.close();
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> blocked.get(HANG_MS, TimeUnit.MILLISECONDS));
                assertInstanceOf(IOException.class, failed.getCause());
                assertTrue(failed.getCause().getMessage().contains("closed"), failed.getCause().getMessage());
                long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeStart);
                assertTrue(closeMs < HANG_MS, "close took " + closeMs + " ms to unblock the send");
                assertThrows(IOException.class, () -> client.send(new ApiVersionsRequest.Builder(), SHORT_MS));
            } finally {
                synchronized (accepted) {
                    for (Socket s : accepted) {
                        s.close();
                    }
                }
            }
        }
    }

    @Test
    void overAnSslInterBrokerListener() throws Exception {
        TestCertificates certs = TestCertificates.createServerOnly(certDir);
        int port = listenPort();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "SSL://localhost:" + port);
        settings.put("inter.broker.listener.name", "SSL");
        settings.put("ssl.keystore.type", "PKCS12");
        settings.put("ssl.keystore.location", certs.serverP12.getPath());
        settings.put("ssl.keystore.password", TestCertificates.STORE_PASSWORD);
        settings.put("ssl.truststore.location", certs.truststoreJks.getPath());
        settings.put("ssl.truststore.password", TestCertificates.STORE_PASSWORD);
        node = startNode(settings);
        produceAndFetchAsReplica(client(settings, port), "over-tls");

        Map<String, String> untrusting = new LinkedHashMap<>(settings);
        untrusting.remove("ssl.truststore.location");
        untrusting.remove("ssl.truststore.password");
        IOException refused = assertThrows(IOException.class,
                () -> client(untrusting, port).send(new ApiVersionsRequest.Builder(), SEND_MS));
        assertTrue(refused.getMessage().contains("broker " + REMOTE_ID), refused.getMessage());
    }

    @Test
    void overASaslPlaintextInterBrokerListener() throws Exception {
        int port = listenPort();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "SASL_PLAINTEXT://localhost:" + port);
        settings.put("inter.broker.listener.name", "SASL_PLAINTEXT");
        settings.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        settings.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN");
        settings.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", String.format(PLAIN_JAAS, "admin-secret"));
        node = startNode(settings);
        produceAndFetchAsReplica(client(settings, port), "over-sasl");

        Map<String, String> wrongPassword = new LinkedHashMap<>(settings);
        wrongPassword.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", String.format(PLAIN_JAAS, "wrong"));
        IOException refused = assertThrows(IOException.class,
                () -> client(wrongPassword, port).send(new ApiVersionsRequest.Builder(), SEND_MS));
        assertTrue(refused.getMessage().contains("authentication to broker " + REMOTE_ID), refused.getMessage());
    }

    /**
     * OAUTHBEARER with a token from the identity provider, as a Kafka broker logs in with Kafka's
     * OAuthBearerLoginCallbackHandler: the token endpoint here is a file (Kafka's FileJwtRetriever) holding an RS256
     * token the node checks against its JWKS file, audience and issuer; the principal is the token's subject.
     */
    @Test
    void overOAuthBearerWithATokenFromTheIdentityProvider() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair key = generator.generateKeyPair();
        File jwks = new File(certDir, "jwks.json");
        Files.writeString(jwks.toPath(), OAuthBearerTest.rsaJwks("broker-key", (RSAPublicKey) key.getPublic()));
        File token = new File(certDir, "broker.jwt");
        Files.writeString(token.toPath(), OAuthBearerTest.signedJwt("RS256", "broker-key", key.getPrivate(),
                OAuthBearerTest.claims("broker", System.currentTimeMillis() / 1000 + 3600, "brokers",
                        "https://idp.brook.test")) + "\n");
        String previous = System.getProperty(OAuthBearerTest.ALLOWED_URLS); // Kafka's login reads only URLs listed
        System.setProperty(OAuthBearerTest.ALLOWED_URLS, "file://" + token.getAbsolutePath() + ",file://"
                + jwks.getAbsolutePath());
        try {
            int port = listenPort();
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("listeners", "SASL_PLAINTEXT://localhost:" + port);
            settings.put("inter.broker.listener.name", "SASL_PLAINTEXT");
            settings.put("sasl.mechanism.inter.broker.protocol", "OAUTHBEARER");
            settings.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "OAUTHBEARER");
            settings.put("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config",
                    OAuthBearerTest.LOGIN_MODULE + " required;");
            settings.put("listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler");
            settings.put("sasl.oauthbearer.jwks.endpoint.url", "file://" + jwks.getAbsolutePath());
            settings.put("sasl.oauthbearer.expected.audience", "brokers");
            settings.put("sasl.oauthbearer.expected.issuer", "https://idp.brook.test");
            settings.put("listener.name.sasl_plaintext.oauthbearer.sasl.login.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
            settings.put("sasl.oauthbearer.token.endpoint.url", "file://" + token.getAbsolutePath());
            settings.put("authorizer.class.name", AclAuthorizationTest.AUTHORIZER);
            settings.put("super.users", "User:broker"); // a follower's fetch needs CLUSTER_ACTION: the token's sub
            node = startNode(settings);
            produceAndFetchAsReplica(client(settings, port), "over-oauthbearer");
        } finally {
            if (previous == null) {
                System.clearProperty(OAuthBearerTest.ALLOWED_URLS);
            } else {
                System.setProperty(OAuthBearerTest.ALLOWED_URLS, previous);
            }
        }
    }

    @Test
    void overASaslSslInterBrokerListener() throws Exception {
        TestCertificates certs = TestCertificates.createServerOnly(certDir);
        int port = listenPort();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "SASL_SSL://localhost:" + port);
        settings.put("inter.broker.listener.name", "SASL_SSL");
        settings.put("ssl.keystore.type", "PKCS12");
        settings.put("ssl.keystore.location", certs.serverP12.getPath());
        settings.put("ssl.keystore.password", TestCertificates.STORE_PASSWORD);
        settings.put("ssl.truststore.location", certs.truststoreJks.getPath());
        settings.put("ssl.truststore.password", TestCertificates.STORE_PASSWORD);
        settings.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        settings.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN");
        settings.put("listener.name.sasl_ssl.plain.sasl.jaas.config", String.format(PLAIN_JAAS, "admin-secret"));
        node = startNode(settings);
        produceAndFetchAsReplica(client(settings, port), "over-sasl-ssl");

        Map<String, String> wrongPassword = new LinkedHashMap<>(settings);
        wrongPassword.put("listener.name.sasl_ssl.plain.sasl.jaas.config", String.format(PLAIN_JAAS, "wrong"));
        IOException refused = assertThrows(IOException.class,
                () -> client(wrongPassword, port).send(new ApiVersionsRequest.Builder(), SEND_MS));
        assertTrue(refused.getMessage().contains("authentication to broker " + REMOTE_ID), refused.getMessage());
    }

    @Test
    void overASaslPlaintextInterBrokerListenerWithScram() throws Exception {
        int port = listenPort();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "PLAINTEXT://localhost:0,SASL_PLAINTEXT://localhost:" + port);
        settings.put("inter.broker.listener.name", "SASL_PLAINTEXT");
        settings.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256");
        settings.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "SCRAM-SHA-256");
        settings.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" "
                        + "password=\"broker-secret\";");
        node = startNode(settings);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "localhost:" + node.boundAddress().getPort()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("broker",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), "broker-secret")))
                    .all().get(30, TimeUnit.SECONDS);
        }
        BrokerClient client = client(settings, port);
        long deadline = System.currentTimeMillis() + SEND_MS; // the credential reaches the listener with the metadata
        while (true) {
            try {
                apiVersions(client);
                break;
            } catch (IOException notYet) {
                if (System.currentTimeMillis() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
        produceAndFetchAsReplica(client, "over-scram");
    }

    /**
     * CreateTopics, Metadata, Produce, a Fetch as broker {@link #LOCAL_ID} (not a replica: refused), then a consumer
     * Fetch reading the records back.
     */
    private static void produceAndFetchAsReplica(BrokerClient client, String topic) throws IOException {
        ApiVersionsResponse versions = apiVersions(client);
        assertNotNull(versions.apiVersion(ApiKeys.FETCH.id));

        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(30_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(topic).setNumPartitions(1)
                .setReplicationFactor((short) 1));
        CreateTopicsResponse created = client.send(new CreateTopicsRequest.Builder(create), SEND_MS);
        CreateTopicsResponseData.CreatableTopicResult result = created.data().topics().find(topic);
        assertEquals(Errors.NONE.code(), result.errorCode(), result.errorMessage());
        Uuid topicId = result.topicId();

        MetadataResponse metadata = client.send(new MetadataRequest.Builder(List.of(topic), false), SEND_MS);
        MetadataResponseData.MetadataResponseTopic described = metadata.data().topics().find(topic);
        assertEquals(Errors.NONE.code(), described.errorCode());
        assertEquals(REMOTE_ID, described.partitions().get(0).leaderId());
        int leaderEpoch = described.partitions().get(0).leaderEpoch();

        List<String> values = List.of("one", "two", "three");
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, values.stream()
                .map(v -> new SimpleRecord(v.getBytes(StandardCharsets.UTF_8))).toArray(SimpleRecord[]::new));
        ProduceRequestData produce = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        produce.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setTopicId(topicId)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(records))));
        ProduceResponse produced = client.send(ProduceRequest.builder(produce), SEND_MS);
        ProduceResponseData.PartitionProduceResponse appended = produced.data().responses().iterator().next()
                .partitionResponses().get(0);
        assertEquals(Errors.NONE.code(), appended.errorCode(), appended.errorMessage());
        assertEquals(0, appended.baseOffset());

        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(new TopicPartition(topic, 0), new FetchRequest.PartitionData(topicId, 0, -1, 1024 * 1024,
                Optional.of(leaderEpoch)));
        // a broker that holds no replica of the partition is refused as a follower, as Kafka's leader refuses it
        FetchResponse asReplica = client.send(FetchRequest.Builder.forReplica(ApiKeys.FETCH.latestVersion(),
                LOCAL_ID, -1, 500, 1, wanted), SEND_MS);
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(),
                asReplica.data().responses().get(0).partitions().get(0).errorCode());
        FetchResponse fetched = client.send(FetchRequest.Builder.forConsumer(ApiKeys.FETCH.latestVersion(), 500, 1,
                wanted), SEND_MS);
        assertEquals(Errors.NONE, fetched.error());
        FetchResponseData.PartitionData partition = fetched.data().responses().get(0).partitions().get(0);
        assertEquals(Errors.NONE.code(), partition.errorCode());
        List<String> read = new ArrayList<>();
        for (Record r : ((MemoryRecords) partition.records()).records()) {
            byte[] value = new byte[r.valueSize()];
            r.value().get(value);
            read.add(new String(value, StandardCharsets.UTF_8));
        }
        assertEquals(values, read);
        assertEquals(values.size(), partition.highWatermark());

        // what a follower asks before it truncates: the end of the leader's current epoch
        OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection epochs =
                new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
        epochs.add(new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(topic).setPartitions(List.of(
                new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(0)
                        .setCurrentLeaderEpoch(leaderEpoch).setLeaderEpoch(leaderEpoch))));
        OffsetsForLeaderEpochResponse ends = client.send(OffsetsForLeaderEpochRequest.Builder.forFollower(epochs,
                LOCAL_ID), SEND_MS);
        OffsetForLeaderEpochResponseData.EpochEndOffset end = ends.data().topics().find(topic).partitions().get(0);
        assertEquals(Errors.NONE.code(), end.errorCode());
        assertEquals(leaderEpoch, end.leaderEpoch());
        assertEquals(values.size(), end.endOffset());
    }

    private static ApiVersionsResponse apiVersions(BrokerClient client) throws IOException {
        ApiVersionsResponse versions = client.send(new ApiVersionsRequest.Builder(), SEND_MS);
        assertEquals(Errors.NONE.code(), versions.data().errorCode());
        return versions;
    }

    /** Node {@link #REMOTE_ID} in this JVM over {@link #dataDir} with {@code settings} (its listeners). */
    private BrookNode startNode(Map<String, String> settings) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("node.id", String.valueOf(REMOTE_ID));
        all.put("log.dirs", dataDir.getAbsolutePath());
        all.put("num.io.threads", "2");
        all.put("num.network.threads", "1");
        return BrookNode.start(BrokerConfig.fromMap(all));
    }

    /** A client of node {@link #LOCAL_ID}, whose settings are {@code settings}, to node 1 on {@code port}. */
    private BrokerClient client(Map<String, String> settings, int port) {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("node.id", String.valueOf(LOCAL_ID));
        all.put("log.dirs", new File(dataDir, "unused").getAbsolutePath());
        BrokerClient client = new BrokerClient.Factory(BrokerConfig.fromMap(all))
                .connect(REMOTE_ID, "localhost", port, "broker-" + LOCAL_ID + "-test");
        clients.add(client);
        return client;
    }

    private static int connections(List<Socket> accepted) {
        synchronized (accepted) {
            return accepted.size();
        }
    }

    /**
     * A free port below the kernel's ephemeral range: the node is started again on it, and a port in that range
     * could meanwhile be taken by an outgoing connection (this client reconnecting, for one).
     */
    private static int listenPort() throws IOException {
        int below = 32_768;
        try {
            below = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException notLinux) {
            // keep the usual bound
        }
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(10_000, Math.max(11_000, below));
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port below " + below);
    }
}
