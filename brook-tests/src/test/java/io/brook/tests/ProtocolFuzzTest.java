package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes a real {@code bin/brook server} with generated and mutated frames of every API and
 * version it advertises (see {@link ProtocolFuzzer}), over several connections at once, while a
 * well-behaved producer and consumer keep using it. The server must never exit, never leave a
 * request unanswered on an open connection, keep its memory bounded, and keep serving the
 * well-behaved clients.
 *
 * <p>The CI run lasts {@value #CI_SECONDS} s: a few hundred thousand frames on an idle 2-core machine (about
 * 14,000 frames/s), so each of the ~220 advertised API versions gets on the order of a thousand generated and
 * mutated frames. On a machine so loaded that fewer than {@value #CI_MIN_FRAMES} frames were sent by then, it goes on
 * until they were, for at most {@value #CI_MAX_SECONDS} s; at least 10,000 frames are required. The same test with
 * {@code -Dbrook.fuzz.seconds=60} is the round CI ran before. A long run: {@code BROOK_FUZZ_FRAMES=1000000}
 * (environment or {@code -Dbrook.fuzz.frames}), bounded by {@code BROOK_FUZZ_SECONDS} (default
 * an hour), with {@code -Djunit.jupiter.execution.timeout.mode=disabled}; see {@code fuzz.sh}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProtocolFuzzTest {
    private static final int CI_SECONDS = 20;
    /** The frames a CI round sends at least (about 200 per advertised API version), however slow the machine. */
    private static final long CI_MIN_FRAMES = 50_000;
    /** How long a CI round may go on to send {@link #CI_MIN_FRAMES}. */
    private static final int CI_MAX_SECONDS = 120;
    private static final int WORKERS = 6;
    private static final String TOPIC = "bystander";
    /** The server's -Xmx (BrookFixture) plus room for metaspace, code, threads and Netty's direct buffers. */
    private static final long MAX_RSS_KB = (1024 + 768) * 1024;

    @TempDir
    File dataDir;

    @Test
    void theServerSurvivesMutatedFramesOfEveryApiAndKeepsServingOthers() throws Exception {
        long frameBudget = setting("brook.fuzz.frames", "BROOK_FUZZ_FRAMES", Long.MAX_VALUE);
        long seconds = setting("brook.fuzz.seconds", "BROOK_FUZZ_SECONDS",
                frameBudget == Long.MAX_VALUE ? CI_SECONDS : 3600);
        long seed = setting("brook.fuzz.seed", "BROOK_FUZZ_SEED", System.nanoTime());
        // the CI round (no frame budget, no duration asked for) sends CI_MIN_FRAMES even on a loaded machine
        boolean ciRound = frameBudget == Long.MAX_VALUE && seconds == CI_SECONDS;
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of())) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            List<FrameGenerator.Api> apis = advertisedApis(brook);
            ProtocolFuzzer fuzzer = new ProtocolFuzzer(brook.bootstrap(), apis, seed, WORKERS);
            System.out.printf("fuzzing %d api versions with seed %d for at most %d s or %s frames%n", apis.size(),
                    seed, seconds, frameBudget == Long.MAX_VALUE ? "unlimited" : frameBudget);

            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of("acks", "all"));
                 KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
                TopicPartition tp = new TopicPartition(TOPIC, 0);
                consumer.assign(List.of(tp));
                Bystander bystander = new Bystander(producer, consumer);
                bystander.roundTrip();

                long started = System.nanoTime();
                long stopAt = started + TimeUnit.SECONDS.toNanos(seconds);
                List<Thread> workers = fuzzer.start(frameBudget, ciRound ? started
                        + TimeUnit.SECONDS.toNanos(CI_MAX_SECONDS) : stopAt);
                long maxRssKb = 0;
                long nextRoundTrip = System.nanoTime();
                long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (workers.stream().anyMatch(Thread::isAlive)) {
                    Thread.sleep(500);
                    assertAlive(brook, fuzzer);
                    long rss = rssKb(brook.pid());
                    maxRssKb = Math.max(maxRssKb, rss);
                    assertTrue(rss < MAX_RSS_KB, "server RSS " + rss + " kB over " + MAX_RSS_KB + " kB");
                    long stalled = fuzzer.stalledMs();
                    if (stalled > ProtocolFuzzer.ANSWER_DEADLINE_MS + 15_000) {
                        fail("a fuzzing connection made no progress for " + stalled + " ms (a write the server "
                                + "never reads?): " + fuzzer.summary() + " " + fuzzer.failures());
                    }
                    if (!fuzzer.failures().isEmpty()) {
                        fuzzer.stop(); // report the first failures now, do not wait for the end
                    }
                    if (ciRound && System.nanoTime() > stopAt && fuzzer.frames.sum() >= CI_MIN_FRAMES) {
                        fuzzer.stop(); // the CI round's time is up and it sent its frames
                    }
                    if (System.nanoTime() > nextRoundTrip) {
                        try {
                            bystander.roundTrip();
                        } catch (Exception | AssertionError e) {
                            assertAlive(brook, fuzzer); // the likelier cause first
                            throw e;
                        }
                        nextRoundTrip = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                    }
                    if (System.nanoTime() > nextReport) {
                        System.out.printf("after %d s: %s, rss %d MB, bystander round trips %d%n",
                                (System.nanoTime() - started) / 1_000_000_000, fuzzer.summary(), rss / 1024,
                                bystander.roundTrips);
                        nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    }
                }
                long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                for (Thread worker : workers) {
                    worker.join(TimeUnit.SECONDS.toMillis(ProtocolFuzzer.ANSWER_DEADLINE_MS / 1000 + 5));
                }
                bystander.roundTrip();
                System.out.printf("FUZZ SUMMARY seed=%d %s in %.1f s (%.0f frames/s), max server RSS %d MB, "
                                + "bystander round trips %d (slowest %d ms)%n", seed, fuzzer.summary(),
                        elapsedMs / 1000.0, fuzzer.frames.sum() * 1000.0 / elapsedMs, maxRssKb / 1024,
                        bystander.roundTrips, bystander.slowestMs);
                assertEquals(List.of(), fuzzer.failures(), "seed " + seed + ": " + fuzzer.summary());
                assertEquals(List.of(), serverErrors(brook.logFile()), "seed " + seed + ": the server logged errors "
                        + "(a handler failing, an answer it could not encode); " + fuzzer.summary());
                assertAlive(brook, fuzzer);
                if (frameBudget == Long.MAX_VALUE) {
                    assertTrue(fuzzer.frames.sum() >= 10_000, "at least 10,000 frames: " + fuzzer.summary());
                }
            }
        }
    }

    private static void assertAlive(BrookFixture brook, ProtocolFuzzer fuzzer) {
        assertTrue(ProcessHandle.of(brook.pid()).map(ProcessHandle::isAlive).orElse(false),
                "the server process exited during the fuzz run (see its log in target/server-logs): "
                        + fuzzer.summary());
    }

    /** Every version of every API the server lists in its ApiVersions answer. */
    private static List<FrameGenerator.Api> advertisedApis(BrookFixture brook) throws Exception {
        List<FrameGenerator.Api> apis = new ArrayList<>();
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            ApiVersionsResponseData versions = (ApiVersionsResponseData) c.call(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("fuzz").setClientSoftwareVersion("1"));
            for (ApiVersionsResponseData.ApiVersion v : versions.apiKeys()) {
                if (ApiKeys.hasId(v.apiKey())) {
                    for (short version = v.minVersion(); version <= v.maxVersion(); version++) {
                        apis.add(new FrameGenerator.Api(ApiKeys.forId(v.apiKey()), version));
                    }
                }
            }
        }
        assertTrue(apis.size() > 50, "the server advertises its APIs: " + apis);
        return apis;
    }

    /** A produce and consume of one fresh record, each within its deadline. */
    private static final class Bystander {
        private final KafkaProducer<byte[], byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> consumer;
        int roundTrips;
        long slowestMs;

        Bystander(KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> consumer) {
            this.producer = producer;
            this.consumer = consumer;
        }

        void roundTrip() throws Exception {
            long start = System.nanoTime();
            byte[] value = ("round-trip-" + roundTrips + "-" + start).getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(TOPIC, value)).get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (java.util.Arrays.equals(record.value(), value)) {
                        roundTrips++;
                        slowestMs = Math.max(slowestMs, (System.nanoTime() - start) / 1_000_000);
                        return;
                    }
                }
            }
            fail("the bystander consumer did not get its record within 30 s");
        }
    }

    /** The distinct errors in the server's log (the first line of each), without timestamps and addresses. */
    static List<String> serverErrors(File log) throws Exception {
        List<String> errors = new ArrayList<>();
        for (String line : Files.readAllLines(log.toPath(), StandardCharsets.UTF_8)) {
            if (line.contains(" ERROR ") || line.contains("unexpected error")) {
                String normalized = line.replaceFirst("^\\S+ ", "").replaceAll("/127\\.0\\.0\\.1:\\d+", "*");
                if (!errors.contains(normalized) && errors.size() < 20) {
                    errors.add(normalized);
                }
            }
        }
        return errors;
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(new File("/proc/" + pid + "/status").toPath())) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS in /proc/" + pid + "/status");
    }

    private static long setting(String property, String env, long fallback) {
        String value = System.getProperty(property, System.getenv(env));
        return value == null || value.isBlank() ? fallback : Long.parseLong(value.trim());
    }
}
