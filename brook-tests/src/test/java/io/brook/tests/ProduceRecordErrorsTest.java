package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Produce record errors (KIP-467): a batch with some invalid records (here keyless records sent to a
 * compacted topic) is refused with INVALID_RECORD naming exactly those records, so clients fail them
 * with INVALID_RECORD and the rest of the batch with a different error; nothing of the batch is written.
 */
@Timeout(120)
class ProduceRecordErrorsTest {
    @TempDir
    File dataDir;

    @Test
    @Compat("Java 4.3.1: produce record errors (KIP-467)")
    void theJavaProducerFailsExactlyTheInvalidRecords() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            createCompactedTopic(admin, "compacted");
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 1000,
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.RETRIES_CONFIG, 0))) {
                for (int i = 0; i < 10; i++) {
                    byte[] key = i == 3 || i == 7 ? null : ("k" + i).getBytes(StandardCharsets.UTF_8);
                    sends.add(producer.send(new ProducerRecord<>("compacted", 0, key, new byte[]{(byte) i})));
                }
                producer.flush();
            }
            for (int i = 0; i < sends.size(); i++) {
                Future<RecordMetadata> send = sends.get(i);
                ExecutionException failed = assertThrows(ExecutionException.class, () -> send.get(30, TimeUnit.SECONDS));
                if (i == 3 || i == 7) {
                    assertInstanceOf(InvalidRecordException.class, failed.getCause(), "record " + i);
                    assertTrue(failed.getCause().getMessage().contains("with a key"), failed.getCause().getMessage());
                } else {
                    assertTrue(failed.getCause().getMessage().contains("part of a batch which had one more more "
                            + "invalid records"), "record " + i + ": " + failed.getCause());
                }
            }
            TopicPartition tp = new TopicPartition("compacted", 0);
            assertEquals(0L, admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                    .partitionResult(tp).get(30, TimeUnit.SECONDS).offset(), "nothing of the batch was written");
        }
    }

    @Test
    @Compat("librdkafka 2.12.0: produce record errors (KIP-467)")
    void librdkafkaFailsExactlyTheInvalidRecords() throws Exception {
        File lib = Processes.newerLibrdkafka();
        Assumptions.assumeTrue(lib != null, "librdkafka is not built (compat/librdkafka/build.sh)");
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            createCompactedTopic(admin, "compacted");
            String output = Processes.run(Processes.pythonWithNewerLibrdkafka(lib, List.of(
                    new File(BrookFixture.ROOT, "compat/librdkafka/record_errors.py").getPath(), brook.bootstrap(),
                    "compacted", "100")), null, Duration.ofSeconds(60));
            // librdkafka's own test (0011) expects this split: 10 keyless records, 90 in the same batch
            assertEquals("delivery: INVALID_RECORD=10 _INVALID_DIFFERENT_RECORD=90", output.trim());
        }
    }

    private static void createCompactedTopic(Admin admin, String name) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                .all().get(30, TimeUnit.SECONDS);
    }
}
