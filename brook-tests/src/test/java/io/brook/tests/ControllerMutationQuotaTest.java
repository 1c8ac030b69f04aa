package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DeleteTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code controller_mutation_rate} (KIP-599) on one node process, with Kafka's own admin client and tools: the
 * quota is set with {@code kafka-configs} for client id {@code limited} and read back; that client's topics,
 * created one by one with the admin client's default retries on THROTTLING_QUOTA_EXCEEDED, come at the quota's
 * rate once its burst is spent; without retries the error surfaces as {@link ThrottlingQuotaExceededException}
 * for CreateTopics, CreatePartitions and DeleteTopics; another client id is not limited; an old client
 * (CreateTopics v5) gets its topics created and is throttled, its connection muted (permissive, as Kafka).
 *
 * <p>The node keeps 2 samples of 1 s ({@code controller.quota.window.num=2}) so the burst is two seconds' worth
 * of the quota, spent by the first topic: the test then measures the steady rate.
 */
@Timeout(180)
class ControllerMutationQuotaTest {
    /** The quota of client id {@code limited}, partitions per second. */
    private static final int RATE = 10;
    private static final int WINDOW_SAMPLES = 2;
    /** The bucket's size: what may be created at once before the rate applies. */
    private static final int BURST = RATE * WINDOW_SAMPLES;
    /** Single-partition topics created one by one at the quota's rate. */
    private static final int TOPICS = 30;
    /** How many seconds of the quota one big topic takes beyond what the bucket holds. */
    private static final int DEBT_SECONDS = 10;
    /** The client id {@link RawConnection} sends. */
    private static final String RAW_CLIENT_ID = "raw-test";

    @TempDir
    File dataDir;

