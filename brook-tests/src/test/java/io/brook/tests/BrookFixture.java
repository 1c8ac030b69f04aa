package io.brook.tests;

import io.brook.server.config.BrokerConfig;
import io.brook.server.node.BrookNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** A Brook node in this JVM on a free port, over a given data directory, plus client factories. */
final class BrookFixture implements AutoCloseable {
    private final File dataDir;
    private final Map<String, String> overrides;
    private BrookNode node;

    BrookFixture(File dataDir, Map<String, String> overrides) throws Exception {
        this.dataDir = dataDir;
        this.overrides = overrides;
        start();
    }

    BrookFixture(File dataDir) throws Exception {
        this(dataDir, Map.of());
    }

    void start() throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("listeners", "PLAINTEXT://localhost:0");
        settings.put("log.dirs", dataDir.getAbsolutePath());
        settings.put("num.io.threads", "4");
        settings.put("num.network.threads", "2");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("offsets.topic.num.partitions", "5");
        settings.put("transaction.state.log.num.partitions", "5");
        settings.putAll(overrides);
        node = BrookNode.start(BrokerConfig.fromMap(settings));
    }

    /** Stops cleanly and starts again on the same data directory (a new port). */
    void restart() throws Exception {
        node.close();
        start();
    }

    String bootstrap() {
        return "localhost:" + node.boundAddress().getPort();
    }

    BrookNode node() {
        return node;
    }

    Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return Admin.create(props);
    }

    KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putAll(extra);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(extra);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() throws Exception {
        node.close();
    }
}
