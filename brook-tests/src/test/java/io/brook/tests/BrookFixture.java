package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code bin/brook server} process over a given data directory, plus client factories.
 * The first start takes a free port; restarts keep it, so clients can ride through a restart.
 * The server's output goes to {@code target/server-logs/}, and into the failure message when it
 * does not start.
 */
final class BrookFixture implements AutoCloseable {
    static final File ROOT = new File("..").getAbsoluteFile();
    private static final File LOGS = new File("target/server-logs").getAbsoluteFile();
    private static final long START_TIMEOUT_MS = 120_000;
    private static final long STOP_TIMEOUT_S = 60;
    private static final Pattern LISTENING = Pattern.compile("Brook listening on [^:]+:(\\d+) \\(cluster ([^,]+),");

    private final File dataDir;
    private final Map<String, String> overrides;
    private final File logFile;
    /** The server's LOG_DIR: its logs/server.log. */
    private final File logDir;
    /** Environment variables of the server process beyond the defaults (BROOK_LOG4J_OPTS, say). */
    private final Map<String, String> environment;
    /** The open-files limit ({@code ulimit -n}) of the server process, or 0 to inherit the test's. */
    private final int openFileLimit;
    private int port;
    private String clusterId;
    private Process server;
    private Thread killOnExit;

    BrookFixture(File dataDir, Map<String, String> overrides) throws Exception {
        this(dataDir, overrides, 0);
    }

    BrookFixture(File dataDir, Map<String, String> overrides, int openFileLimit) throws Exception {
        this(dataDir, overrides, openFileLimit, Map.of());
    }

    /** A server whose process also gets {@code environment} (BROOK_LOG4J_OPTS, say). */
    BrookFixture(File dataDir, Map<String, String> overrides, int openFileLimit, Map<String, String> environment)
            throws Exception {
        this.dataDir = dataDir;
        this.overrides = overrides;
        this.openFileLimit = openFileLimit;
        this.environment = Map.copyOf(environment);
        Files.createDirectories(LOGS.toPath());
        this.logFile = File.createTempFile("brook-server-", ".log", LOGS);
        this.logDir = new File(LOGS, logFile.getName().replaceFirst("\\.log$", ""));
        start();
    }

    BrookFixture(File dataDir) throws Exception {
        this(dataDir, Map.of());
    }

    /** Starts the server process and waits until it listens. */
    void start() throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listeners", "PLAINTEXT://localhost:" + port);
        settings.put("log.dirs", dataDir.getAbsolutePath());
        settings.put("num.io.threads", "4");
        settings.put("num.network.threads", "2");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("offsets.topic.num.partitions", "5");
        settings.put("transaction.state.log.num.partitions", "5");
        settings.putAll(overrides);
        List<String> command = new ArrayList<>();
        if (openFileLimit > 0) {
            command.addAll(List.of("bash", "-c", "ulimit -n " + openFileLimit + " && exec \"$0\" \"$@\""));
        }
        command.addAll(List.of(new File(ROOT, "bin/brook").getPath(), "server"));
        settings.forEach((key, value) -> command.addAll(List.of("--override", key + "=" + value)));

        long logStart = logFile.length();
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile));
        builder.environment().put("BROOK_JAVA_OPTS", "-Xms64m -Xmx1g -XX:+ExitOnOutOfMemoryError");
        builder.environment().put("LOG_DIR", logDir.getPath()); // server.log of this server only
        builder.environment().putAll(environment);
        server = builder.start();
        Process started = server;
        killOnExit = new Thread(started::destroyForcibly, "brook-server-kill");
        Runtime.getRuntime().addShutdownHook(killOnExit);

        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (true) {
            Matcher listening = LISTENING.matcher(output(logStart));
            if (listening.find()) {
                port = Integer.parseInt(listening.group(1));
                clusterId = listening.group(2);
                return;
            }
            if (!server.isAlive() || System.currentTimeMillis() > deadline) {
                server.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
                throw new AssertionError("bin/brook server did not start (exit "
                        + (server.isAlive() ? "none" : server.exitValue()) + "):\n" + output(logStart));
            }
            Thread.sleep(50);
        }
    }

    /** SIGTERM, as an operator stops it: a clean shutdown. Fails if it does not exit in time. */
    void stop() throws Exception {
        server.destroy();
        boolean exited = server.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
        forget();
        if (!exited) {
            server.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            throw new AssertionError("bin/brook server did not stop within " + STOP_TIMEOUT_S + " s");
        }
    }

    /** SIGKILL: the process dies at once, without a clean shutdown (the page cache keeps what it wrote). */
    void kill() throws Exception {
        server.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
        forget();
    }

    /** Whether the server process is alive (it may be paused by SIGSTOP). */
    boolean running() {
        return server != null && server.isAlive();
    }

    /**
     * Makes the server serve again whatever the last test left: a process that is alive gets a SIGCONT (harmless
     * unless a test left it SIGSTOPped), a dead or stopped one is started on the same data directory and port.
     */
    void ensureRunning() throws Exception {
        if (running()) {
            resume();
        } else {
            start();
        }
    }

    /** SIGCONT: a SIGSTOPped server goes on (a running one does not notice). */
    void resume() throws Exception {
        Processes.run(List.of("kill", "-CONT", String.valueOf(pid())), null);
    }

    /** Stops cleanly and starts again on the same data directory and port. */
    void restart() throws Exception {
        stop();
        start();
    }

    private void forget() {
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private String output(long from) throws IOException {
        byte[] all = Files.readAllBytes(logFile.toPath());
        int start = (int) Math.min(from, all.length);
        return new String(all, start, all.length - start, StandardCharsets.UTF_8);
    }

    /** The server's log directory (LOG_DIR), where its server.log is. */
    File logDir() {
        return logDir;
    }

    String bootstrap() {
        return "localhost:" + port;
    }

    /** The server's process id (bin/brook execs java, so this is the JVM's). */
    long pid() {
        return server.pid();
    }

    /** The file the server's output goes to (every start of this fixture appends to it). */
    File logFile() {
        return logFile;
    }

    String clusterId() {
        return clusterId;
    }

    Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return Admin.create(props);
    }

    KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putAll(extra);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(extra);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() throws Exception {
        if (server.isAlive()) {
            stop();
        }
    }
}
