package io.brook.tests;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS listeners ({@code bin/brook server}) with real clients: kafka-clients producer, consumer and admin, kcat
 * and kafkajs over SSL next to a PLAINTEXT listener; mutual TLS with {@code ssl.client.auth=required} and a
 * principal mapping rule (the principal is read back from Kafka's request log); key stores in PKCS12, JKS and
 * PEM (a file and inline); a bad key store stopping the start in one line; a plaintext client on the TLS port,
 * a TLS client on the plaintext port and a stalled handshake each closed while the node serves everyone else.
 */
@Timeout(300)
class TlsTest {
    @TempDir
    static File certDir;
    static TestCertificates certs;
    @TempDir
    File dataDir;
    BrookFixture brook;

    @BeforeAll
    static void certificates() throws Exception {
        certs = TestCertificates.create(certDir);
    }

    @AfterEach
    void stop() throws Exception {
        if (brook != null) {
            brook.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** A node whose first listener is SSL (the fixture's port) with a PKCS12 key store, and a PLAINTEXT one. */
    private Map<String, String> sslNode(int plaintextPort, Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "SSL://localhost:0,PLAINTEXT://localhost:" + plaintextPort);
        settings.put("ssl.keystore.type", "PKCS12");
        settings.put("ssl.keystore.location", certs.serverP12.getPath());
        settings.put("ssl.keystore.password", TestCertificates.STORE_PASSWORD);
        settings.putAll(extra);
        return settings;
    }

    /** Client settings for SSL, trusting the test CA (JKS trust store); host names verified (https). */
    private static Map<String, Object> sslClient(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.truststoreJks.getPath());
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.STORE_PASSWORD);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return props;
    }

    /** The same with the client's certificate (CN=alice,OU=eng,O=brook). */
    private static Map<String, Object> mutualClient(String bootstrap) {
        Map<String, Object> props = sslClient(bootstrap);
        props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        props.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, certs.clientP12.getPath());
        props.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestCertificates.STORE_PASSWORD);
        return props;
    }

    private static String serverLog(BrookFixture brook) throws IOException {
        return Files.readString(new File(brook.logDir(), "server.log").toPath());
    }

    /** The lines of the security audit log ({@code brook.security.audit}, into server.log). */
    private static String auditLog(BrookFixture brook) throws IOException {
        return serverLog(brook).lines().filter(l -> l.contains("(brook.security.audit)"))
                .collect(Collectors.joining("\n"));
    }

    @Test
    @Compat({"Java 4.3.1: TLS listener (admin, produce, consume)", "kcat: TLS listener",
            "kafkajs 2.2.4: TLS listener"})
    void clientsProduceAndConsumeOverSslBesideAPlaintextListener() throws Exception {
        int plaintext = freePort();
        brook = new BrookFixture(dataDir, sslNode(plaintext, Map.of()));
        String ssl = brook.bootstrap();
        try (Admin admin = Admin.create(sslClient(ssl))) {
            admin.createTopics(List.of(new NewTopic("tls-topic", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Node node = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next();
            assertEquals(ssl, node.host() + ":" + node.port(), "the SSL listener's own address");
        }
        byte[][] values = new byte[300][];
        Map<String, Object> producerProps = sslClient(ssl);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < values.length; i++) {
                values[i] = new byte[1000 + i];
                Arrays.fill(values[i], (byte) i);
                producer.send(new ProducerRecord<>("tls-topic", i % 2, null, values[i]));
            }
            producer.flush();
        }
        Map<String, Object> consumerProps = sslClient(ssl);
        consumerProps.put("group.id", "tls-group");
        consumerProps.put("auto.offset.reset", "earliest");
        List<byte[]> seen = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("tls-topic"));
            long deadline = System.currentTimeMillis() + 60_000;
            while (seen.size() < values.length && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    seen.add(record.value());
                }
            }
            consumer.commitSync(Duration.ofSeconds(30));
        }
        assertEquals(values.length, seen.size(), "every record read back over TLS");
        seen.sort((a, b) -> Integer.compare(a.length, b.length));
        for (int i = 0; i < values.length; i++) {
            assertArrayEquals(values[i], seen.get(i), "record " + i + " byte for byte (copied, not zero-copy)");
        }
        try (Admin plain = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + plaintext,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            assertTrue(plain.listTopics().names().get(30, TimeUnit.SECONDS).contains("tls-topic"),
                    "the PLAINTEXT listener serves beside it");
        }
        assertTrue(serverLog(brook).contains("Listener SSL serves TLS: SSL (SSL, JDK engine, TLSv1.2,TLSv1.3, "
                + "ssl.client.auth=none)"), serverLog(brook));

        if (Processes.kcatAvailable()) {
            List<String> kcat = List.of("kcat", "-b", ssl, "-X", "security.protocol=ssl", "-X",
                    "ssl.ca.location=" + certs.caPem.getPath());
            String metadata = Processes.run(with(kcat, "-L"), null);
            assertTrue(metadata.contains("broker 1 at " + ssl), metadata);
            Processes.run(with(kcat, "-P", "-t", "kcat-tls", "-p", "0", "-K:"), "k1:over tls\n");
            String consumed = Processes.run(with(kcat, "-C", "-t", "kcat-tls", "-p", "0", "-o", "beginning", "-e",
                    "-q", "-f", "%k=%s\n"), null);
            assertEquals("k1=over tls\n", consumed);
        }
        File kafkajs = new File(BrookFixture.ROOT, "compat/kafkajs");
        if (new File(kafkajs, "node_modules/kafkajs").isDirectory()) {
            ProcessBuilder node = new ProcessBuilder("node", "smoke.js", ssl).directory(kafkajs);
            node.environment().put("BROOK_SSL_CA", certs.caPem.getPath());
            node.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            String output = Processes.run(node, null, Duration.ofSeconds(120));
            assertTrue(output.contains("consumer: group read all 50 records"), output);
        } else if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of(more));
        return command;
    }

    @Test
    @Compat({"Java 4.3.1: mutual TLS with principal mapping", "kcat: mutual TLS with principal mapping"})
    void mutualTlsMapsTheClientCertificateToItsPrincipal() throws Exception {
        brook = new BrookFixture(dataDir, Map.of(
                "listeners", "SSL://localhost:0",
                "ssl.keystore.location", certs.serverJks.getPath(), // JKS, Kafka's default type
                "ssl.keystore.password", TestCertificates.STORE_PASSWORD,
                "ssl.truststore.type", "PEM",
                "ssl.truststore.location", certs.caPem.getPath(),
                "ssl.client.auth", "required",
                "ssl.principal.mapping.rules", "RULE:^CN=([^,]+),OU=eng,.*$/$1-from-eng/U,DEFAULT"));
        String ssl = brook.bootstrap();
        try (Admin admin = Admin.create(mutualClient(ssl))) {
            ConfigResource loggers = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");
            admin.incrementalAlterConfigs(Map.of(loggers, List.of(new AlterConfigOp(
                    new ConfigEntry("kafka.request.logger", "DEBUG"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("mtls", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        String requests = Files.readString(new File(brook.logDir(), "kafka-request.log").toPath());
        assertTrue(requests.contains("CREATE_TOPICS") && requests.contains("principal User:ALICE-FROM-ENG,"),
                "the rule mapped CN=alice,OU=eng,O=brook to ALICE-FROM-ENG:\n" + requests);

        try (Admin anonymous = Admin.create(sslClient(ssl))) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> anonymous.listTopics().names().get(60, TimeUnit.SECONDS));
            assertInstanceOf(SslAuthenticationException.class, refused.getCause(),
                    "no client certificate: the handshake fails");
        }
        String audit = auditLog(brook);
        assertTrue(audit.contains("event=authentication outcome=FAILED listener=SSL client=")
                && audit.contains("principal=- mechanism=TLS reason=\"its TLS handshake failed: "), audit);

        if (Processes.kcatAvailable()) {
            String metadata = Processes.run(List.of("kcat", "-b", ssl, "-X", "security.protocol=ssl", "-X",
                    "ssl.ca.location=" + certs.caPem.getPath(), "-X", "ssl.certificate.location="
                            + certs.clientCertPem.getPath(), "-X", "ssl.key.location=" + certs.clientKeyPem.getPath(),
                    "-L"), null);
            assertTrue(metadata.contains("topic \"mtls\""), metadata);
        }
    }

    @Test
    @Compat({"Java 4.3.1: SASL_SSL PLAIN and SCRAM-SHA-512", "kcat: SASL_SSL PLAIN", "kafkajs 2.2.4: SASL_SSL PLAIN",
            "Kafka tools 4.3.1: kafka-topics, kafka-console-producer, kafka-console-consumer, kafka-acls over SASL_SSL "
                    + "SCRAM-SHA-512"})
    void saslOverTlsAuthenticatesAsTheSaslUserEvenWithAClientCertificate() throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of(
                "listeners", "SASL_SSL://localhost:0",
                "ssl.keystore.type", "PKCS12",
                "ssl.keystore.location", certs.serverP12.getPath(),
                "ssl.keystore.password", TestCertificates.STORE_PASSWORD,
                "ssl.truststore.location", certs.truststoreJks.getPath(),
                "ssl.truststore.password", TestCertificates.STORE_PASSWORD,
                "ssl.client.auth", "requested",
                "listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512",
                "listener.name.sasl_ssl.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain."
                        + "PlainLoginModule required user_carol=\"carol-secret\" user_erin=\"erin-secret\";",
                // ACLs on, so kafka-acls has something to manage: carol and dave may do anything, erin what ACLs allow
                "authorizer.class.name", AclAuthorizationTest.AUTHORIZER));
        settings.put("super.users", "User:carol;User:dave");
        brook = new BrookFixture(dataDir, settings);
        String bootstrap = brook.bootstrap();
        Map<String, Object> carol = mutualClient(bootstrap); // a certificate too: the SASL user is the principal
        carol.putAll(saslSslClient(bootstrap, "PLAIN", "carol", "carol-secret"));
        try (Admin admin = Admin.create(carol)) {
            ConfigResource loggers = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");
            admin.incrementalAlterConfigs(Map.of(loggers, List.of(new AlterConfigOp(
                    new ConfigEntry("kafka.request.logger", "DEBUG"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("sasl-ssl", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("dave",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "dave-secret")))
                    .all().get(30, TimeUnit.SECONDS);
        }
        String requests = Files.readString(new File(brook.logDir(), "kafka-request.log").toPath());
        assertTrue(requests.contains("CREATE_TOPICS") && requests.contains("principal User:carol,")
                && requests.contains("SASL_SSL"), requests);

        Map<String, Object> dave = saslSslClient(bootstrap, "SCRAM-SHA-512", "dave", "dave-secret");
        dave.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        dave.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(dave)) {
            producer.send(new ProducerRecord<>("sasl-ssl", 0, "k", "over sasl_ssl")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> reader = saslSslClient(bootstrap, "SCRAM-SHA-512", "dave", "dave-secret");
        reader.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        reader.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        reader.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(reader)) {
            TopicPartition tp = new TopicPartition("sasl-ssl", 0);
            consumer.assign(List.of(tp));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(r.value()));
            }
            assertEquals(List.of("over sasl_ssl"), values);
        }

        // Kafka's own CLI tools, their client settings in a --command-config file, as an operator runs them
        File daveConfig = Files.createTempFile("dave-sasl-ssl", ".properties").toFile(); // not in the log dir
        daveConfig.deleteOnExit();
        StringBuilder lines = new StringBuilder();
        saslSslClient(bootstrap, "SCRAM-SHA-512", "dave", "dave-secret").forEach((k, v) -> {
            if (!k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                lines.append(k).append('=').append(String.valueOf(v).replace("\\", "\\\\")).append('\n');
            }
        });
        Files.writeString(daveConfig.toPath(), lines.toString());
        String described = KafkaAdminToolsTest.tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server",
                bootstrap, "--command-config", daveConfig.getPath(), "--describe", "--topic", "sasl-ssl");
        assertTrue(described.contains("Topic: sasl-ssl") && described.contains("PartitionCount: 1"), described);
        Processes.run(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp",
                KafkaAdminToolsTest.classpath(), "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server",
                bootstrap, "--command-config", daveConfig.getPath(), "--topic", "sasl-ssl"), "from console producer\n");
        // the same file under the console producer's older option, as many operators' scripts still pass it
        Processes.run(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp",
                KafkaAdminToolsTest.classpath(), "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server",
                bootstrap, "--producer.config", daveConfig.getPath(), "--topic", "sasl-ssl"), "from producer.config\n");
        String consumedByTool = KafkaAdminToolsTest.tool("org.apache.kafka.tools.consumer.ConsoleConsumer",
                "--bootstrap-server", bootstrap, "--command-config", daveConfig.getPath(), "--topic", "sasl-ssl",
                "--partition", "0", "--offset", "earliest", "--max-messages", "3", "--timeout-ms", "60000");
        assertTrue(consumedByTool.contains("over sasl_ssl\nfrom console producer\nfrom producer.config"),
                consumedByTool);

        // erin has no ACL: refused, and the refusal audited; kafka-acls (as dave) grants her CREATE on the cluster
        Map<String, Object> erin = saslSslClient(bootstrap, "PLAIN", "erin", "erin-secret");
        try (Admin asErin = Admin.create(erin)) {
            ExecutionException denied = assertThrows(ExecutionException.class, () -> asErin.createTopics(List.of(
                    new NewTopic("erins", 1, (short) 1))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, denied.getCause());
            String acls = KafkaAdminToolsTest.tool("org.apache.kafka.tools.AclCommand", "--bootstrap-server",
                    bootstrap, "--command-config", daveConfig.getPath(), "--add", "--allow-principal", "User:erin",
                    "--operation", "Create", "--cluster");
            assertTrue(acls.contains("principal=User:erin") && acls.contains("operation=CREATE"), acls);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // until the node's image has the ACL
            while (true) {
                try {
                    asErin.createTopics(List.of(new NewTopic("erins", 1, (short) 1))).all()
                            .get(30, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicAuthorizationException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        }

        try (Admin wrong = Admin.create(saslSslClient(bootstrap, "PLAIN", "carol", "wrong"))) {
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> wrong.listTopics().names().get(60, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, refused.getCause());
        }
        // the security audit log: one structured line per failed authentication and per denial
        String audit = Files.readString(new File(brook.logDir(), "server.log").toPath()).lines()
                .filter(l -> l.contains("(brook.security.audit)")).collect(Collectors.joining("\n"));
        assertTrue(audit.contains("event=authentication outcome=FAILED listener=SASL_SSL client=")
                && audit.contains("principal=\"carol\" mechanism=PLAIN reason=\"PLAIN authentication failed: "
                + "Authentication failed: Invalid username or password\""), audit);
        assertTrue(audit.contains("event=authorization outcome=DENIED listener=SASL_SSL client=")
                && audit.contains("principal=\"User:erin\" mechanism=- reason=\"CREATE on "), audit);

        if (Processes.kcatAvailable()) {
            List<String> kcat = List.of("kcat", "-b", bootstrap, "-X", "security.protocol=sasl_ssl", "-X",
                    "ssl.ca.location=" + certs.caPem.getPath(), "-X", "sasl.mechanisms=PLAIN", "-X",
                    "sasl.username=carol", "-X", "sasl.password=carol-secret");
            Processes.run(with(kcat, "-P", "-t", "sasl-ssl", "-p", "0", "-K:"), "k2:from kcat\n");
            String consumed = Processes.run(with(kcat, "-C", "-t", "sasl-ssl", "-p", "0", "-o", "beginning", "-e",
                    "-q", "-f", "%s\n"), null);
            assertEquals("over sasl_ssl\nfrom console producer\nfrom producer.config\nfrom kcat\n", consumed);
        }
        File kafkajs = new File(BrookFixture.ROOT, "compat/kafkajs");
        if (new File(kafkajs, "node_modules/kafkajs").isDirectory()) {
            ProcessBuilder node = new ProcessBuilder("node", "smoke.js", bootstrap).directory(kafkajs);
            node.environment().put("BROOK_SSL_CA", certs.caPem.getPath());
            node.environment().put("BROOK_SASL_MECHANISM", "plain");
            node.environment().put("BROOK_SASL_USER", "carol");
            node.environment().put("BROOK_SASL_PASSWORD", "carol-secret");
            node.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            String output = Processes.run(node, null, Duration.ofSeconds(120));
            assertTrue(output.contains("consumer: group read all 50 records"), output);
        } else if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
    }

    /** Client settings for SASL_SSL with the given mechanism and login, trusting the test CA. */
    private static Map<String, Object> saslSslClient(String bootstrap, String mechanism, String user,
                                                     String password) {
        Map<String, Object> props = sslClient(bootstrap);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + user + "\" password=\""
                + password + "\";");
        return props;
    }

    @Test
    void requestedClientAuthServesClientsWithoutACertificateAsAnonymous() throws Exception {
        brook = new BrookFixture(dataDir, Map.of(
                "listeners", "SSL://localhost:0",
                "ssl.keystore.type", "PKCS12",
                "ssl.keystore.location", certs.serverP12.getPath(),
                "ssl.keystore.password", TestCertificates.STORE_PASSWORD,
                "ssl.truststore.location", certs.truststoreJks.getPath(),
                "ssl.truststore.password", TestCertificates.STORE_PASSWORD,
                "ssl.client.auth", "requested"));
        String ssl = brook.bootstrap();
        try (Admin withCertificate = Admin.create(mutualClient(ssl)); Admin without = Admin.create(sslClient(ssl))) {
            ConfigResource loggers = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");
            withCertificate.incrementalAlterConfigs(Map.of(loggers, List.of(new AlterConfigOp(
                    new ConfigEntry("kafka.request.logger", "DEBUG"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            without.createTopics(List.of(new NewTopic("anonymous", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            withCertificate.createTopics(List.of(new NewTopic("alice", 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        String requests = Files.readString(new File(brook.logDir(), "kafka-request.log").toPath());
        assertTrue(requests.lines().anyMatch(l -> l.contains("CREATE_TOPICS") && l.contains("principal User:ANONYMOUS,")
                && l.contains("name='anonymous'")), requests);
        assertTrue(requests.lines().anyMatch(l -> l.contains("CREATE_TOPICS") && l.contains("principal User:"
                + TestCertificates.CLIENT_SUBJECT + ",") && l.contains("name='alice'")), "DEFAULT rule: " + requests);
    }

    @Test
    void pemKeyStoresInlineAndAsAFileWithAnEncryptedKeyPerListener() throws Exception {
        int internal = freePort();
        String chain = TestCertificates.pemBlocks(certs.serverPem, "CERTIFICATE");
        String key = TestCertificates.pemBlocks(certs.serverPem, "PRIVATE KEY");
        assertFalse(key.isEmpty() || chain.isEmpty(), "openssl wrote a PKCS#8 key and the chain");
        brook = new BrookFixture(dataDir, Map.of(
                "listeners", "SSL://localhost:0,INTERNAL://localhost:" + internal,
                "listener.security.protocol.map", "SSL:SSL,INTERNAL:SSL",
                "listener.name.ssl.ssl.keystore.type", "PEM",
                "listener.name.ssl.ssl.keystore.certificate.chain", chain,
                "listener.name.ssl.ssl.keystore.key", key,
                "listener.name.internal.ssl.keystore.type", "PEM",
                "listener.name.internal.ssl.keystore.location", certs.serverEncryptedPem.getPath(),
                "listener.name.internal.ssl.key.password", TestCertificates.KEY_PASSWORD));
        for (String bootstrap : List.of(brook.bootstrap(), "localhost:" + internal)) {
            Map<String, Object> props = sslClient(bootstrap);
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.caPem.getPath());
            props.remove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG);
            try (Admin admin = Admin.create(props)) {
                assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS),
                        "served over TLS on " + bootstrap);
            }
        }
        String log = serverLog(brook);
        assertFalse(log.contains(key.substring(30, 60)), "the inline key reached server.log");
    }

    @Test
    void aBadKeyStoreStopsTheStartWithOneLine() throws Exception {
        AssertionError wrongPassword = assertThrows(AssertionError.class, () -> new BrookFixture(dataDir,
                sslNode(0, Map.of("ssl.keystore.password", "not-the-password"))));
        assertTrue(wrongPassword.getMessage().contains("brook: the server could not start: listener SSL: the "
                + "password (ssl.keystore.password) is wrong for " + certs.serverP12.getPath()),
                wrongPassword.getMessage());
        assertFalse(wrongPassword.getMessage().contains("not-the-password"), "a password was printed");

        AssertionError missing = assertThrows(AssertionError.class, () -> new BrookFixture(dataDir,
                sslNode(0, Map.of("ssl.keystore.location", new File(certDir, "nope.p12").getPath()))));
        assertTrue(missing.getMessage().contains("listener SSL: ssl.keystore.location=" + new File(certDir,
                "nope.p12").getPath() + ": no such file"), missing.getMessage());

        AssertionError wrongKeyPassword = assertThrows(AssertionError.class, () -> new BrookFixture(dataDir,
                Map.of("listeners", "SSL://localhost:0", "ssl.keystore.type", "PEM", "ssl.keystore.location",
                        certs.serverEncryptedPem.getPath(), "ssl.key.password", "not-the-key-password")));
        assertTrue(wrongKeyPassword.getMessage().contains("listener SSL: the PEM key store "
                + certs.serverEncryptedPem.getPath() + ": cannot read the private key (a PKCS#8 PEM key, encrypted "
                + "with ssl.key.password if it has one)"), wrongKeyPassword.getMessage());

        AssertionError none = assertThrows(AssertionError.class, () -> new BrookFixture(dataDir,
                Map.of("listeners", "SSL://localhost:0")));
        assertTrue(none.getMessage().contains("listener SSL: an SSL listener needs its certificate and key: set "
                + "ssl.keystore.location"), none.getMessage());
    }

    @Test
    void wrongProtocolClientsAndStalledHandshakesAreClosedAndOthersServed() throws Exception {
        int plaintext = freePort();
        brook = new BrookFixture(dataDir, sslNode(plaintext, Map.of("brook.ssl.handshake.timeout.ms", "2000")));
        int sslPort = Integer.parseInt(brook.bootstrap().substring(brook.bootstrap().indexOf(':') + 1));

        // a plaintext Kafka request (ApiVersions v0) on the TLS port: closed at once
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", sslPort), 10_000);
            socket.setSoTimeout(30_000);
            ByteBuffer request = ByteBuffer.allocate(14).putInt(10).putShort((short) 18).putShort((short) 0)
                    .putInt(1).putShort((short) -1);
            socket.getOutputStream().write(request.array());
            assertClosed(socket.getInputStream(), "a plaintext client on the TLS port");
        }
        // a TLS client on the plaintext port: its ClientHello is no Kafka frame, the handshake fails
        SSLContext context = SSLContext.getInstance("TLS");
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore store = java.security.KeyStore.getInstance("JKS");
        try (InputStream in = new FileInputStream(certs.truststoreJks)) {
            store.load(in, TestCertificates.STORE_PASSWORD.toCharArray());
        }
        trust.init(store);
        context.init(null, trust.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("localhost", plaintext), 10_000);
            socket.setSoTimeout(30_000);
            assertThrows(IOException.class, socket::startHandshake, "a TLS client on the plaintext port");
        }
        // a handshake that stalls after the first bytes of a ClientHello: closed after the limit
        try (Socket stalled = new Socket(); Socket silent = new Socket()) {
            long started = System.nanoTime();
            stalled.connect(new InetSocketAddress("localhost", sslPort), 10_000);
            silent.connect(new InetSocketAddress("localhost", sslPort), 10_000);
            stalled.setSoTimeout(30_000);
            silent.setSoTimeout(30_000);
            OutputStream out = stalled.getOutputStream();
            out.write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01}); // a record of 200 bytes: 1 sent
            out.flush();
            assertClosed(stalled.getInputStream(), "a stalled handshake");
            long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(closedAfterMs < 8_000, "closed after " + closedAfterMs + " ms, not after the 2 s limit");
            assertClosed(silent.getInputStream(), "a client that never starts its handshake");
        }
        // everyone else is served, on both listeners
        try (Admin admin = Admin.create(sslClient(brook.bootstrap()));
             Admin plain = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + plaintext,
                     AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            admin.createTopics(List.of(new NewTopic("still-served", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Set<String> names = plain.listTopics().names().get(30, TimeUnit.SECONDS);
            assertTrue(names.contains("still-served"), names.toString());
        }
        // each failed handshake is one line of the security audit log
        String audit = auditLog(brook);
        assertEquals(3, audit.lines().filter(l -> l.contains("event=authentication outcome=FAILED listener=SSL "
                + "client=127.0.0.1:") && l.contains(" principal=- mechanism=TLS reason=")).count(), audit);
        assertTrue(audit.contains("reason=\"it does not speak TLS (a plaintext client on a TLS listener?)\""), audit);
        assertEquals(2, audit.lines().filter(l -> l.contains("reason=\"its TLS handshake did not finish within "
                + "brook.ssl.handshake.timeout.ms=2000\"")).count(), "the stalled and the silent client: " + audit);
        String log = serverLog(brook);
        assertTrue(log.contains("it sent a frame the server refuses: a TLS handshake (a TLS client on a listener "
                + "without TLS?)"), "the ClientHello on the plaintext port: " + log);
    }

    @Test
    @Compat("Kafka tools 4.3.1: kafka-configs --alter --entity-type brokers (a listener's new certificate)")
    void certificatesAreReplacedWithoutARestart() throws Exception {
        TestCertificates next = TestCertificates.createServerOnly(Files.createDirectory(
                new File(certDir, "rotated-" + System.nanoTime()).toPath()).toFile());
        brook = new BrookFixture(dataDir, sslNode(0, Map.of()));
        String ssl = brook.bootstrap();
        Map<String, Object> trustsNext = sslClient(ssl);
        trustsNext.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, next.truststoreJks.getPath());
        try (Admin admin = Admin.create(trustsNext)) {
            ExecutionException untrusted = assertThrows(ExecutionException.class,
                    () -> admin.describeCluster().clusterId().get(60, TimeUnit.SECONDS));
            assertInstanceOf(SslAuthenticationException.class, untrusted.getCause(), "the old certificate is served");
        }
        File clientConfig = new File(certDir, "client-" + System.nanoTime() + ".properties");
        Files.writeString(clientConfig.toPath(), "security.protocol=SSL\nssl.truststore.location="
                + certs.truststoreJks.getPath() + "\nssl.truststore.password=" + TestCertificates.STORE_PASSWORD + "\n");
        try (Admin before = Admin.create(sslClient(ssl))) {
            before.describeCluster().clusterId().get(30, TimeUnit.SECONDS); // a connection made with the old one
            // a key store that does not exist is refused and changes nothing
            Processes.Output refused = Processes.exec(new ProcessBuilder(kafkaConfigs(ssl, clientConfig,
                    "listener.name.ssl.ssl.keystore.location=" + new File(certDir, "missing.p12").getPath())), null,
                    Processes.DEFAULT_TIMEOUT);
            assertTrue(refused.exitCode() != 0 && refused.all().contains("no such file"), refused.all());
            String altered = Processes.run(kafkaConfigs(ssl, clientConfig,
                    "listener.name.ssl.ssl.keystore.location=" + next.serverP12.getPath()), null);
            assertTrue(altered.contains("Completed updating config"), altered);
            try (Admin admin = Admin.create(trustsNext)) {
                assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS),
                        "new connections get the new certificate");
            }
            assertEquals(brook.clusterId(), before.describeCluster().clusterId().get(30, TimeUnit.SECONDS),
                    "an open connection keeps working");
        }
        assertTrue(serverLog(brook).contains("Listener SSL: new TLS key and trust material in use for new "
                + "connections (listener.name.ssl.ssl.keystore.location)"), serverLog(brook));
    }

    private static List<String> kafkaConfigs(String bootstrap, File clientConfig, String config) throws Exception {
        return List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp",
                KafkaAdminToolsTest.classpath(), "kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap,
                "--command-config", clientConfig.getPath(), "--entity-type", "brokers", "--entity-name", "1",
                "--alter", "--add-config", config);
    }

    /** The server closes the connection: end of stream (or a reset) before the socket's read timeout. */
    private static void assertClosed(InputStream in, String what) {
        try {
            byte[] buffer = new byte[1024];
            while (in.read(buffer) >= 0) {
                // a TLS alert, say: read on to the end of the stream
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError(what + ": the connection is still open after 30 s");
        } catch (IOException reset) {
            // closed with a reset: closed too
        }
    }
}
