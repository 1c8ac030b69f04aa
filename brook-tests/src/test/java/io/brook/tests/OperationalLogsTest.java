package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's own logs, as an operator reads them: logs/server.log (Log4j2, config/log4j2.properties),
 * one WARN per setting without effect, secrets never written, rotation, levels changed at run time with
 * Kafka's kafka-configs --entity-type broker-loggers, and a clear refusal of a broken logging config.
 */
@Timeout(180)
class OperationalLogsTest {
    @TempDir
    File dataDir;
    @TempDir
    File scratch;

    @Test
    void settingsWithoutEffectAreWarnedAboutAndSecretsNeverWritten() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of("log.retention.hour", "5",
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "num.replica.fetchers", "2",
                "ssl.keystore.password", "hunter2-keystore",
                "listener.name.plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"pw-in-jaas\";"))) {
            String log = serverLog(brook);
            assertTrue(log.contains("WARN The configuration 'log.retention.hour' was supplied but isn't a known "
                    + "config."), log);
            assertTrue(log.contains("WARN The setting num.replica.fetchers has no effect yet: a broker runs one "
                    + "replica fetcher thread per leader broker"), log);
            assertFalse(log.contains("ssl.keystore.password has no effect"), "TLS settings take effect: " + log);
            assertFalse(log.contains("The setting authorizer.class.name has no effect"), "ACLs are honoured");
            assertTrue(log.contains("INFO Starting Brook "), log);
            assertTrue(log.contains("INFO Brook configuration values:"), log);
            assertTrue(log.contains("\tlog.dirs = " + dataDir.getAbsolutePath()), log);
            assertFalse(log.contains("hunter2-keystore"), "a password reached server.log");
            assertFalse(log.contains("pw-in-jaas"), "a JAAS password reached server.log");
        }
    }

    @Test
    @Compat("Kafka tools 4.3.1: kafka-configs --entity-type broker-loggers")
    void loggerLevelsChangeAtRunTime() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            File requestLog = new File(brook.logDir(), "kafka-request.log");
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertFalse(contents(requestLog).contains("Completed request"), "the request logger is off by default");

            ConfigResource loggers = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");
            Config described = admin.describeConfigs(List.of(loggers)).all().get(30, TimeUnit.SECONDS).get(loggers);
            assertEquals("WARN", described.get("kafka.request.logger").value());
            assertEquals("INFO", described.get("root").value());

            String altered = KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", "--bootstrap-server",
                    brook.bootstrap(), "--entity-type", "broker-loggers", "--entity-name", "1", "--alter",
                    "--add-config", "kafka.request.logger=DEBUG");
            assertTrue(altered.contains("Completed updating config"), altered);
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
            String requests = awaitContent(requestLog, "Completed request METADATA");
            assertTrue(requests.contains("DEBUG Completed request METADATA"), requests);

            // bad changes get Kafka's errors and change nothing
            assertFails(InvalidConfigurationException.class, admin, loggers, "kafka.request.logger", "LOUD",
                    AlterConfigOp.OpType.SET);
            assertFails(InvalidConfigurationException.class, admin, loggers, "no.such.logger", "DEBUG",
                    AlterConfigOp.OpType.SET);
            assertFails(InvalidRequestException.class, admin, loggers, "root", null, AlterConfigOp.OpType.DELETE);
            assertFails(InvalidRequestException.class, admin, loggers, "root", "DEBUG", AlterConfigOp.OpType.APPEND);

            // back to its parent's level (INFO): the request lines stop
            admin.incrementalAlterConfigs(Map.of(loggers, List.of(new AlterConfigOp(new ConfigEntry(
                    "kafka.request.logger", null), AlterConfigOp.OpType.DELETE)))).all().get(30, TimeUnit.SECONDS);
            described = admin.describeConfigs(List.of(loggers)).all().get(30, TimeUnit.SECONDS).get(loggers);
            assertEquals("INFO", described.get("kafka.request.logger").value());
            int lines = contents(requestLog).split("\n").length;
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
            Thread.sleep(500);
            assertEquals(lines, contents(requestLog).split("\n").length, "no request lines at INFO");
        }
    }

    @Test
    void theServerLogRollsAndKeepsABoundedNumberOfFiles() throws Exception {
        File config = new File(scratch, "tiny-log4j2.properties");
        String shipped = Files.readString(new File(BrookFixture.ROOT, "config/log4j2.properties").toPath());
        Files.writeString(config.toPath(), shipped
                .replace("appender.server.policies.size.size = 100MB", "appender.server.policies.size.size = 2KB")
                .replace("appender.server.strategy.delete.name.count.exceeds = 10",
                        "appender.server.strategy.delete.name.count.exceeds = 3"));
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of(), 0,
                Map.of("BROOK_LOG4J_OPTS", "-Dlog4j2.configurationFile=" + config.getAbsolutePath()));
             Admin admin = brook.admin()) {
            for (int i = 0; i < 40; i++) { // each creation is an INFO line of about 150 bytes
                admin.createTopics(List.of(new NewTopic("rolled-" + i, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            File[] rolled = brook.logDir().listFiles((dir, name) -> name.startsWith("server.log."));
            assertTrue(rolled != null && rolled.length >= 1, "server.log rolled at 2 KB");
            assertTrue(rolled.length <= 3, "at most 3 rolled files are kept: " + List.of(rolled));
            assertTrue(new File(brook.logDir(), "server.log").length() < 4096, "the current file is small");
        }
    }

    @Test
    void aBrokenLoggingConfigStopsTheStartWithOneClearLine() throws Exception {
        File config = new File(scratch, "broken.properties");
        Files.writeString(config.toPath(), "appender.x.type = NoSuchAppender\nappender.x.name = X\n"
                + "rootLogger.appenderRef.x.ref = X\n");
        ProcessBuilder server = new ProcessBuilder(new File(BrookFixture.ROOT, "bin/brook").getPath(), "server",
                "--override", "log.dirs=" + dataDir.getAbsolutePath(), "--override", "listeners=PLAINTEXT://localhost:0");
        server.environment().put("BROOK_LOG4J_OPTS", "-Dlog4j2.configurationFile=" + config.getAbsolutePath());
        server.environment().put("LOG_DIR", new File(scratch, "logs").getPath());
        Processes.Output output = Processes.exec(server, null, Duration.ofSeconds(60));
        assertEquals(2, output.exitCode(), output.all());
        String last = output.stderr().strip().lines().reduce((a, b) -> b).orElse("");
        assertEquals("brook: cannot use the logging configuration: " + config.getAbsolutePath()
                + ": Unable to locate plugin type for NoSuchAppender; fix it, or point BROOK_LOG4J_OPTS at another "
                + "(-Dlog4j2.configurationFile=FILE)", last);
        assertFalse(output.stdout().contains("Brook listening"), "the node did not start");

        File missing = new File(scratch, "missing.properties");
        server.environment().put("BROOK_LOG4J_OPTS", "-Dlog4j2.configurationFile=" + missing.getAbsolutePath());
        output = Processes.exec(server, null, Duration.ofSeconds(60));
        assertEquals(2, output.exitCode(), output.all());
        assertEquals("brook: cannot use the logging configuration: " + missing.getAbsolutePath() + " does not exist; "
                + "fix it, or point BROOK_LOG4J_OPTS at another (-Dlog4j2.configurationFile=FILE)",
                output.stderr().strip().lines().reduce((a, b) -> b).orElse(""));
    }

    private static void assertFails(Class<? extends Exception> expected, Admin admin, ConfigResource loggers,
                                    String logger, String level, AlterConfigOp.OpType op) {
        ExecutionException failed = assertThrows(ExecutionException.class, () -> admin.incrementalAlterConfigs(Map.of(
                loggers, List.of(new AlterConfigOp(new ConfigEntry(logger, level), op)))).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(expected, failed.getCause(), logger + " " + op + " " + level);
    }

    private static String serverLog(BrookFixture brook) throws Exception {
        return awaitContent(new File(brook.logDir(), "server.log"), "started in");
    }

    /** The file's content once it contains {@code expected}; fails after a deadline. */
    private static String awaitContent(File file, String expected) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        String content = contents(file);
        while (!content.contains(expected) && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            content = contents(file);
        }
        assertTrue(content.contains(expected), "no \"" + expected + "\" in " + file + ":\n" + content);
        return content;
    }

    private static String contents(File file) throws Exception {
        return file.isFile() ? Files.readString(file.toPath(), StandardCharsets.UTF_8) : "";
    }
}
