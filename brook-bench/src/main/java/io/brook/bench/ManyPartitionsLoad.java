package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.List;
import java.util.Map;

/**
 * Creates {@code topics} topics of {@code partitions} partitions each (one CreateTopics request
 * per topic, waiting for each), then writes one 100-byte record to every partition and waits
 * for all acknowledgements. Prints {@code create_ms N} and {@code produce_ms N}.
 *
 * <p>Usage: {@code ManyPartitionsLoad <bootstrap> <topics> <partitions per topic>}
 */
public final class ManyPartitionsLoad {
    private ManyPartitionsLoad() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int topics = Integer.parseInt(args[1]);
        int partitions = Integer.parseInt(args[2]);
        long start = System.nanoTime();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 600_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 300_000))) {
            for (int t = 0; t < topics; t++) {
                admin.createTopics(List.of(new NewTopic("many-" + t, partitions, (short) 1))).all().get();
            }
        }
        System.out.println("create_ms " + (System.nanoTime() - start) / 1_000_000);

        start = System.nanoTime();
        byte[] value = new byte[100];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 300_000),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int t = 0; t < topics; t++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>("many-" + t, p, null, value));
                }
            }
            producer.flush();
        }
        System.out.println("produce_ms " + (System.nanoTime() - start) / 1_000_000);
    }
}
