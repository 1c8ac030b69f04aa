package io.brook.cli;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code brook consume}: prints records as they arrive, like {@code tail -f}, until Ctrl-C. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print records of a topic as they arrive until Ctrl-C (or --max-messages / --timeout).",
        footer = {"", "Examples:",
                "  brook consume --topic quickstart-events --from-beginning",
                "  brook consume --topic orders --group billing --format json",
                "  brook consume --topic orders --partition 0 --offset 42 --max-messages 10"})
final class ConsumeCommand implements Callable<Integer>, ErrorReporter.HasClientOptions {
    enum Format { value, kv, json }

    @Mixin
    ClientOptions client;
    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true, description = "Topic to read.")
    String topic;
    @Option(names = "--from-beginning", description = "Start at the earliest record (default: only new ones).")
    boolean fromBeginning;
    @Option(names = "--group", description = "Read as a member of this consumer group (offsets are committed).")
    String group;
    @Option(names = "--partition", description = "Read only this partition.")
    Integer partition;
    @Option(names = "--offset", description = "Start at this offset (needs --partition).")
    Long offset;
    @Option(names = "--max-messages", description = "Stop after this many records.")
    Long maxMessages;
    @Option(names = "--timeout", paramLabel = "MS", description = "Stop when no record arrives for this long.")
    Long timeoutMs;
    @Option(names = "--format", defaultValue = "value", description = "value, kv or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public ClientOptions clientOptions() {
        return client;
    }

    @Override
    public Integer call() throws Exception {
        if (offset != null && partition == null) {
            throw new ErrorReporter.UsageError("--offset needs --partition");
        }
        if (group != null && (partition != null || offset != null)) {
            throw new ErrorReporter.UsageError("--group cannot be combined with --partition or --offset");
        }
        Properties props = client.properties();
        props.put("auto.offset.reset", fromBeginning ? "earliest" : "latest");
        props.put("allow.auto.create.topics", "false"); // a mistyped topic is an error, not a new topic
        if (group != null) {
            props.put("group.id", group);
        } else {
            props.put("enable.auto.commit", "false");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long count = 0;
        CountDownLatch finished = new CountDownLatch(1);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Thread hook = new Thread(() -> {
                consumer.wakeup();
                try {
                    finished.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "brook-consume-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                start(consumer);
                long lastRecord = System.currentTimeMillis();
                while (maxMessages == null || count < maxMessages) {
                    var records = consumer.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        out.println(render(r));
                        count++;
                        if (maxMessages != null && count >= maxMessages) {
                            break;
                        }
                    }
                    out.flush();
                    if (!records.isEmpty()) {
                        lastRecord = System.currentTimeMillis();
                    } else if (timeoutMs != null && System.currentTimeMillis() - lastRecord > timeoutMs) {
                        break;
                    }
                }
                if (group != null) {
                    consumer.commitSync();
                }
            } catch (WakeupException e) {
                // Ctrl-C
            } finally {
                err.println("Processed " + count + " records.");
                err.flush();
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
        }
        return 0;
    }

    private void start(KafkaConsumer<byte[], byte[]> consumer) {
        if (group != null) {
            consumer.subscribe(List.of(topic));
            return;
        }
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(ClientOptions.API_TIMEOUT_MS));
        if (infos == null || infos.isEmpty()) {
            throw new org.apache.kafka.common.errors.UnknownTopicOrPartitionException("Topic " + topic
                    + " not found.");
        }
        List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition()))
                .filter(tp -> partition == null || tp.partition() == partition).toList();
        if (partitions.isEmpty()) {
            throw new ErrorReporter.UsageError("topic " + topic + " has no partition " + partition);
        }
        consumer.assign(partitions);
        if (offset != null) {
            consumer.seek(partitions.get(0), offset);
        } else if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
        }
    }

    private String render(ConsumerRecord<byte[], byte[]> r) {
        switch (format) {
            case kv:
                return text(r.key()) + "\t" + text(r.value());
            case json: {
                StringBuilder headers = new StringBuilder("{");
                for (Header h : r.headers()) {
                    if (headers.length() > 1) {
                        headers.append(',');
                    }
                    headers.append(Json.string(h.key())).append(':').append(Json.string(text(h.value())));
                }
                headers.append('}');
                return "{\"topic\":" + Json.string(r.topic()) + ",\"partition\":" + r.partition()
                        + ",\"offset\":" + r.offset() + ",\"timestamp\":" + r.timestamp()
                        + ",\"key\":" + Json.string(text(r.key())) + ",\"value\":" + Json.string(text(r.value()))
                        + ",\"headers\":" + headers + "}";
            }
            default:
                return text(r.value());
        }
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
