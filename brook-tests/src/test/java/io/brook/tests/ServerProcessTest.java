package io.brook.tests;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed tutorial and the console tools end to end, across a clean stop (SIGTERM) and start: kcat
 * (librdkafka) and Kafka's console producer, console consumer and topics tool. In CI kcat must
 * be installed; elsewhere its part is skipped when it is missing.
 */
class ServerProcessTest {
    private static final File ROOT = BrookFixture.ROOT;
    @TempDir
    File dataDir;
    BrookFixture brook;

    @AfterEach
    void stop() throws Exception {
        if (brook != null) {
            brook.close();
        }
    }

    private static String run(List<String> command, String stdin) throws Exception {
        return Processes.run(command, stdin);
    }

    private List<String> kafkaTool(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    @Test
    @Compat({
            "Kafka tools 4.3.1: kafka-topics",
            "Kafka tools 4.3.1: console producer and consumer",
            "Kafka tools 4.3.1: kafka-consumer-groups --describe",
            "Kafka tools 4.3.1: producer and consumer perf tools",
            "kcat: metadata",
            "kcat: produce and consume (keys, values, headers)",
            "kcat: compression none",
            "kcat: compression gzip",
            "kcat: compression snappy",
            "kcat: compression lz4",
            "kcat: compression zstd",
            "kcat: consumer group (classic protocol)"})
    void consoleToolsAndKcatWorkAgainstTheServerProcessAcrossARestart() throws Exception {
        brook = new BrookFixture(dataDir);
        String bootstrap = brook.bootstrap();

        run(kafkaTool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
                "--topic", "quickstart-events", "--partitions", "1"), null);
        String described = run(kafkaTool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap,
                "--describe", "--topic", "quickstart-events"), null);
        assertTrue(described.contains("PartitionCount: 1"), described);

        run(kafkaTool("org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap,
                "--topic", "quickstart-events"), "Hello, Kafka!\nThis is my first event\n");

        boolean kcat = Processes.kcatAvailable();
        if (kcat) {
            String metadata = run(List.of("kcat", "-b", bootstrap, "-L"), null);
            assertTrue(metadata.contains("broker 1 at " + bootstrap), metadata);
            assertTrue(metadata.contains("topic \"quickstart-events\" with 1 partitions"), metadata);
            run(List.of("kcat", "-b", bootstrap, "-P", "-t", "quickstart-events", "-K:", "-H", "source=kcat",
                    "-z", "lz4"), "key1:from kcat\n");
        }

        String consumed = run(kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server",
                bootstrap, "--topic", "quickstart-events", "--partition", "0", "--from-beginning",
                "--max-messages", kcat ? "3" : "2", "--timeout-ms", "20000"), null);
        assertTrue(consumed.startsWith("Hello, Kafka!\nThis is my first event\n"), consumed);

        // a consumer group: Kafka's console consumer subscribes, kafka-consumer-groups describes it
        String grouped = run(kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server",
                bootstrap, "--topic", "quickstart-events", "--group", "quickstart-group", "--from-beginning",
                "--max-messages", "2", "--timeout-ms", "30000"), null);
        assertTrue(grouped.startsWith("Hello, Kafka!\nThis is my first event\n"), grouped);
        String groups = run(kafkaTool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server", bootstrap, "--describe", "--group", "quickstart-group"), null);
        assertTrue(groups.contains("quickstart-events") && groups.contains("quickstart-group"), groups);
        if (kcat) {
            String viaGroup = run(List.of("kcat", "-b", bootstrap, "-G", "kcat-group", "-X", "auto.offset.reset=earliest",
                    "-e", "-q", "-f", "%s\n", "quickstart-events"), null);
            assertTrue(viaGroup.contains("Hello, Kafka!") && viaGroup.contains("from kcat"), viaGroup);
        }

        if (kcat) {
            // every codec librdkafka speaks, produced and read back by kcat
            for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
                run(List.of("kcat", "-b", bootstrap, "-P", "-t", "codecs", "-p", "0", "-z", codec, "-K:"),
                        codec + ":" + codec + "-value\n");
            }
            String codecs = run(List.of("kcat", "-b", bootstrap, "-C", "-t", "codecs", "-p", "0", "-o", "beginning",
                    "-e", "-q", "-f", "%k=%s\n"), null);
            assertEquals("none=none-value\ngzip=gzip-value\nsnappy=snappy-value\nlz4=lz4-value\nzstd=zstd-value\n",
                    codecs);
        }
        // Kafka's perf tools
        String perf = run(kafkaTool("org.apache.kafka.tools.ProducerPerformance", "--topic", "perf",
                "--num-records", "20000", "--record-size", "100", "--throughput", "-1", "--producer-props",
                "bootstrap.servers=" + bootstrap), null);
        assertTrue(perf.contains("20000 records sent"), perf);
        String consumerPerf = run(kafkaTool("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
                bootstrap, "--topic", "perf", "--messages", "20000", "--timeout", "60000"), null);
        assertTrue(consumerPerf.contains("20000"), consumerPerf);

        // the seed tutorial with brook itself: a consumer follows the topic, a producer sends to it
        String brookCli = new File(ROOT, "bin/brook").getPath();
        run(List.of(brookCli, "topics", "create", "--topic", "test-topic", "--partitions", "1",
                "--bootstrap-server", bootstrap), null);
        Process follower = new ProcessBuilder(brookCli, "consume", "--topic", "test-topic", "--from-beginning",
                "--bootstrap-server", bootstrap).redirectErrorStream(true).start();
        BlockingQueue<String> followed = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(follower.getInputStream(),
                StandardCharsets.UTF_8)).lines().forEach(followed::add), "follower-output");
        reader.setDaemon(true);
        reader.start();
        run(List.of(brookCli, "produce", "--topic", "test-topic", "--bootstrap-server", bootstrap), "Hello, Kafka!\n");
        assertEquals("Hello, Kafka!", followed.poll(60, TimeUnit.SECONDS), "the running consumer prints the record");
        // Ctrl-C / SIGTERM: the consumer stops and says how many records it read
        run(List.of("kill", "-TERM", String.valueOf(follower.pid())), null);
        assertTrue(follower.waitFor(30, TimeUnit.SECONDS));
        assertEquals("Processed 1 records.", followed.poll(10, TimeUnit.SECONDS));

        brook.stop(); // SIGTERM: clean shutdown
        assertTrue(new File(dataDir, ".kafka_cleanshutdown").exists(), "clean-shutdown marker written");
        assertTrue(Files.size(new File(dataDir, "quickstart-events-0/00000000000000000000.log").toPath()) > 0);

        brook.start();
        if (kcat) {
            String again = run(List.of("kcat", "-b", bootstrap, "-C", "-t", "quickstart-events", "-e", "-q",
                    "-f", "%o|%k|%s|%h\\n"), null);
            assertEquals("0||Hello, Kafka!|\n1||This is my first event|\n2|key1|from kcat|source=kcat\n", again);
        } else {
            String again = run(kafkaTool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server",
                    bootstrap, "--topic", "quickstart-events", "--partition", "0", "--from-beginning",
                    "--max-messages", "2", "--timeout-ms", "20000"), null);
            assertEquals("Hello, Kafka!\nThis is my first event\n", again);
        }
    }
}
