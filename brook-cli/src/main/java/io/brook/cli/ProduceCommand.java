package io.brook.cli;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** {@code brook produce}: one record per input line, from stdin or a file. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Send lines from stdin (or --file) as records; prints a summary at the end.",
        footer = {"", "Examples:",
                "  echo 'Hello, Kafka!' | brook produce --topic quickstart-events",
                "  brook produce --topic orders --key-separator : --header source=cli < orders.txt"})
final class ProduceCommand implements Callable<Integer>, ErrorReporter.HasClientOptions {
    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, description = "Topic to write to.")
    String topic;
    @Option(names = "--file", description = "Read lines from this file instead of stdin.")
    File file;
    @Option(names = "--key-separator", paramLabel = "SEP", description = "Split each line into KEY SEP VALUE.")
    String keySeparator;
    @Option(names = "--header", paramLabel = "KEY=VALUE", description = "A header on every record (repeatable).")
    List<String> headers = new ArrayList<>();
    @Option(names = "--acks", defaultValue = "all", description = "0, 1 or all (default: ${DEFAULT-VALUE}).")
    String acks;
    @Option(names = "--compression", defaultValue = "none",
            description = "none, gzip, snappy, lz4 or zstd (default: ${DEFAULT-VALUE}).")
    String compression;
    @Option(names = "--partition", description = "Write every record to this partition.")
    Integer partition;

    @Override
    public ClientOptions clientOptions() {
        return client;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> headerValues = TopicsCommand.parseConfigs(headers);
        Properties props = client.properties();
        props.put("acks", acks);
        props.put("compression.type", compression);
        props.put("linger.ms", "5");
        props.put("max.block.ms", String.valueOf(ClientOptions.API_TIMEOUT_MS));
        PrintWriter err = spec.commandLine().getErr();
        boolean interactive = file == null && System.console() != null;
        AtomicLong sent = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer());
             BufferedReader in = file != null ? Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)
                     : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            long lineNumber = 0;
            while (true) {
                if (interactive) {
                    err.print("> ");
                    err.flush();
                }
                line = in.readLine();
                if (line == null) {
                    break;
                }
                lineNumber++;
                byte[] key = null;
                String value = line;
                if (keySeparator != null) {
                    int at = line.indexOf(keySeparator);
                    if (at < 0) {
                        err.println("brook: line " + lineNumber + " has no key separator '" + keySeparator
                                + "'; skipped");
                        failed.incrementAndGet();
                        continue;
                    }
                    key = line.substring(0, at).getBytes(StandardCharsets.UTF_8);
                    value = line.substring(at + keySeparator.length());
                }
                byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, key, valueBytes);
                headerValues.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                int size = valueBytes.length + (key == null ? 0 : key.length);
                producer.send(record, (metadata, e) -> {
                    if (e == null) {
                        sent.incrementAndGet();
                        bytes.addAndGet(size);
                    } else {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        err.printf("Sent %d records (%d bytes) to %s; %d failed.%n", sent.get(), bytes.get(), topic, failed.get());
        if (firstError.get() != null) {
            throw firstError.get();
        }
        return failed.get() == 0 ? 0 : 1;
    }
}
