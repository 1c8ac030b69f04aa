package io.brook.tests;

import io.brook.cli.BrookCli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The brook command's client subcommands against a {@code bin/brook server} process. */
class CliTest {
    @TempDir
    File dataDir;
    @TempDir
    File work;
    BrookFixture brook;

    record Result(int exitCode, String out, String err) {
    }

    @BeforeEach
    void start() throws Exception {
        brook = new BrookFixture(dataDir);
    }

    @AfterEach
    void stop() throws Exception {
        brook.close();
    }

    private Result brook(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        String[] full = new String[args.length + 1];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--bootstrap-server=" + brook.bootstrap();
        int code = cli.execute(full);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void theTutorialFlowWithBrook() throws Exception {
        Result created = brook("topics", "create", "--topic", "quickstart-events", "--partitions", "2",
                "--config", "retention.ms=3600000");
        assertEquals(0, created.exitCode(), created.err());
        assertEquals(1, brook("topics", "create", "--topic", "quickstart-events").exitCode());
        assertEquals(0, brook("topics", "create", "--topic", "quickstart-events", "--if-not-exists").exitCode());
        assertTrue(brook("topics", "list").out().contains("quickstart-events"));

        File input = new File(work, "events.txt");
        Files.writeString(input.toPath(), "k1:Hello, Kafka!\nk2:This is my first event\nno separator here\n");
        Result produced = brook("produce", "--topic", "quickstart-events", "--file", input.getPath(),
                "--key-separator", ":", "--header", "source=cli", "--partition", "1");
        assertEquals(1, produced.exitCode(), "a line without the separator counts as a failure");
        assertTrue(produced.err().contains("Sent 2 records"), produced.err());

        Result consumed = brook("consume", "--topic", "quickstart-events", "--from-beginning", "--max-messages", "2",
                "--format", "json");
        assertEquals(0, consumed.exitCode(), consumed.err());
        assertTrue(consumed.out().contains("\"key\":\"k1\",\"value\":\"Hello, Kafka!\",\"headers\":{\"source\":\"cli\"}"),
                consumed.out());
        assertTrue(consumed.err().contains("Processed 2 records."));

        Result grouped = brook("consume", "--topic", "quickstart-events", "--group", "readers", "--from-beginning",
                "--max-messages", "2", "--format", "kv");
        assertEquals("k1\tHello, Kafka!\nk2\tThis is my first event\n", grouped.out());
        Result described = brook("groups", "describe", "--group", "readers");
        assertTrue(described.out().contains("Total lag: 0"), described.out());
        assertTrue(brook("groups", "list").out().contains("readers"));
        assertTrue(brook("groups", "describe", "--group", "readers", "--output", "json").out().contains("\"totalLag\":0"));
        assertTrue(brook("groups", "list", "--output", "json").out().contains("{\"group\":\"readers\",\"state\":\"Empty\"}"));

        Result topic = brook("topics", "describe", "--topic", "quickstart-events");
        assertTrue(topic.out().contains("PartitionCount: 2") && topic.out().contains("retention.ms=3600000")
                && topic.out().contains("Offsets: 0-2"), topic.out());
        assertEquals(0, brook("topics", "alter", "--topic", "quickstart-events", "--partitions", "3",
                "--delete-config", "retention.ms").exitCode());
        assertTrue(brook("topics", "describe", "--topic", "quickstart-events").out().contains("PartitionCount: 3"));
        Result plan = brook("groups", "reset-offsets", "--group", "readers", "--topic", "quickstart-events",
                "--to-earliest");
        assertEquals(0, plan.exitCode(), plan.err());
        assertTrue(plan.out().contains("quickstart-events\t1\t2\t0") && plan.out().contains("Dry run"), plan.out());
        assertTrue(brook("groups", "describe", "--group", "readers").out().contains("Total lag: 0"), "dry run");
        assertEquals(0, brook("groups", "reset-offsets", "--group", "readers", "--topic", "quickstart-events",
                "--shift-by", "-1", "--execute").exitCode());
        assertTrue(brook("groups", "describe", "--group", "readers").out().contains("Total lag: 1"));
        assertEquals(0, brook("groups", "delete", "--group", "readers").exitCode());
        assertEquals(0, brook("topics", "delete", "--topic", "quickstart-events").exitCode());
        assertEquals(0, brook("topics", "delete", "--topic", "quickstart-events", "--if-exists").exitCode());
    }

    @Test
    void errorsAreOneLineWithAHint() {
        Result unknown = brook("topics", "describe", "--topic", "nope");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().startsWith("brook: that topic does not exist") && unknown.err().contains(
                "brook topics list"), unknown.err());
        assertEquals(1, unknown.err().trim().split("\n").length, "one line");

        Result usage = brook("topics", "create");
        assertEquals(2, usage.exitCode());
        assertTrue(usage.err().contains("Missing required option"), usage.err());

        Result badConfig = brook("topics", "create", "--topic", "x", "--config", "novalue");
        assertEquals(2, badConfig.exitCode(), badConfig.err());

        StringWriter err = new StringWriter();
        int code = BrookCli.commandLine().setErr(new PrintWriter(err)).execute("topics", "list",
                "--bootstrap-server", "localhost:1");
        assertEquals(1, code);
        assertTrue(err.toString().contains("cannot reach localhost:1 - is the server running? Start one with "
                + "bin/brook server"), err.toString());
    }

