package io.brook.tests;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The records a test sent to one partition, each after the previous one was acknowledged, with the offsets the
 * acknowledgements gave; and the check that the partition holds exactly those, once each, in order, at those offsets.
 */
final class AckedRecords {
    private final TopicPartition tp;
    private final List<String> values = new ArrayList<>();
    private final List<Long> offsets = new ArrayList<>();

    AckedRecords(TopicPartition tp) {
        this.tp = tp;
    }

    /** Sends {@code value} (padded by 200 bytes) and waits up to {@code timeout} for its acknowledgement. */
    void send(KafkaProducer<byte[], byte[]> producer, String value, Duration timeout) throws Exception {
        String padded = value + "-" + "x".repeat(200);
        RecordMetadata acked = producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), null,
                padded.getBytes(StandardCharsets.UTF_8))).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        values.add(padded);
        offsets.add(acked.offset());
    }

    /** Reads the partition from its start through {@code cluster}, for at most {@code within}, and checks it. */
    void assertReadBack(BrookCluster cluster, Duration within) {
        List<String> read = new ArrayList<>();
        List<Long> readOffsets = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + within.toNanos();
            while (read.size() < values.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                    readOffsets.add(r.offset());
                }
            }
        }
        assertEquals(values, read, tp + ": every acknowledged record, once, in order");
        assertEquals(offsets, readOffsets, tp + ": at the offsets the acknowledgements gave");
    }
}
