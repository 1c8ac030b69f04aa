package io.brook.tests;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running the independent clients (kcat, Kafka's tools) as processes of their own. */
final class Processes {
    private Processes() {
    }

    /** Runs a command to completion, feeding it {@code stdin}; fails unless it exits with 0. Returns its stdout. */
    static String run(List<String> command, String stdin) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "command timed out: " + command);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), command + " failed: " + err);
        return new String(output, StandardCharsets.UTF_8);
    }

    /** Whether kcat is installed; in CI (CI=true) its absence fails the test instead. */
    static boolean kcatAvailable() {
        return toolAvailable("kcat");
    }

    /** Whether the Debian tool {@code name} runs ({@code name -V}); in CI its absence fails the test instead. */
    static boolean toolAvailable(String name) {
        return available(name, List.of(name, "-V"));
    }

    /** Debian's python with its librdkafka binding (package python3-confluent-kafka). */
    static final String DEBIAN_PYTHON = "/usr/bin/python3";

    /** Whether Debian's python3-confluent-kafka is installed; in CI its absence fails the test instead. */
    static boolean librdkafkaPythonAvailable() {
        return available("python3-confluent-kafka", List.of(DEBIAN_PYTHON, "-c", "import confluent_kafka"));
    }

    private static boolean available(String debianPackage, List<String> check) {
        boolean found;
        try {
            found = new ProcessBuilder(check).start().waitFor() == 0;
        } catch (Exception e) {
            found = false;
        }
        if (!found && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(debianPackage + " is required in CI (apt-get install " + debianPackage + ")");
        }
        return found;
    }
}
