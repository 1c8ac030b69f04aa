package io.brook.cli;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/** {@code brook perf}: produce and consume throughput, with latency percentiles for produce. */
@Command(name = "perf", description = "Measure produce and consume throughput and latency.",
        mixinStandardHelpOptions = true,
        subcommands = {PerfCommand.Produce.class, PerfCommand.Consume.class, PerfCommand.EndToEnd.class},
        footer = {"", "Examples:",
                "  brook perf produce --topic bench --records 1000000 --record-size 100",
                "  brook perf consume --topic bench --records 1000000 --json",
                "  brook perf e2e --topic latency --records 1000"})
final class PerfCommand {
    /** Seconds between progress lines on stderr. */
    static final long PROGRESS_INTERVAL_MS = 5_000;

    abstract static class PerfBase implements ErrorReporter.HasClientOptions {
        @Mixin
        ClientOptions client;
        @Spec
        CommandSpec spec;
        @Option(names = "--topic", required = true, description = "Topic to use.")
        String topic;
        @Option(names = "--records", defaultValue = "1000000", description = "Records (default: ${DEFAULT-VALUE}).")
        long records;
        @Option(names = "--json", description = "Print the summary as one JSON object.")
        boolean json;

        @Override
        public ClientOptions clientOptions() {
            return client;
        }
    }

