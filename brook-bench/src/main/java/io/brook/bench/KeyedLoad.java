package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Load for the cleaner row of side-by-side.sh: writes {@code records} keyed records of
 * {@code valueBytes} each, keys drawn from {@code uniqueKeys} (so the cleaner keeps about that
 * many), to a topic created with {@code cleanup.policy=delete}, then switches the topic to
 * {@code compact}, so the cleaner meets the whole log as one dirty section. Same seed, same data,
 * whichever server it runs against.
 *
 * <p>Usage: {@code KeyedLoad <bootstrap> <topic> <records> <valueBytes> <uniqueKeys>}
 */
public final class KeyedLoad {
    private KeyedLoad() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long records = Long.parseLong(args[2]);
        int valueBytes = Integer.parseInt(args[3]);
        int uniqueKeys = Integer.parseInt(args[4]);
        Random random = new Random(42);
        byte[] value = new byte[valueBytes];
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024,
                ProducerConfig.ACKS_CONFIG, "1");
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < records; i++) {
                byte[] key = ("key-" + random.nextInt(uniqueKeys)).getBytes(StandardCharsets.UTF_8);
                random.nextBytes(value);
                producer.send(new ProducerRecord<>(topic, 0, key, value.clone()));
            }
            producer.flush();
        }
        System.out.printf("produced %d records in %.1f s%n", records, (System.nanoTime() - start) / 1e9);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET))))
                    .all().get();
        }
        System.out.println("switched " + topic + " to cleanup.policy=compact");
    }
}
