package io.brook.tests;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kafkajs (Node.js, pinned in compat/kafkajs/package-lock.json) against Brook: admin, an
 * idempotent producer, a consumer group run loop, offsets, topic deletion. {@code .ci/run}
 * installs it with {@code npm ci}; in CI a missing install fails the test, elsewhere it is skipped.
 */
class KafkajsTest {
    private static final File DIR = new File("../compat/kafkajs").getAbsoluteFile();
    @TempDir
    File dataDir;

    @Test
    @Compat({
            "kafkajs 2.2.4: admin: topics",
            "kafkajs 2.2.4: produce and consume (keys, values, headers)",
            "kafkajs 2.2.4: idempotent producer",
            "kafkajs 2.2.4: consumer group (classic protocol)"})
    void kafkajsSmoke() throws Exception {
        assertTrue(runScript("smoke.js").contains("consumer: group read all 50 records"));
    }

    @Test
    @Compat({"kafkajs 2.2.4: transactions", "kafkajs 2.2.4: read_committed"})
    void kafkajsTransactions() throws Exception {
        String output = runScript("txn.js");
        assertTrue(output.contains("consumer: read_committed saw exactly the 3 committed records"), output);
        assertTrue(output.contains("admin: offsets committed in the transaction are visible"), output);
    }

    /** Runs a script of compat/kafkajs against a fresh node; returns its output once it exited 0. */
    private String runScript(String script) throws Exception {
        boolean installed = new File(DIR, "node_modules/kafkajs").isDirectory();
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(installed, "kafkajs not installed (npm ci in compat/kafkajs)");
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            ProcessBuilder builder = new ProcessBuilder("node", script, brook.bootstrap()).directory(DIR)
                    .redirectErrorStream(true);
            builder.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            Process node = builder.start();
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(node.waitFor(120, TimeUnit.SECONDS), script + " timed out: " + output);
            assertEquals(0, node.exitValue(), output);
            return output;
        }
    }
}
