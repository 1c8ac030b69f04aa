package io.brook.tests;

import io.brook.cli.BrookCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flags of the brook command not covered by {@link CliTest}: every one is used once against an
 * {@code bin/brook server} process, and the bad-usage paths answer with exit code 2 and one readable line.
 */
class CliFlagsTest {
    /** One server for the class: every test has topics and groups of its own. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());
    @TempDir
    File work;
    BrookFixture brook;

    record Result(int exitCode, String out, String err) {
    }

    @BeforeEach
    void start() {
        brook = SHARED.brook();
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Result brook(String... args) {
        List<String> full = new ArrayList<>(List.of(args));
        full.add("--bootstrap-server=" + brook.bootstrap());
        return run(full.toArray(new String[0]));
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        List<String> missing = new ArrayList<>();
        collectWithoutExamples(BrookCli.commandLine(), missing);
        assertEquals(List.of(), missing, "commands whose --help has no examples");
        Result help = run("topics", "create", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("--replication-factor") && help.out().contains("Examples:"), help.out());
    }

    private static void collectWithoutExamples(CommandLine command, List<String> missing) {
        if (!command.getUsageMessage().contains("Example") && !command.getCommandName().equals("help")) {
            missing.add(command.getCommandSpec().qualifiedName());
        }
        command.getSubcommands().values().forEach(sub -> collectWithoutExamples(sub, missing));
    }

    @Test
    void loggerFlags() {
        Result set = brook("loggers", "set", "--logger", "kafka.request.logger", "--level", "debug");
        assertEquals(0, set.exitCode(), set.err());
        assertEquals("Logger kafka.request.logger is now at DEBUG.", set.out().strip());
        Result described = brook("loggers", "describe", "--logger", "kafka.request");
        assertEquals("kafka.request.logger=DEBUG", described.out().strip());
        Result reset = brook("loggers", "set", "--logger", "kafka.request.logger", "--reset");
        assertEquals("Logger kafka.request.logger now inherits its parent's level.", reset.out().strip());
        Result neither = brook("loggers", "set", "--logger", "kafka.request.logger");
        assertEquals(2, neither.exitCode());
        assertEquals("brook: give either --level LEVEL or --reset", neither.err().strip());
        Result bad = brook("loggers", "set", "--logger", "root", "--level", "LOUD");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().startsWith("brook: Cannot set the log level of root to LOUD"), bad.err());
    }

    @Test
    void topicFlags() throws Exception {
        Result created = brook("topics", "create", "--topic", "flags", "--partitions", "3", "--replication-factor", "1",
                "--config", "cleanup.policy=compact", "--config", "segment.bytes=1048576");
        assertEquals(0, created.exitCode(), created.err());
        try (Admin admin = brook.admin()) {
            TopicDescription description = admin.describeTopics(List.of("flags")).allTopicNames().get().get("flags");
            assertEquals(3, description.partitions().size());
        }
        Result tooMany = brook("topics", "create", "--topic", "replicated", "--replication-factor", "3");
        assertEquals(1, tooMany.exitCode());
        assertTrue(tooMany.err().startsWith("brook: ") && tooMany.err().contains("replication factor"),
                tooMany.err());
        assertEquals(1, tooMany.err().trim().split("\n").length, "one line");
        assertTrue(brook("topics", "list", "--internal").out().contains("__consumer_offsets"));
        assertTrue(!brook("topics", "list").out().contains("__consumer_offsets"));
        Result altered = brook("topics", "alter", "--topic", "flags", "--config", "retention.ms=1000");
        assertEquals(0, altered.exitCode(), altered.err());
        Result described = brook("topics", "describe", "--topic", "flags");
        assertTrue(described.out().contains("retention.ms=1000") && described.out().contains("cleanup.policy=compact")
                && described.out().contains("Replicas: 1") && described.out().contains("Isr: 1"), described.out());
        Result shrink = brook("topics", "alter", "--topic", "flags", "--partitions", "1");
        assertEquals(1, shrink.exitCode());
        assertTrue(shrink.err().startsWith("brook: "), shrink.err());
    }

    @Test
    void produceAndConsumeFlags() throws Exception {
        assertEquals(0, brook("topics", "create", "--topic", "pc", "--partitions", "2").exitCode());
        File input = new File(work, "lines.txt");
        Files.writeString(input.toPath(), "a\nb\nc\n");
        Result produced = brook("produce", "--topic", "pc", "--file", input.getPath(), "--acks", "0",
                "--compression", "zstd", "--partition", "1");
        assertEquals(0, produced.exitCode(), produced.err());
        assertTrue(produced.err().contains("Sent 3 records (3 bytes) to pc; 0 failed."), produced.err());
        assertEquals(0, brook("produce", "--topic", "pc", "--file", input.getPath(), "--acks", "1",
                "--compression", "gzip", "--partition", "0").exitCode());

        Result fromOffset = brook("consume", "--topic", "pc", "--partition", "1", "--offset", "1",
                "--max-messages", "2");
        assertEquals(0, fromOffset.exitCode(), fromOffset.err());
        assertEquals("b\nc\n", fromOffset.out(), "value is the default format");
        Result timedOut = brook("consume", "--topic", "pc", "--partition", "0", "--from-beginning", "--timeout",
                "1500");
        assertEquals(0, timedOut.exitCode(), timedOut.err());
        assertEquals("a\nb\nc\n", timedOut.out());
        assertTrue(timedOut.err().contains("Processed 3 records."), timedOut.err());

        Result offsetWithoutPartition = brook("consume", "--topic", "pc", "--offset", "3");
        assertEquals(2, offsetWithoutPartition.exitCode());
        assertTrue(offsetWithoutPartition.err().contains("--offset needs --partition"), offsetWithoutPartition.err());
        Result badAcks = brook("produce", "--topic", "pc", "--file", input.getPath(), "--acks", "2");
        assertEquals(2, badAcks.exitCode(), badAcks.err());
        assertTrue(badAcks.err().startsWith("brook: ") && badAcks.err().contains("acks"), badAcks.err());
        Result badNumber = brook("consume", "--topic", "pc", "--max-messages", "many");
        assertEquals(2, badNumber.exitCode());
        assertTrue(badNumber.err().contains("many"), badNumber.err());
        Result unknownTopic = brook("consume", "--topic", "missing", "--partition", "0", "--max-messages", "1");
        assertEquals(1, unknownTopic.exitCode());
        assertTrue(unknownTopic.err().contains("brook topics list"), unknownTopic.err());
    }

    @Test
    void resetOffsetFlags() throws Exception {
        assertEquals(0, brook("topics", "create", "--topic", "ro").exitCode());
        File input = new File(work, "ten.txt");
        Files.writeString(input.toPath(), "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
        assertEquals(0, brook("produce", "--topic", "ro", "--file", input.getPath()).exitCode());
        assertEquals(0, brook("consume", "--topic", "ro", "--group", "g", "--from-beginning", "--max-messages", "10")
                .exitCode());
        assertEquals(0, brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--to-offset", "4",
                "--execute").exitCode());
        assertTrue(brook("groups", "describe", "--group", "g").out().contains("Total lag: 6"));
        Result plan = brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--to-latest", "--dry-run");
        assertTrue(plan.out().contains("ro\t0\t4\t10") && plan.out().contains("Dry run"), plan.out());
        assertEquals(0, brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--to-datetime",
                Instant.now().plusSeconds(3600).toString(), "--execute").exitCode());
        assertTrue(brook("groups", "describe", "--group", "g").out().contains("Total lag: 0"), "no record that late");
        assertEquals(0, brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--by-duration", "PT1H",
                "--execute").exitCode());
        assertTrue(brook("groups", "describe", "--group", "g").out().contains("Total lag: 10"), "all within the hour");
        Result twoTargets = brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--to-earliest",
                "--to-latest");
        assertEquals(2, twoTargets.exitCode());
        Result badDate = brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--to-datetime",
                "yesterday");
        assertEquals(2, badDate.exitCode());
        assertTrue(badDate.err().contains("yesterday"), badDate.err());
        Result badDuration = brook("groups", "reset-offsets", "--group", "g", "--topic", "ro", "--by-duration",
                "an hour");
        assertEquals(2, badDuration.exitCode());
        assertEquals("brook: --by-duration 'an hour' is not an ISO-8601 duration such as PT1H or P1D",
                badDuration.err().trim());
    }

    @Test
    void aServerWithTooSmallACleanerBufferRefusesToStart() {
        Result refused = run("server", "--override", "log.dirs=" + new File(work, "data").getPath(), "--override",
                "log.cleaner.dedupe.buffer.size=1000", "--override", "listeners=PLAINTEXT://localhost:0");
        assertEquals(2, refused.exitCode(), refused.err());
        assertEquals("brook: invalid setting: Invalid value 1000 for configuration log.cleaner.dedupe.buffer.size: "
                + "must be at least 1 MiB per cleaner thread (log.cleaner.threads=1)", refused.err().trim());
    }

    @Test
    void aServerWhosePortIsTakenSaysWhichListenerAndAddress() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            ProcessBuilder server = new ProcessBuilder(new File(BrookFixture.ROOT, "bin/brook").getPath(), "server",
                    "--override", "log.dirs=" + new File(work, "taken").getPath(), "--override",
                    "listeners=PLAINTEXT://127.0.0.1:" + taken.getLocalPort());
            Processes.Output refused = Processes.exec(server, null, java.time.Duration.ofSeconds(90));
            assertEquals(1, refused.exitCode(), refused.all());
            String line = refused.stderr().lines().filter(l -> l.startsWith("brook: ")).findFirst().orElse("");
            assertTrue(line.startsWith("brook: the server could not start: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + " (the listener PLAINTEXT): ") && line.endsWith("; stop the other "
                    + "server or set --override listeners=PLAINTEXT://localhost:PORT"), refused.all());
        }
    }

    @Test
    void aServerRefusesLogDirsItCannotUse() throws Exception {
        String data = new File(work, "data").getPath();
        Result twice = run("server", "--override", "log.dirs=" + data + "," + data, "--override",
                "listeners=PLAINTEXT://localhost:0");
        assertEquals(1, twice.exitCode(), twice.err());
        assertEquals("brook: the server could not start: log directory " + data + " is listed twice in log.dirs",
                twice.err().trim());
        Result none = run("server", "--override", "log.dirs= , ", "--override", "listeners=PLAINTEXT://localhost:0");
        assertEquals(2, none.exitCode(), none.err());
        assertEquals("brook: invalid setting: Invalid value , for configuration log.dirs: names no directory; "
                + "give one or more paths separated by commas",
                none.err().trim());
        File a = new File(work, "cluster-a");
        File b = new File(work, "cluster-b");
        for (File dir : List.of(a, b)) {
            Files.createDirectories(dir.toPath());
            Files.writeString(new File(dir, "meta.properties").toPath(),
                    "version=1\nnode.id=1\ncluster.id=" + dir.getName() + "\n");
        }
        Result mixed = run("server", "--override", "log.dirs=" + a + "," + b, "--override",
                "listeners=PLAINTEXT://localhost:0");
        assertEquals(1, mixed.exitCode(), mixed.err());
        assertTrue(mixed.err().trim().startsWith("brook: the server could not start: The log directories " + a
                + " (cluster cluster-a) and " + b + " (cluster cluster-b) belong to different clusters"), mixed.err());
    }

    @Test
    void commandConfigAndOutputFlags() throws Exception {
        File props = new File(work, "client.properties");
        Files.writeString(props.toPath(), "client.id=from-command-config\nretries=3\n");
        Result created = brook("topics", "create", "--topic", "cc", "--command-config", props.getPath());
        assertEquals(0, created.exitCode(), created.err());
        File bad = new File(work, "bad.properties");
        Files.writeString(bad.toPath(), "security.protocol=CARRIER_PIGEON\n");
        Result refused = brook("topics", "list", "--command-config", bad.getPath());
        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().startsWith("brook: ") && refused.err().contains("CARRIER_PIGEON"), refused.err());
        Result missingFile = brook("topics", "list", "--command-config", new File(work, "nope").getPath());
        assertEquals(2, missingFile.exitCode());
        assertTrue(missingFile.err().startsWith("brook: ") && missingFile.err().contains("nope"), missingFile.err());
        Result badOutput = brook("topics", "list", "--output", "xml");
        assertEquals(2, badOutput.exitCode());
        Result unknownFlag = brook("topics", "list", "--colour");
        assertEquals(2, unknownFlag.exitCode());
        assertTrue(unknownFlag.err().contains("--colour"), unknownFlag.err());
        Result verbose = run("topics", "list", "--bootstrap-server", "localhost:1", "--verbose");
        assertEquals(1, verbose.exitCode());
        assertTrue(verbose.err().contains("cannot reach localhost:1")
                && verbose.err().contains("org.apache.kafka.common.errors.TimeoutException"),
                "--verbose adds the exception itself: " + verbose.err());
    }
}