    @Test
    void resetOffsetsRefusesWhileTheGroupIsActive() throws Exception {
        assertEquals(0, brook("topics", "create", "--topic", "busy").exitCode());
        try (var consumer = brook.consumer(java.util.Map.of("group.id", "active"))) {
            consumer.subscribe(java.util.List.of("busy"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.assignment().isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(100));
            }
            Result refused = brook("groups", "reset-offsets", "--group", "active", "--topic", "busy", "--to-latest",
                    "--execute");
            assertEquals(2, refused.exitCode());
            assertTrue(refused.err().contains("active member"), refused.err());
        }
    }

    @Test
    void configsAndCluster() {
        assertEquals(0, brook("topics", "create", "--topic", "tuned").exitCode());
        assertEquals(0, brook("configs", "alter", "--topic", "tuned", "--add-config", "retention.ms=60000",
                "--add-config", "max.message.bytes=2048").exitCode());
        Result described = brook("configs", "describe", "--topic", "tuned");
        assertTrue(described.out().contains("retention.ms=60000\t(DYNAMIC_TOPIC_CONFIG)"), described.out());
        assertEquals(0, brook("configs", "alter", "--topic", "tuned", "--delete-config", "retention.ms").exitCode());
        assertTrue(!brook("configs", "describe", "--topic", "tuned").out().contains("retention.ms="));
        assertTrue(brook("configs", "describe", "--broker", "1", "--all").out().contains("num.partitions=1"));
        Result refused = brook("configs", "alter", "--broker", "1", "--add-config", "num.partitions=3");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("server.properties"), refused.err());
        Result clusterJson = brook("cluster", "--output", "json");
        assertTrue(clusterJson.out().contains("\"controller\":1") && clusterJson.out().contains("\"offlinePartitions\":0"),
                clusterJson.out());
        assertTrue(brook("topics", "list", "--output", "json").out().contains("\"tuned\""));
        assertTrue(brook("topics", "describe", "--topic", "tuned", "--output", "json").out()
                .contains("\"partitions\":[{\"partition\":0,\"leader\":1"));
        assertTrue(brook("configs", "describe", "--topic", "tuned", "--output", "json").out()
                .contains("{\"name\":\"max.message.bytes\",\"value\":\"2048\",\"source\":\"DYNAMIC_TOPIC_CONFIG\"}"));
        Result cluster = brook("cluster");
        assertEquals(0, cluster.exitCode(), cluster.err());
        assertTrue(cluster.out().contains("Controller: 1") && cluster.out().contains("Offline: 0")
                && cluster.out().contains("Under-replicated: 0"), cluster.out());
    }

    @Test
    void perfProducesAndConsumes() {
        assertEquals(0, brook("topics", "create", "--topic", "bench", "--partitions", "2").exitCode());
        Result produced = brook("perf", "produce", "--topic", "bench", "--records", "5000", "--record-size", "50",
                "--json");
        assertEquals(0, produced.exitCode(), produced.err());
        assertTrue(produced.out().startsWith("{\"records\":5000,\"failed\":0,") && produced.out().contains("\"p99\":"),
                produced.out());
        Result consumed = brook("perf", "consume", "--topic", "bench", "--records", "5000");
        assertEquals(0, consumed.exitCode(), consumed.err());
        assertTrue(consumed.out().startsWith("5000 records (250000 bytes) read"), consumed.out());
        Result e2e = brook("perf", "e2e", "--topic", "bench", "--records", "50", "--json");
        assertEquals(0, e2e.exitCode(), e2e.err());
        assertTrue(e2e.out().startsWith("{\"records\":50,\"latency_ms\":{\"p50\":"), e2e.out());
    }
}
