import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;

/**
 * A round trip with whatever kafka-clients version is on the class path (2.8 and later):
 * admin create/list/delete, an idempotent acks=all producer with keys and headers, a consumer
 * group that reads everything and commits, then a transactional producer that commits, aborts and
 * commits offsets in a transaction, read back with read_committed to the end of the partition.
 * Run as a single-file program: java -cp CLASSPATH RoundTrip.java HOST:PORT
 */
public class RoundTrip {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = "roundtrip-" + org.apache.kafka.common.utils.AppInfoParser.getVersion().replace('.', '-');
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(common)) {
            admin.createTopics(Collections.singleton(new NewTopic(topic, 3, (short) 1))).all().get();
            if (!admin.listTopics().names().get().contains(topic)) {
                throw new IllegalStateException("topic not listed");
            }
        }
        Properties p = new Properties();
        p.putAll(common);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < 100; i++) {
                ProducerRecord<String, String> r = new ProducerRecord<>(topic, "k" + (i % 7), "v" + i);
                r.headers().add("n", Integer.toString(i).getBytes());
                producer.send(r);
            }
            producer.flush();
        }
        Properties c = new Properties();
        c.putAll(common);
        c.put("group.id", topic + "-group");
        c.put("auto.offset.reset", "earliest");
        c.put("enable.auto.commit", "false");
        Set<String> values = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(Collections.singleton(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < 100 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!r.value().equals("v" + new String(r.headers().lastHeader("n").value()))) {
                        throw new IllegalStateException("header does not match value: " + r);
                    }
                    values.add(r.value());
                }
            }
            consumer.commitSync();
            long committed = 0;
            for (int partition = 0; partition < 3; partition++) {
                TopicPartition tp = new TopicPartition(topic, partition);
                committed += consumer.committed(Collections.singleton(tp)).get(tp).offset();
            }
            if (values.size() != 100 || committed != 100) {
                throw new IllegalStateException("read " + values.size() + " records, committed " + committed);
            }
        }
        transactions(common, topic);
        try (Admin admin = Admin.create(common)) {
            admin.deleteTopics(Collections.singleton(topic)).all().get();
        }
        System.out.println("OK " + org.apache.kafka.common.utils.AppInfoParser.getVersion());
    }

    /** Commits 10 records, aborts 5 (flushed first, so they reach the log), commits an offset; checks what read_committed sees. */
    static void transactions(Properties common, String topic) throws Exception {
        String txnTopic = topic + "-txn";
        try (Admin admin = Admin.create(common)) {
            admin.createTopics(Collections.singleton(new NewTopic(txnTopic, 1, (short) 1))).all().get();
        }
        TopicPartition tp = new TopicPartition(txnTopic, 0);
        Properties p = new Properties();
        p.putAll(common);
        p.put("transactional.id", txnTopic + "-producer");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(txnTopic, "k" + i, "committed-" + i));
            }
            producer.sendOffsetsToTransaction(Collections.singletonMap(tp, new OffsetAndMetadata(7)),
                    new ConsumerGroupMetadata(txnTopic + "-group"));
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(txnTopic, "a" + i, "aborted-" + i));
            }
            producer.flush();
            producer.abortTransaction();
        }
        Properties c = new Properties();
        c.putAll(common);
        c.put("group.id", txnTopic + "-group");
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new StringDeserializer())) {
            long committed = consumer.committed(Collections.singleton(tp)).get(tp).offset();
            consumer.assign(Collections.singleton(tp));
            consumer.seekToBeginning(Collections.singleton(tp));
            // read to the end of the partition (its last stable offset: the abort is complete): every record the
            // log holds has then been seen or skipped, the aborted ones included
            long end = consumer.endOffsets(Collections.singleton(tp)).get(tp);
            Set<String> values = new HashSet<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            long position = consumer.position(tp);
            if (committed != 7 || position < end || values.size() != 10
                    || values.stream().anyMatch(v -> v.startsWith("aborted"))) {
                throw new IllegalStateException("transactions: offset " + committed + ", read_committed saw " + values
                        + " up to offset " + position + " of " + end);
            }
        }
    }
}