    @Test
    @Compat({"Java 4.3.1: admin: controller_mutation_rate throttling (KIP-599)",
            "Kafka tools 4.3.1: kafka-configs controller_mutation_rate"})
    void partitionMutationsAreHeldToTheClientsRate() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of("controller.quota.window.num",
                String.valueOf(WINDOW_SAMPLES)))) {
            String bootstrap = brook.bootstrap();
            KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--alter",
                    "--add-config", "controller_mutation_rate=" + RATE, "--entity-type", "clients", "--entity-name",
                    "limited");
            try (Admin admin = brook.admin()) {
                assertEquals(Map.of(new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "limited")),
                                Map.of("controller_mutation_rate", (double) RATE)),
                        admin.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(
                                ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "limited"))))
                                .entities().get(30, TimeUnit.SECONDS));
            }

            try (Admin limited = admin(bootstrap, "limited"); Admin free = admin(bootstrap, "free")) {
                // the burst: one topic of BURST partitions is taken whole from the full bucket
                long drainStart = System.nanoTime();
                limited.createTopics(List.of(new NewTopic("burst", BURST, (short) 1))).all()
                        .get(60, TimeUnit.SECONDS);
                double drainSeconds = (System.nanoTime() - drainStart) / 1e9;

                long start = System.nanoTime();
                for (int i = 0; i < TOPICS; i++) {
                    limited.createTopics(List.of(new NewTopic("limited-" + i, 1, (short) 1))).all()
                            .get(60, TimeUnit.SECONDS);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                // the bucket was at most drainSeconds of refill above zero, and may go one partition below it
                double atLeast = (TOPICS - 1.0) / RATE - drainSeconds;
                double expected = (double) TOPICS / RATE;
                System.out.printf("controller mutation quota: %d partitions in %.2f s at %d/s (expected about %.1f s,"
                        + " at least %.2f s)%n", TOPICS, seconds, RATE, expected, atLeast);
                assertTrue(seconds >= atLeast * 0.9, TOPICS + " partitions at " + RATE + "/s took " + seconds + " s");
                assertTrue(seconds <= expected * 2.5 + 10, TOPICS + " partitions at " + RATE + "/s took " + seconds
                        + " s");

                // a big topic leaves the bucket 10 s below zero: without retries every mutation is refused now. Each
                // check comes from a new admin client of the same client id: one that was answered with a throttle
                // time waits it out before it sends again (KIP-219), and by then the quota allows a mutation
                limited.createTopics(List.of(new NewTopic("big", DEBT_SECONDS * RATE, (short) 1))).all()
                        .get(60, TimeUnit.SECONDS);
                try (Admin again = admin(bootstrap, "limited")) {
                    ThrottlingQuotaExceededException created = refused(again.createTopics(
                            List.of(new NewTopic("refused", 1, (short) 1)),
                            new CreateTopicsOptions().retryOnQuotaViolation(false)).all());
                    assertTrue(created.throttleTimeMs() > 0 && created.throttleTimeMs() <= DEBT_SECONDS * 1000 + 100,
                            "throttle time " + created.throttleTimeMs());
                    assertTrue(created.getMessage().contains("controller_mutation_rate"), created.getMessage());
                }
                try (Admin again = admin(bootstrap, "limited")) {
                    refused(again.createPartitions(Map.of("big", NewPartitions.increaseTo(DEBT_SECONDS * RATE + 1)),
                            new CreatePartitionsOptions().retryOnQuotaViolation(false)).all());
                }
                try (Admin again = admin(bootstrap, "limited")) {
                    refused(again.deleteTopics(List.of("big"), new DeleteTopicsOptions().retryOnQuotaViolation(false))
                            .all());
                }
                Map<String, org.apache.kafka.clients.admin.TopicDescription> big = free.describeTopics(
                        List.of("big")).allTopicNames().get(30, TimeUnit.SECONDS);
                assertEquals(DEBT_SECONDS * RATE, big.get("big").partitions().size(), "refused: not grown");
                assertTrue(!free.listTopics().names().get(30, TimeUnit.SECONDS).contains("refused"));

                // another client id has no quota: nothing is refused
                List<NewTopic> many = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    many.add(new NewTopic("free-" + i, BURST, (short) 1));
                }
                free.createTopics(many, new CreateTopicsOptions().retryOnQuotaViolation(false)).all()
                        .get(60, TimeUnit.SECONDS);
                free.deleteTopics(List.of("free-0", "free-1"), new DeleteTopicsOptions().retryOnQuotaViolation(false))
                        .all().get(60, TimeUnit.SECONDS);

                // with retries (the default) the refused deletion is done once the quota allows it
                long deleteStart = System.nanoTime();
                limited.deleteTopics(List.of("big")).all().get(60, TimeUnit.SECONDS);
                System.out.printf("controller mutation quota: the retried deletion took %.2f s%n",
                        (System.nanoTime() - deleteStart) / 1e9);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (free.listTopics().names().get(30, TimeUnit.SECONDS).contains("big")) {
                    assertTrue(System.nanoTime() < deadline, "big is still listed after its deletion");
                    Thread.sleep(100);
                }
            }
            oldClientIsThrottledNotRefused(brook);
        }
    }

    /**
     * An old client (CreateTopics v5, before KIP-599's error) gets its topic created even beyond the quota; the
     * answer carries the throttle time and its connection is not read for that time (permissive, as Kafka).
     */
    private static void oldClientIsThrottledNotRefused(BrookFixture brook) throws Exception {
        try (Admin admin = brook.admin()) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(Map.of(
                    ClientQuotaEntity.CLIENT_ID, RAW_CLIENT_ID)), List.of(new ClientQuotaAlteration.Op(
                    "controller_mutation_rate", (double) RATE))))).all().get(30, TimeUnit.SECONDS);
        }
        short v5 = 5;
        try (RawConnection raw = new RawConnection(brook.bootstrap())) {
            // the burst and three seconds more in one topic: created anyway, about 3 s of throttle
            raw.sendBytes(RawConnection.frame(ApiKeys.CREATE_TOPICS, v5, createTopic("old-big", BURST + 3 * RATE), 1));
            raw.sendBytes(RawConnection.frame(ApiKeys.CREATE_TOPICS, v5, createTopic("old-next", 1), 2));
            CreateTopicsResponseData first = (CreateTopicsResponseData) raw.read(ApiKeys.CREATE_TOPICS, v5, 1);
            long firstAnswered = System.nanoTime();
            assertEquals(Errors.NONE.code(), first.topics().find("old-big").errorCode(),
                    first.topics().find("old-big").errorMessage());
            assertTrue(first.throttleTimeMs() >= 1_000 && first.throttleTimeMs() <= 3_000,
                    "throttle time of 3 s beyond the burst: " + first.throttleTimeMs());
            CreateTopicsResponseData second = (CreateTopicsResponseData) raw.read(ApiKeys.CREATE_TOPICS, v5, 2);
            long mutedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstAnswered);
            assertEquals(Errors.NONE.code(), second.topics().find("old-next").errorCode(),
                    "an old client is throttled, never refused");
            assertTrue(mutedMs >= first.throttleTimeMs() * 0.9, "the next request was answered " + mutedMs
                    + " ms after a throttle time of " + first.throttleTimeMs() + " ms");
        }
    }

    private static CreateTopicsRequestData createTopic(String name, int partitions) {
        CreateTopicsRequestData.CreatableTopicCollection topics =
                new CreateTopicsRequestData.CreatableTopicCollection();
        topics.add(new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(partitions)
                .setReplicationFactor((short) 1));
        return new CreateTopicsRequestData().setTopics(topics).setTimeoutMs(30_000);
    }

    /** The quota error {@code result} fails with (within a deadline). */
    private static ThrottlingQuotaExceededException refused(org.apache.kafka.common.KafkaFuture<Void> result) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
        return assertInstanceOf(ThrottlingQuotaExceededException.class, e.getCause());
    }

    private static Admin admin(String bootstrap, String clientId) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return Admin.create(props);
    }
}
