package io.brook.tests;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A group member in a JVM of its own, so a test can kill it without a leave: subscribes to a topic
 * with the given group protocol, prints ASSIGNED once it owns a partition, polls until killed.
 *
 * <p>Arguments: bootstrap servers, group id, topic, group protocol (classic or consumer).
 */
public final class GroupMemberApp {
    private GroupMemberApp() {
    }

    public static void main(String[] args) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0],
                ConsumerConfig.GROUP_ID_CONFIG, args[1], ConsumerConfig.GROUP_PROTOCOL_CONFIG, args[3],
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        System.out.println("ASSIGNED");
                        System.out.flush();
                    }
                }
            });
            while (true) {
                consumer.poll(Duration.ofMillis(100));
            }
        }
    }
}
