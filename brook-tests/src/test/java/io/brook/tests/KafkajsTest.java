package io.brook.tests;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kafkajs (Node.js, pinned in compat/kafkajs/package-lock.json) against Brook: admin, an
 * idempotent producer, a consumer group run loop, offsets, topic deletion. {@code .ci/run}
 * installs it with {@code npm ci}; in CI a missing install fails the test, elsewhere it is skipped.
 */
@Timeout(300)
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

    /**
     * kafkajs consume-transform-produce inside a live group: the member's eachBatch sends in a transaction
     * and commits the input offsets with sendOffsets (TxnOffsetCommit v1, without member fields).
     */
    @Test
    @Compat({"kafkajs 2.2.4: sendOffsets in a live consumer group (consume-transform-produce)"})
    void kafkajsConsumeTransformProduceInALiveGroup() throws Exception {
        String output = runScript("ctp.js", "40");
        assertTrue(output.contains("member: transformed 40 records in transactions"), output);
        assertTrue(output.contains("admin: the group committed every input offset through the transactions"), output);
    }

    /** Runs a script of compat/kafkajs against a fresh node; returns its output once it exited 0. */
    private String runScript(String script, String... args) throws Exception {
        boolean installed = new File(DIR, "node_modules/kafkajs").isDirectory();
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        Assumptions.assumeTrue(installed, "kafkajs not installed (npm ci in compat/kafkajs)");
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            ProcessBuilder builder = new ProcessBuilder("node", script, brook.bootstrap()).directory(DIR);
            builder.command().addAll(List.of(args));
            builder.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            return Processes.run(builder, null, Duration.ofSeconds(120));
        }
    }
}
