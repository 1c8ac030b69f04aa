package io.brook.tests;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code brook produce} in a real terminal (a tmux pane): it prompts with {@code >} for each
 * line, sends what is typed, and on Ctrl-D prints its summary. tmux is required in CI.
 */
class TerminalProducerTest {
    private static final File ROOT = new File("..").getAbsoluteFile();

    @TempDir
    File dataDir;

    @Test
    void theInteractiveProducerPromptsSendsAndSummarises() throws Exception {
        assumeTrue(Processes.toolAvailable("tmux"), "tmux is not installed");
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String session = "brook-test-" + ProcessHandle.current().pid();
            String command = new File(ROOT, "bin/brook").getPath() + " produce --topic typed --bootstrap-server "
                    + brook.bootstrap() + "; echo \"exit status $?\"; sleep 60";
            Processes.run(List.of("tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "20", command), null);
            try {
                // capture-pane drops trailing blanks: an empty prompt line reads ">"
                waitForPane(session, pane -> prompts(pane) == 1);
                Processes.run(List.of("tmux", "send-keys", "-t", session, "Hello from a terminal", "Enter"), null);
                waitForPane(session, pane -> prompts(pane) == 2); // typed ahead, the echo would interleave
                Processes.run(List.of("tmux", "send-keys", "-t", session, "and a second line", "Enter"), null);
                String typed = waitForPane(session, pane -> prompts(pane) == 3);
                assertTrue(typed.contains("> Hello from a terminal\n> and a second line\n>"), typed);
                Processes.run(List.of("tmux", "send-keys", "-t", session, "C-d"), null);
                String done = waitForPane(session, pane -> pane.contains("exit status"));
                assertTrue(done.contains("Sent 2 records (38 bytes) to typed; 0 failed."), done);
                assertTrue(done.contains("exit status 0"), done);
            } finally {
                new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor();
            }
            assertEquals(List.of("Hello from a terminal", "and a second line"), readAll(brook, "typed"));
        }
    }

    private static long prompts(String pane) {
        return pane.lines().filter(line -> line.startsWith(">")).count();
    }

    private static String waitForPane(String session, Predicate<String> condition) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        String pane = "";
        while (System.currentTimeMillis() < deadline) {
            pane = Processes.run(List.of("tmux", "capture-pane", "-p", "-t", session), null);
            if (condition.test(pane)) {
                return pane;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the terminal never showed what was expected:\n" + pane);
    }

    private static List<String> readAll(BrookFixture brook, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 20_000;
            while (values.size() < 2 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
