package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ACLs with Kafka's StandardAuthorizer semantics against a real server process: the admin client and
 * kafka-acls create, describe (with filters) and delete ACLs kept in the metadata log across a restart; with
 * no super user and {@code allow.everyone.if.no.acl.found=false}, the anonymous PLAINTEXT principal may do
 * exactly what its ACLs allow and is refused everything else with Kafka's exact errors.
 */
@Timeout(300)
class AclAuthorizationTest {
    static final String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    static final String ANONYMOUS = "User:ANONYMOUS";

    @TempDir
    File dataDir;

    static AclBinding acl(ResourceType type, String name, PatternType pattern, AclOperation op,
                          AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(ANONYMOUS, "*", op, permission));
    }

    static Set<AclBinding> describe(Admin admin, AclBindingFilter filter) throws Exception {
        return new HashSet<>(admin.describeAcls(filter).values().get(30, TimeUnit.SECONDS));
    }

    @Test
    @Compat({"Java 4.3.1: admin: ACLs create/describe/delete with filters",
            "Kafka tools 4.3.1: kafka-acls --add/--list/--remove"})
    void aclsAreCreatedDescribedWithFiltersDeletedAndSurviveRestart() throws Exception {
        AclBinding literal = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        AclBinding prefixed = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "ord", PatternType.PREFIXED),
                new AccessControlEntry("User:bob", "10.0.0.1", AclOperation.WRITE, AclPermissionType.DENY));
        AclBinding group = new AclBinding(new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        Map<String, String> settings = Map.of("authorizer.class.name", AUTHORIZER, "super.users", ANONYMOUS);
        try (BrookFixture brook = new BrookFixture(dataDir, settings)) {
            try (Admin admin = brook.admin()) {
                admin.createAcls(List.of(literal, prefixed, group)).all().get(30, TimeUnit.SECONDS);
                ExecutionException bad = assertThrows(ExecutionException.class, () -> admin.createAcls(List.of(
                        new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "other", PatternType.LITERAL),
                                literal.entry()))).all().get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidRequestException.class, bad.getCause());

                assertEquals(Set.of(literal, prefixed, group), describe(admin, AclBindingFilter.ANY));
                // MATCH: every ACL that covers topic "orders" (literal, prefixed), not the group's
                assertEquals(Set.of(literal, prefixed), describe(admin, new AclBindingFilter(
                        new ResourcePatternFilter(ResourceType.TOPIC, "orders", PatternType.MATCH),
                        AccessControlEntryFilter.ANY)));
                assertEquals(Set.of(literal, group), describe(admin, new AclBindingFilter(ResourcePatternFilter.ANY,
                        new AccessControlEntryFilter("User:alice", null, AclOperation.ANY, AclPermissionType.ANY))));
                assertEquals(Set.of(prefixed), describe(admin, new AclBindingFilter(new ResourcePatternFilter(
                        ResourceType.ANY, null, PatternType.PREFIXED), AccessControlEntryFilter.ANY)));
            }
            // Kafka's own kafka-acls lists what the admin client wrote, adds one and removes one
            String listed = kafkaAcls(brook, "--list", "--topic", "orders");
            assertTrue(listed.contains("User:alice") && listed.contains("READ"), listed);
            kafkaAcls(brook, "--add", "--allow-principal", "User:carol", "--operation", "Describe", "--topic", "t1");
            kafkaAcls(brook, "--remove", "--force", "--allow-principal", "User:alice", "--operation", "Read",
                    "--group", "*");
            // and bin/brook acls does the same
            assertEquals(List.of("Added 2 ACL(s) on TOPIC logs- (prefix)."), brookAcls(brook, "add",
                    "--allow-principal", "User:dave", "--operation", "WRITE", "--operation", "describe",
                    "--topic", "logs-", "--prefixed"));
            List<String> daves = brookAcls(brook, "list", "--principal", "User:dave");
            assertEquals(3, daves.size(), String.join("\n", daves)); // the header and two rows
            assertTrue(daves.get(1).matches("TOPIC\\s+logs-\\s+PREFIXED\\s+User:dave\\s+\\*\\s+DESCRIBE\\s+ALLOW"),
                    daves.get(1));
            assertEquals(List.of("Removed 1 ACL(s)."), brookAcls(brook, "remove", "--principal", "User:dave",
                    "--operation", "WRITE", "--topic", "logs-", "--prefixed"));
            assertEquals(List.of("Removed 1 ACL(s)."), brookAcls(brook, "remove", "--topic", "logs-", "--prefixed"));

            brook.restart();
            try (Admin admin = brook.admin()) {
                AclBinding carol = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "t1", PatternType.LITERAL),
                        new AccessControlEntry("User:carol", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW));
                assertEquals(Set.of(literal, prefixed, carol), describe(admin, AclBindingFilter.ANY),
                        "the ACLs are in the metadata log");
                Collection<AclBinding> deleted = admin.deleteAcls(List.of(new AclBindingFilter(
                        new ResourcePatternFilter(ResourceType.TOPIC, "orders", PatternType.MATCH),
                        AccessControlEntryFilter.ANY))).all().get(30, TimeUnit.SECONDS);
                assertEquals(Set.of(literal, prefixed), new HashSet<>(deleted));
                assertEquals(Set.of(carol), describe(admin, AclBindingFilter.ANY));
            }
        }
    }

    /** Runs {@code bin/brook acls ARGS} in this JVM; its output lines (exit code 0 asserted). */
    private static List<String> brookAcls(BrookFixture brook, String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = io.brook.cli.BrookCli.commandLine().setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err));
        List<String> command = new ArrayList<>(List.of("acls"));
        command.addAll(List.of(args));
        command.add("--bootstrap-server=" + brook.bootstrap());
        assertEquals(0, cli.execute(command.toArray(String[]::new)), err.toString());
        return out.toString().lines().toList();
    }

    private static String kafkaAcls(BrookFixture brook, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.AclCommand",
                "--bootstrap-server", brook.bootstrap()));
        command.addAll(List.of(args));
        Processes.Output out = Processes.exec(new ProcessBuilder(command), null, Duration.ofSeconds(60));
        assertEquals(0, out.exitCode(), out.all());
        return out.all();
    }

    @Test
    @Compat({"Java 4.3.1: producer, consumer and admin refused by ACLs with Kafka's errors"})
    void theAnonymousPrincipalMayDoExactlyWhatItsAclsAllow() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of("authorizer.class.name", AUTHORIZER,
                "super.users", ANONYMOUS)); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("open-1", 1, (short) 1), new NewTopic("closed", 1, (short) 1),
                    new NewTopic("read-only", 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            admin.createAcls(List.of(
                    acl(ResourceType.TOPIC, "open-", PatternType.PREFIXED, AclOperation.ALL, AclPermissionType.ALLOW),
                    // READ implies DESCRIBE: the topic is seen, but not written to (the Produce handler refuses)
                    acl(ResourceType.TOPIC, "read-only", PatternType.LITERAL, AclOperation.READ,
                            AclPermissionType.ALLOW),
                    acl(ResourceType.GROUP, "g-open", PatternType.LITERAL, AclOperation.READ, AclPermissionType.ALLOW),
                    // a DENY beats the prefixed ALLOW: no topic open-2 may be created
                    acl(ResourceType.TOPIC, "open-2", PatternType.LITERAL, AclOperation.CREATE,
                            AclPermissionType.DENY))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, String> closed = Map.of("authorizer.class.name", AUTHORIZER,
                "allow.everyone.if.no.acl.found", "false");
        try (BrookFixture brook = new BrookFixture(dataDir, closed); Admin admin = brook.admin()) {
            // metadata shows only what the principal may describe
            assertEquals(Set.of("open-1", "read-only"), admin.listTopics().names().get(30, TimeUnit.SECONDS));
            ExecutionException describeClosed = assertThrows(ExecutionException.class,
                    () -> admin.describeTopics(List.of("closed")).allTopicNames().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, describeClosed.getCause());

            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of("max.block.ms", 20_000))) {
                producer.send(new ProducerRecord<>("open-1", "yes".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
                ExecutionException refused = assertThrows(ExecutionException.class, () -> producer.send(
                        new ProducerRecord<>("closed", "no".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS));
                assertInstanceOf(TopicAuthorizationException.class, refused.getCause());
                ExecutionException readOnly = assertThrows(ExecutionException.class, () -> producer.send(
                        new ProducerRecord<>("read-only", "no".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS));
                assertInstanceOf(TopicAuthorizationException.class, readOnly.getCause());
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                    "g-open"))) {
                consumer.subscribe(List.of("open-1"));
                int read = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (read == 0 && System.nanoTime() < deadline) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                    read += records.count();
                }
                assertEquals(1, read);
                consumer.commitSync(Duration.ofSeconds(30));
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                    "g-closed"))) {
                consumer.subscribe(List.of("open-1"));
                assertThrows(GroupAuthorizationException.class, () -> pollUntilFailure(consumer));
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
                consumer.assign(List.of(new org.apache.kafka.common.TopicPartition("closed", 0)));
                assertThrows(TopicAuthorizationException.class, () -> pollUntilFailure(consumer));
            }

            ExecutionException create = assertThrows(ExecutionException.class, () -> admin.createTopics(
                    List.of(new NewTopic("open-2", 1, (short) 1))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, create.getCause());
            admin.createTopics(List.of(new NewTopic("open-3", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            ExecutionException delete = assertThrows(ExecutionException.class, () -> admin.deleteTopics(
                    List.of("closed")).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, delete.getCause());
            ExecutionException acls = assertThrows(ExecutionException.class,
                    () -> admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS));
            assertInstanceOf(ClusterAuthorizationException.class, acls.getCause());
            ExecutionException logDirs = assertThrows(ExecutionException.class,
                    () -> admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS));
            assertInstanceOf(ClusterAuthorizationException.class, logDirs.getCause());
            // client quotas: DESCRIBE_CONFIGS / ALTER_CONFIGS on the cluster, as in Kafka
            ExecutionException quotas = assertThrows(ExecutionException.class, () -> admin.describeClientQuotas(
                    org.apache.kafka.common.quota.ClientQuotaFilter.all()).entities().get(30, TimeUnit.SECONDS));
            assertInstanceOf(ClusterAuthorizationException.class, quotas.getCause());
            ExecutionException setQuota = assertThrows(ExecutionException.class, () -> admin.alterClientQuotas(List.of(
                    new org.apache.kafka.common.quota.ClientQuotaAlteration(new org.apache.kafka.common.quota
                            .ClientQuotaEntity(Map.of("client-id", "x")), List.of(new org.apache.kafka.common.quota
                            .ClientQuotaAlteration.Op("producer_byte_rate", 1000.0))))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(ClusterAuthorizationException.class, setQuota.getCause());
            assertEquals(Set.of("g-open"), admin.listGroups().all().get(30, TimeUnit.SECONDS).stream()
                    .map(g -> g.groupId()).collect(java.util.stream.Collectors.toSet()),
                    "ListGroups shows only describable groups");

            String audit = Files.readString(new File(brook.logDir(), "server.log").toPath());
            assertTrue(audit.contains("INFO Denied operation: principal=\"User:ANONYMOUS\" host=\"127.0.0.1\" "
                    + "operation=WRITE resourceType=TOPIC resourceName=\"read-only\" api=PRODUCE"), audit);
            assertTrue(audit.contains("operation=DESCRIBE resourceType=GROUP resourceName=\"g-closed\""), audit);
        }
    }

    private static void pollUntilFailure(KafkaConsumer<byte[], byte[]> consumer) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(500));
        }
        throw new AssertionError("the consumer was never refused");
    }
}
