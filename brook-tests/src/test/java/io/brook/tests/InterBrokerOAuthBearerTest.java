package io.brook.tests;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.SaslConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Brokers that log in to each other with SASL/OAUTHBEARER (Kafka's unsecured login, for development), on three
 * combined nodes whose broker listener is SASL_PLAINTEXT with OAUTHBEARER only and whose ACLs are on: only the
 * super users {@code User:broker} (what the nodes' tokens name) and {@code User:admin} (the test's clients) may
 * replicate or do anything. Records produced with acks=all to a topic of three replicas and
 * {@code min.insync.replicas=2} are acknowledged, the followers stay in the ISR well past
 * {@code replica.lag.time.max.ms} (they fetch), and every record is read back.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class InterBrokerOAuthBearerTest {
    private static final String LOGIN = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
            + "required unsecuredLoginStringClaim_sub=\"%s\";";
    private static final String TOPIC = "over-oauthbearer";
    private static final Duration READY = Duration.ofSeconds(90);
    private static final int RECORDS = 200;

    @TempDir
    File workDir;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Compat("Java 4.3.1: brokers replicate over SASL_PLAINTEXT OAUTHBEARER (unsecured login, ACLs on)")
    void brokersReplicateOverOAuthBearerAsTheirTokensPrincipal() throws Exception {
        Map<String, String> settings = new HashMap<>();
        // the templates' broker listener, PLAINTEXT by name, speaks SASL_PLAINTEXT; the controllers' stays plain
        settings.put("listener.security.protocol.map", "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        settings.put("sasl.mechanism.inter.broker.protocol", "OAUTHBEARER");
        settings.put("listener.name.plaintext.sasl.enabled.mechanisms", "OAUTHBEARER");
        settings.put("listener.name.plaintext.oauthbearer.sasl.jaas.config", String.format(LOGIN, "broker"));
        settings.put("authorizer.class.name", AclAuthorizationTest.AUTHORIZER);
        // ANONYMOUS is the controller listener's principal (plaintext); on the SASL listener everyone logs in
        settings.put("super.users", "User:broker;User:admin;User:ANONYMOUS");
        settings.put("replica.lag.time.max.ms", "5000");
        cluster = new BrookCluster(workDir, "node", 3, settings);
        logsOnFailure.watch(cluster);
        cluster.clientSettings(Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT",
                SaslConfigs.SASL_MECHANISM, "OAUTHBEARER", SaslConfigs.SASL_JAAS_CONFIG, String.format(LOGIN, "admin")));
        cluster.startAll();
        cluster.awaitActiveController(READY);

        Admin admin = cluster.admin();
        cluster.await("the topic created", READY, () -> {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get(15, TimeUnit.SECONDS);
            return true;
        }, () -> "");
        cluster.awaitInSync(TOPIC, 3, READY);

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000))) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sent.add(producer.send(new ProducerRecord<>(TOPIC, ("record-" + i).getBytes(StandardCharsets.UTF_8))));
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS); // acks=all: the in-sync followers fetched each record
            }
        }
        Thread.sleep(8_000); // past replica.lag.time.max.ms: a follower that could not fetch would have left the ISR
        List<TopicPartitionInfo> partitions = cluster.awaitInSync(TOPIC, 3, Duration.ofSeconds(5));
        assertEquals(3, partitions.get(0).isr().size(), "every follower fetches over OAUTHBEARER: " + partitions);

        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < RECORDS && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertEquals(RECORDS, values.size(), "records read back");
        assertEquals("record-0", values.get(0));
        assertTrue(values.get(RECORDS - 1).equals("record-" + (RECORDS - 1)), values.get(RECORDS - 1));
    }
}
