package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
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

/**
 * A partition whose files cannot be loaded (here a {@code partition.metadata} of garbage, one of the
 * cases {@code StartupFuzzTest} in brook-storage finds) does not stop the node's start: the node
 * starts, says which partition is offline and why, refuses that partition with a retriable error and
 * serves the others.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DamagedPartitionStartTest {
    @TempDir
    File dataDir;

    @Test
    void theNodeStartsAndServesTheOtherPartitions() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of())) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("healthy", 1, (short) 1), new NewTopic("damaged", 1, (short) 1)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (String topic : List.of("healthy", "damaged")) {
                    producer.send(new ProducerRecord<>(topic, bytes("before"))).get(30, TimeUnit.SECONDS);
                }
            }
            brook.stop();
            Files.write(new File(dataDir, "damaged-0/partition.metadata").toPath(),
                    new byte[]{(byte) 0xff, (byte) 0xfe, 0, 1, 2}); // not even UTF-8

            brook.start();
            String log = Files.readString(brook.logFile().toPath(), StandardCharsets.ISO_8859_1);
            assertTrue(log.contains("Partition damaged-0 is offline"), "the log says which partition is offline");
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                producer.send(new ProducerRecord<>("healthy", bytes("after"))).get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of("before", "after"), read(brook, "healthy", 2));
            try (RawConnection c = new RawConnection(brook.bootstrap())) {
                ProduceRequestData produce = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5000);
                produce.topicData().add(new ProduceRequestData.TopicProduceData().setName("damaged")
                        .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0)
                                .setRecords(MemoryRecords.withRecords(Compression.NONE,
                                        new SimpleRecord(bytes("refused")))))));
                ProduceResponseData response = (ProduceResponseData) c.call(ApiKeys.PRODUCE, (short) 9, produce);
                short error = response.responses().iterator().next().partitionResponses().get(0).errorCode();
                assertTrue(Errors.forCode(error).exception() instanceof org.apache.kafka.common.errors.RetriableException,
                        "a retriable error for the offline partition: " + Errors.forCode(error));
            }
        }
    }

    private static List<String> read(BrookFixture brook, String topic, int expected) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            long deadline = System.currentTimeMillis() + 15_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
