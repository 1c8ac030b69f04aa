package io.brook.tests;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Running the independent clients (kcat, kafkajs, python, Kafka's tools) as processes of their own.
 * Output goes to files, never to a pipe the test must drain, so the deadline of {@code waitFor} always
 * applies; a process that outlives it is killed with its children and the test fails with its output.
 */
final class Processes {
    /** How long a client run may take unless the caller says otherwise. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private Processes() {
    }

    /** What a finished process printed. */
    record Output(int exitCode, String stdout, String stderr) {
        /** Both streams, for failure messages. */
        String all() {
            return stdout + (stderr.isEmpty() ? "" : "\n[stderr]\n" + stderr);
        }
    }

    /** Runs a command to completion, feeding it {@code stdin}; fails unless it exits with 0. Returns its stdout. */
    static String run(List<String> command, String stdin) throws Exception {
        return run(new ProcessBuilder(command), stdin, DEFAULT_TIMEOUT);
    }

    /** Runs {@code builder}'s command within {@code timeout}; fails unless it exits with 0. Returns its stdout. */
    static String run(ProcessBuilder builder, String stdin, Duration timeout) throws Exception {
        Output output = exec(builder, stdin, timeout);
        if (output.exitCode() != 0) {
            throw new AssertionError(builder.command() + " exited with " + output.exitCode() + ":\n" + output.all());
        }
        return output.stdout();
    }

    /**
     * Runs {@code builder}'s command within {@code timeout} and returns what it printed and its exit code;
     * fails, after killing it and its children, if it does not finish in time.
     */
    static Output exec(ProcessBuilder builder, String stdin, Duration timeout) throws Exception {
        File out = File.createTempFile("brook-process-", ".out");
        File err = File.createTempFile("brook-process-", ".err");
        try {
            Process p = builder.redirectOutput(out).redirectError(err).start();
            try {
                if (stdin != null) {
                    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                p.getOutputStream().close();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill(p);
                    throw new AssertionError(builder.command() + " did not finish within " + timeout.toSeconds()
                            + " s; its output so far:\n" + new Output(-1, read(out), read(err)).all());
                }
            } finally {
                kill(p);
            }
            return new Output(p.exitValue(), read(out), read(err));
        } finally {
            Files.deleteIfExists(out.toPath());
            Files.deleteIfExists(err.toPath());
        }
    }

    /** SIGKILL to a process and everything it started; waits (bounded) for it to go. */
    static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Follows the output of a running process line by line, on a daemon thread, so a test can wait for
     * a line with a deadline instead of blocking in {@code readLine}.
     */
    static final class Lines {
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder seen = new StringBuilder();

        Lines(Process process) {
            Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)).lines().forEach(lines::add), "process-" + process.pid() + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for a line equal to {@code expected}; fails with everything read so far after {@code timeout}. */
        void await(String expected, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("no line \"" + expected + "\" within " + timeout.toSeconds()
                            + " s; the process printed:\n" + seen);
                }
                seen.append(line).append('\n');
                if (line.equals(expected)) {
                    return;
                }
            }
        }
    }

    private static String read(File file) throws IOException {
        return Files.readString(file.toPath(), StandardCharsets.UTF_8);
    }

    /** Whether kcat is installed; in CI (CI=true) its absence fails the test instead. */
    static boolean kcatAvailable() {
        return available("kcat", List.of("kcat", "-V"), "kcat");
    }

    /** Whether the Debian tool {@code name} runs ({@code name -V}); in CI its absence fails the test instead. */
    static boolean toolAvailable(String name) {
        return available(name, List.of(name, "-V"), name);
    }

    /** Debian's python with its librdkafka binding (package python3-confluent-kafka). */
    static final String DEBIAN_PYTHON = "/usr/bin/python3";

    /** Whether Debian's python3-confluent-kafka is installed; in CI its absence fails the test instead. */
    static boolean librdkafkaPythonAvailable() {
        return available("python3-confluent-kafka", List.of(DEBIAN_PYTHON, "-c", "import confluent_kafka"),
                "librdkafka");
    }

    /**
     * A librdkafka newer than Debian's, built from source by {@code compat/librdkafka/build.sh} (for what
     * Debian's 2.0.2 cannot do, such as the consumer group protocol of KIP-848), or null when it is not built;
     * in CI its absence fails the test instead. Debian's python binding loads it through LD_LIBRARY_PATH.
     */
    static File newerLibrdkafka() {
        File lib = new File(BrookFixture.ROOT, "compat/librdkafka/build/lib");
        boolean found = new File(lib, "librdkafka.so.1").isFile() && librdkafkaPythonAvailable();
        if (!found && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("librdkafka is not built: run compat/librdkafka/build.sh");
        }
        if (!found) {
            CompatMatrix.clientMissing("librdkafka 2.12");
        }
        return found ? lib : null;
    }

    /** A command of Debian's python with its librdkafka binding, loading the newer librdkafka. */
    static ProcessBuilder pythonWithNewerLibrdkafka(File lib, List<String> arguments) {
        ProcessBuilder builder = new ProcessBuilder(new java.util.ArrayList<>(List.of(DEBIAN_PYTHON)));
        builder.command().addAll(arguments);
        builder.environment().put("LD_LIBRARY_PATH", lib.getAbsolutePath());
        return builder;
    }

    /**
     * Whether {@code check} succeeds; in CI a failure fails the test instead, elsewhere the cells of
     * {@code client} in the compatibility matrix are marked not run for this run.
     */
    private static boolean available(String debianPackage, List<String> check, String client) {
        boolean found;
        try {
            found = exec(new ProcessBuilder(check), null, Duration.ofSeconds(30)).exitCode() == 0;
        } catch (Exception | AssertionError e) {
            found = false;
        }
        if (!found && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(debianPackage + " is required in CI (apt-get install " + debianPackage + ")");
        }
        if (!found) {
            CompatMatrix.clientMissing(client);
        }
        return found;
    }
}