    @Command(name = "produce", description = "Send records as fast as allowed; latency percentiles at the end.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook perf produce --topic bench --records 1000000 --record-size 100 --acks all"})
    static final class Produce extends PerfBase implements Callable<Integer> {
        @Option(names = "--record-size", defaultValue = "100", description = "Bytes per record (default: ${DEFAULT-VALUE}).")
        int recordSize;
        @Option(names = "--throughput", defaultValue = "-1", description = "Records/s cap, -1 for none.")
        long throughput;
        @Option(names = "--acks", defaultValue = "1", description = "0, 1 or all (default: ${DEFAULT-VALUE}).")
        String acks;
        @Option(names = "--compression", defaultValue = "none", description = "none, gzip, snappy, lz4, zstd.")
        String compression;

        @Override
        public Integer call() throws Exception {
            Properties props = client.properties();
            props.put("acks", acks);
            props.put("compression.type", compression);
            props.put("linger.ms", "5");
            byte[] payload = new byte[recordSize];
            Random random = new Random(1);
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) ('A' + random.nextInt(26));
            }
            long[] latencies = new long[(int) Math.min(records, Integer.MAX_VALUE - 8)];
            AtomicLong acked = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            PrintWriter err = spec.commandLine().getErr();
            long start = System.nanoTime();
            long lastProgress = System.currentTimeMillis();
            long lastAcked = 0;
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (long i = 0; i < records; i++) {
                    if (throughput > 0) {
                        long due = start + i * 1_000_000_000L / throughput;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                    int index = (int) Math.min(i, latencies.length - 1);
                    long sent = System.nanoTime();
                    producer.send(new ProducerRecord<>(topic, payload), (md, e) -> {
                        if (e == null) {
                            latencies[index] = System.nanoTime() - sent;
                            acked.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    });
                    long now = System.currentTimeMillis();
                    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
                        long done = acked.get();
                        err.printf("%d records acknowledged, %.1f records/s%n", done,
                                (done - lastAcked) * 1000.0 / (now - lastProgress));
                        err.flush();
                        lastProgress = now;
                        lastAcked = done;
                    }
                }
                producer.flush();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long ok = acked.get();
            long[] sorted = Arrays.copyOf(latencies, (int) Math.min(ok, latencies.length));
            Arrays.sort(sorted);
            double rate = ok / seconds;
            double mbps = ok * (double) recordSize / seconds / (1024 * 1024);
            String p50 = ms(sorted, 0.50);
            String p95 = ms(sorted, 0.95);
            String p99 = ms(sorted, 0.99);
            String p999 = ms(sorted, 0.999);
            String max = sorted.length == 0 ? "0" : String.format("%.1f", sorted[sorted.length - 1] / 1e6);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.printf("{\"records\":%d,\"failed\":%d,\"seconds\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.2f,"
                        + "\"latency_ms\":{\"p50\":%s,\"p95\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s}}%n",
                        ok, failed.get(), seconds, rate, mbps, p50, p95, p99, p999, max);
            } else {
                out.printf("%d records sent in %.1f s: %.1f records/s (%.2f MB/s); latency ms p50 %s, p95 %s, p99 %s,"
                        + " p99.9 %s, max %s; %d failed%n", ok, seconds, rate, mbps, p50, p95, p99, p999, max,
                        failed.get());
            }
            return failed.get() == 0 ? 0 : 1;
        }

    }

    static String ms(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return "0";
        }
        return String.format("%.2f", sorted[(int) Math.min(sorted.length - 1, quantile * sorted.length)] / 1e6);
    }

    @Command(name = "consume", description = "Read records from the beginning as fast as possible.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook perf consume --topic bench --records 1000000"})
    static final class Consume extends PerfBase implements Callable<Integer> {
        @Option(names = "--timeout", paramLabel = "MS", defaultValue = "10000",
                description = "Give up after this long without records (default: ${DEFAULT-VALUE}).")
        long timeoutMs;

        @Override
        public Integer call() throws Exception {
            Properties props = client.properties();
            props.put("enable.auto.commit", "false");
            props.put("max.poll.records", "10000");
            PrintWriter err = spec.commandLine().getErr();
            long count = 0;
            long bytes = 0;
            long start = System.nanoTime();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long lastRecord = System.currentTimeMillis();
                long lastProgress = lastRecord;
                while (count < records && System.currentTimeMillis() - lastRecord < timeoutMs) {
                    var polled = consumer.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : polled) {
                        count++;
                        bytes += r.serializedValueSize() + Math.max(0, r.serializedKeySize());
                    }
                    long now = System.currentTimeMillis();
                    if (!polled.isEmpty()) {
                        lastRecord = now;
                    }
                    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
                        err.printf("%d records read%n", count);
                        err.flush();
                        lastProgress = now;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.printf("{\"records\":%d,\"bytes\":%d,\"seconds\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.2f}%n",
                        count, bytes, seconds, count / seconds, bytes / seconds / (1024 * 1024));
            } else {
                out.printf("%d records (%d bytes) read in %.1f s: %.1f records/s (%.2f MB/s)%n", count, bytes, seconds,
                        count / seconds, bytes / seconds / (1024 * 1024));
            }
            return count >= records ? 0 : 1;
        }
    }

    @Command(name = "e2e", description = "End-to-end latency: one record at a time from producer to consumer.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook perf e2e --topic latency --records 10000 --json"})
    static final class EndToEnd extends PerfBase implements Callable<Integer> {
        @Option(names = "--record-size", defaultValue = "1024", description = "Bytes per record (default: ${DEFAULT-VALUE}).")
        int recordSize;
        @Option(names = "--acks", defaultValue = "1", description = "0, 1 or all (default: ${DEFAULT-VALUE}).")
        String acks;

        @Override
        public Integer call() throws Exception {
            Properties producerProps = client.properties();
            producerProps.put("acks", acks);
            producerProps.put("linger.ms", "0");
            Properties consumerProps = client.properties();
            consumerProps.put("enable.auto.commit", "false");
            consumerProps.put("fetch.max.wait.ms", "500");
            TopicPartition tp = new TopicPartition(topic, 0);
            long[] latencies = new long[(int) Math.min(records, Integer.MAX_VALUE - 8)];
            byte[] payload = new byte[recordSize];
            PrintWriter err = spec.commandLine().getErr();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
                    new ByteArraySerializer());
                 KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps,
                         new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.assign(List.of(tp));
                consumer.seekToEnd(List.of(tp));
                consumer.position(tp);
                long lastProgress = System.currentTimeMillis();
                for (int i = 0; i < latencies.length; i++) {
                    long sent = System.nanoTime();
                    producer.send(new ProducerRecord<>(topic, 0, null, payload));
                    int got = 0;
                    long deadline = System.currentTimeMillis() + ClientOptions.API_TIMEOUT_MS;
                    while (got == 0) {
                        got = consumer.poll(Duration.ofMillis(100)).count();
                        if (got == 0 && System.currentTimeMillis() > deadline) {
                            throw new org.apache.kafka.common.errors.TimeoutException("record " + i
                                    + " did not arrive within " + ClientOptions.API_TIMEOUT_MS + " ms");
                        }
                    }
                    latencies[i] = System.nanoTime() - sent;
                    if (System.currentTimeMillis() - lastProgress >= PROGRESS_INTERVAL_MS) {
                        err.printf("%d records round-tripped%n", i + 1);
                        err.flush();
                        lastProgress = System.currentTimeMillis();
                    }
                }
            }
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            String max = String.format("%.2f", sorted[sorted.length - 1] / 1e6);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.printf("{\"records\":%d,\"latency_ms\":{\"p50\":%s,\"p95\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s}}%n",
                        sorted.length, ms(sorted, 0.50), ms(sorted, 0.95), ms(sorted, 0.99), ms(sorted, 0.999), max);
            } else {
                out.printf("%d records end to end; latency ms p50 %s, p95 %s, p99 %s, p99.9 %s, max %s%n", sorted.length,
                        ms(sorted, 0.50), ms(sorted, 0.95), ms(sorted, 0.99), ms(sorted, 0.999), max);
            }
            return 0;
        }
    }
}
