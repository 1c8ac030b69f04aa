package io.brook.tests;

import io.brook.tests.replication.AckedRecords;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replication under faults, the way users meet them (issue 19): three combined Brook nodes as separate processes
 * ({@link BrookCluster}); a topic of {@value #PARTITIONS} partitions with replication factor
 * {@value #REPLICATION_FACTOR} and {@code min.insync.replicas={@value #MIN_INSYNC_REPLICAS}}; an idempotent
 * {@code acks=all} producer writing sequence numbers per partition from its own thread while a fault thread, on a
 * schedule, SIGKILLs the leader of a partition (found with the admin client) or the active controller (which may
 * lead partitions too: the metadata quorum elects a new one before leaderships can move) and restarts it, SIGSTOPs a
 * leader past the broker session timeout then SIGCONTs it, and cuts or slows its network links. After each fault the cluster must be whole again (every
 * partition led by a live node with a full ISR) and every partition must take acknowledged writes again.
 * Afterwards every partition is read from the beginning to the end and {@link AckedRecords} checks that every
 * acknowledged record is there exactly once, in order, at the offset its acknowledgement gave.
 *
 * <p>CI runs the short schedule (a handful of faults, about 60-90 s of faults); {@code -Dbrook.faults.long=true}
 * runs a long random one on demand ({@code brook.faults.count}, {@code brook.faults.seed}). A second test rides
 * a consumer group through the SIGKILL of its coordinator: no committed offset is lost, nothing committed is read
 * again.
 *
 * <p>Threads: the producer thread only sends (its client made on the test thread); the fault thread alone drives
 * the cluster while the test thread waits for it ({@link BrookCluster} takes one thread at a time).
 *
 * <p>With replication factor 1 (before replication existed) the topic is placed on one node and the faults hit
 * only the other nodes (a single replica cannot survive its leader): that ran the harness, not replication.
 */
@Timeout(value = 480, unit = TimeUnit.SECONDS)
class ReplicationFaultTest {
    /** Replicas of every partition of the tested topics (and of the internal topics). */
    static final short REPLICATION_FACTOR = 3;
    /** The tested topics' {@code min.insync.replicas}: an acknowledged record survives the loss of any one node. */
    static final int MIN_INSYNC_REPLICAS = 2;
    static final int PARTITIONS = 3;
    private static final String TOPIC = "faults";
    /** Kafka's default {@code broker.session.timeout.ms}, set on every node so that a pause can outlast it. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(9);
    /** {@code replica.lag.time.max.ms}: a third of Kafka's 30 s, so a stuck follower leaves the ISR within a fault. */
    private static final Duration REPLICA_LAG = Duration.ofSeconds(10);
    /** Records per second the producer offers over all partitions: enough to hit every fault, light on 2 cores. */
    private static final int RATE = 600;
    /** Records sent and not yet answered, at most (the producer thread waits beyond). */
    private static final int MAX_IN_FLIGHT = 2_000;
    /** The producer's delivery timeout: longer than any fault, so a record waits out a failover, not fails. */
    private static final Duration DELIVERY = Duration.ofSeconds(120);
    /** After a fault: every partition led by a live node with a full ISR again (a node restart included). */
    private static final Duration SETTLE = Duration.ofSeconds(120);
    /** After a fault: acknowledged writes on every partition again. */
    private static final Duration WRITABLE = Duration.ofSeconds(60);
    /** Acknowledgements per partition that show it writable again. */
    private static final int PROGRESS = 50;
    /** A partition read from the beginning to the end. */
    private static final Duration READ_BACK = Duration.ofSeconds(120);
    private static final Duration CLIENT = Duration.ofSeconds(60);
    /**
     * How long the group coordinator's node stays down: past the session timeout, so that the controller fences it
     * and moves its leaderships while it is gone (a SIGKILLed broker says nothing; its session is how it is noticed).
     */
    private static final Duration COORDINATOR_DOWN = SESSION_TIMEOUT.plusSeconds(10);
    /**
     * A commit through the new coordinator after the old one was killed, at the latest: an election of a new active
     * controller when the killed node was it, then its session timeout, then the client's coordinator lookup.
     */
    private static final Duration COORDINATOR_MOVE = Duration.ofSeconds(60);
    /** One commit of a group member (a coordinator move included). */
    private static final Duration COMMIT = Duration.ofSeconds(15);
    /** Between two faults, with the producer running against a whole cluster. */
    private static final Duration QUIET = Duration.ofSeconds(2);
    /** Past Ratis's default close threshold for a paused process (60 s). */
    private static final Duration PAST_RATIS_CLOSE_THRESHOLD = Duration.ofSeconds(65);
    /**
     * How long the majority may take to move an isolated node's leadership: an election of a new active controller
     * when the isolated node was it (seen taking 14 s right after another fault), then the isolated broker's session
     * timeout (which starts afresh with a new controller), and margin.
     */
    private static final Duration ISOLATED_LEADER_MOVE = Duration.ofSeconds(60);

    /** The fork's cluster of this test's settings ({@link #settings}), whole at the start of each test. */
    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(settings());
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;
    /** The topic the schedule's producer writes to: its own per test, on a cluster the tests share. */
    private String topic = TOPIC;
    private ExecutorService threads;

    /**
     * One fault: {@code kind} on the leader of {@code partition}, which stays down (or frozen) for {@code down}; an
     * isolated one until its leadership moved, and {@code down} more.
     */
    record Fault(Kind kind, int partition, Duration down, Duration latency) {
        Fault(Kind kind, int partition, Duration down) {
            this(kind, partition, down, Duration.ZERO);
        }

        @Override
        public String toString() {
            return kind + (partition == ACTIVE_CONTROLLER ? " the active controller" : " leader of partition "
                    + partition) + " for " + down.toMillis() + " ms"
                    + (kind == Kind.SLOW ? " at " + latency.toMillis() + " ms latency" : "");
        }
    }

    /** The {@link Fault#partition} of a fault that hits the active controller, whatever it leads (KILL, PAUSE only). */
    static final int ACTIVE_CONTROLLER = -1;

    enum Kind {
        /** SIGKILL, then a restart on the same files and ports. */
        KILL,
        /** SIGSTOP (heartbeats, fetches and answers stop; sockets stay open), then SIGCONT. */
        PAUSE,
        /**
         * A network partition: the node keeps running, cut off from the other nodes both ways (what they send each
         * other is dropped; clients still reach it) until the others have moved its leadership, and for {@code down}
         * after that (a deposed leader that does not know it yet), then healed ({@link NetworkFaults}).
         */
        ISOLATE,
        /**
         * A partial network partition: only the link between the node and the active controller is cut, both ways
         * (the node and another one when it is the active controller), for {@code down}; each of the two still
         * reaches the third node, and clients reach all.
         */
        CUT,
        /**
         * An asymmetric partition: the connections the other nodes open to the node carry nothing (its followers
         * cannot fetch from it, the active controller's quorum traffic to it is lost), while those it opens work
         * (it heartbeats, fetches metadata and asks to shrink its ISR as usual), for {@code down}.
         */
        ONE_WAY,
        /**
         * A slow network: everything between the node and the others (fetches, their answers, quorum traffic,
         * heartbeats) arrives {@code latency} late, in order and complete, for {@code down}; clients are not slowed.
         */
        SLOW
    }

    /**
     * CI's schedule: the leaders of every partition killed, one with no time down, the active controller killed, one
     * paused past its session, one
     * cut off from the other nodes until they moved its leadership, one cut off from the active controller only
     * (or, being it, from one other node) past its session and the replica lag, one unreachable by the others
     * while it reaches them, past the replica lag, and one whose every link to the others is 1.5 s slow for 15 s.
     */
    static List<Fault> shortSchedule() {
        Duration pastSession = SESSION_TIMEOUT.plusSeconds(3);
        return List.of(new Fault(Kind.KILL, 0, Duration.ofSeconds(5)),
                new Fault(Kind.KILL, ACTIVE_CONTROLLER, Duration.ofSeconds(3)), new Fault(Kind.PAUSE, 1, pastSession),
                new Fault(Kind.ISOLATE, 2, Duration.ofSeconds(3)),
                new Fault(Kind.CUT, 0, SESSION_TIMEOUT.plus(REPLICA_LAG).plusSeconds(2)),
                new Fault(Kind.ONE_WAY, 1, REPLICA_LAG.plusSeconds(3)),
                new Fault(Kind.SLOW, 2, Duration.ofSeconds(15), Duration.ofMillis(1_500)),
                new Fault(Kind.KILL, 2, Duration.ZERO), new Fault(Kind.KILL, 0, Duration.ofSeconds(2)));
    }

    /**
     * A random schedule of {@code count} faults from {@code seed}: two sevenths kills (0-10 s down; a third of them of
     * the active controller, the others of a partition's leader), a seventh each
     * pauses (past the session timeout by up to 5 s), network partitions (0-5 s after the leadership moved), partial
     * ones (one link cut for 0-20 s), asymmetric ones (the node unreachable for 0-20 s) and slow links (0.1-3 s of
     * latency on every link of the node for 0-20 s).
     */
    static List<Fault> longSchedule(int count, long seed) {
        Random random = new Random(seed);
        List<Fault> faults = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int draw = random.nextInt(7);
            Kind kind = draw == 0 ? Kind.PAUSE : draw == 1 ? Kind.ISOLATE : draw == 2 ? Kind.CUT
                    : draw == 3 ? Kind.ONE_WAY : draw == 4 ? Kind.SLOW : Kind.KILL;
            Duration down = switch (kind) {
                case KILL -> Duration.ofMillis(random.nextInt(10_001));
                case PAUSE -> SESSION_TIMEOUT.plusMillis(random.nextInt(5_000));
                case ISOLATE -> Duration.ofMillis(random.nextInt(5_001));
                case CUT, ONE_WAY, SLOW -> Duration.ofMillis(random.nextInt(20_001));
            };
            Duration latency = kind == Kind.SLOW ? Duration.ofMillis(100 + random.nextInt(2_901)) : Duration.ZERO;
            int target = kind == Kind.KILL && random.nextInt(3) == 0 ? ACTIVE_CONTROLLER : random.nextInt(PARTITIONS);
            faults.add(new Fault(kind, target, down, latency));
        }
        return faults;
    }

    @AfterEach
    void stop() throws Exception {
        if (threads != null) {
            threads.shutdownNow();
            threads.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void noAcknowledgedRecordIsLostDuplicatedOrReorderedUnderTheShortSchedule() throws Exception {
        runSchedule(shortSchedule(), Duration.ofSeconds(300));
    }

    /** On demand only: {@code -Dbrook.faults.long=true} (see docs/design/testing.md). */
    @Test
    @EnabledIfSystemProperty(named = "brook.faults.long", matches = "true")
    @Timeout(value = 4, unit = TimeUnit.HOURS)
    void noAcknowledgedRecordIsLostDuplicatedOrReorderedUnderALongSchedule() throws Exception {
        int count = Integer.getInteger("brook.faults.count", 40);
        long seed = Long.getLong("brook.faults.seed", System.nanoTime());
        System.out.printf("[replication-faults] long schedule: %d faults, seed %d (-Dbrook.faults.seed=%d repeats "
                + "it)%n", count, seed, seed);
        topic = TOPIC + "-long";
        runSchedule(longSchedule(count, seed), Duration.ofMinutes(3).multipliedBy(count));
    }

    /** The replication settings of this test, on every node. */
    private static Map<String, String> settings() {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("broker.session.timeout.ms", String.valueOf(SESSION_TIMEOUT.toMillis()));
        overrides.put("replica.lag.time.max.ms", String.valueOf(REPLICA_LAG.toMillis()));
        overrides.put("default.replication.factor", String.valueOf(REPLICATION_FACTOR));
        overrides.put("min.insync.replicas", String.valueOf(MIN_INSYNC_REPLICAS));
        overrides.put("offsets.topic.replication.factor", String.valueOf(REPLICATION_FACTOR));
        overrides.put("transaction.state.log.replication.factor", String.valueOf(REPLICATION_FACTOR));
        overrides.put("transaction.state.log.min.isr", String.valueOf(MIN_INSYNC_REPLICAS));
        overrides.put("unclean.leader.election.enable", "false");
        overrides.put(BrookCluster.NETWORK_FAULTS, "true");
        return overrides;
    }

    /** The shared cluster, whole (every node runs, an active controller, every broker unfenced). */
    private void startCluster() {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
    }

    /**
     * Creates {@code topic} with {@value #PARTITIONS} partitions, the replication factor and min ISR of this test,
     * and waits until every partition is in sync. With one replica every partition goes to node 1 (see
     * {@link #victim}).
     */
    private void createTopic(String topic) throws Exception {
        Admin admin = cluster.admin();
        NewTopic newTopic = REPLICATION_FACTOR > 1 ? new NewTopic(topic, PARTITIONS, REPLICATION_FACTOR)
                : new NewTopic(topic, Map.of(0, List.of(1), 1, List.of(1), 2, List.of(1)));
        cluster.await("topic " + topic + " created", CLIENT, () -> {
            try {
                admin.createTopics(List.of(newTopic.configs(Map.of("min.insync.replicas",
                        String.valueOf(MIN_INSYNC_REPLICAS))))).all().get(20, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RetriableException) {
                    return null; // no controller yet, say: try again
                }
                if (!(e.getCause() instanceof TopicExistsException)) {
                    // INVALID_REPLICATION_FACTOR from a build that does not replicate: no point in waiting
                    throw new AssertionError("creating " + topic + " (replication factor " + REPLICATION_FACTOR
                            + ") was refused: " + e.getCause(), e.getCause());
                }
            }
            return true;
        });
        cluster.awaitInSync(topic, REPLICATION_FACTOR, SETTLE);
    }

    private void runSchedule(List<Fault> schedule, Duration scheduleDeadline) throws Exception {
        long started = System.nanoTime();
        startCluster();
        createTopic(topic);
        AtomicLong threadCount = new AtomicLong();
        threads = Executors.newFixedThreadPool(2, r -> new Thread(r, "replication-fault-test-"
                + threadCount.incrementAndGet()));
        AckedRecords acked = new AckedRecords();
        SequenceProducer producer = new SequenceProducer(topic, acked);
        Future<?> producing = threads.submit(producer);
        producer.awaitProgress(PROGRESS, WRITABLE, "before any fault");

        Future<List<String>> faults = threads.submit(() -> inject(schedule, producer));
        List<String> injected;
        try {
            injected = faults.get(scheduleDeadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            producer.stop();
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        producer.stop();
        producing.get(CLIENT.toMillis(), TimeUnit.MILLISECONDS);
        producer.awaitAnswers();

        AckedRecords.Report report = readBack(topic, acked);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        System.out.printf("[replication-faults] faults=%d acknowledged=%d lost=%d duplicated=%d reordered=%d "
                        + "misplaced=%d corrupt=%d (not acknowledged %d: %s; read %d; rf=%d min.insync.replicas=%d; "
                        + "%d s)%n", injected.size(), report.acknowledged(), report.lost(), report.duplicated(),
                report.reordered(), report.misplaced(), report.corrupt(), producer.failed.get(), producer.failures,
                report.read(), REPLICATION_FACTOR, MIN_INSYNC_REPLICAS, seconds);
        injected.forEach(line -> System.out.println("[replication-faults]   " + line));
        assertNull(producer.callbackError.get(), "an acknowledgement the checker refused");
        assertTrue(report.clean(), report.toString());
        assertTrue(report.acknowledged() >= (long) PROGRESS * PARTITIONS * (schedule.size() + 1),
                "writes were acknowledged between the faults: " + report);
    }

    /**
     * The fault thread: each fault of {@code schedule} in turn on its victim, then waits until the cluster is whole
     * and every partition takes writes again. Returns one line per fault.
     */
    private List<String> inject(List<Fault> schedule, SequenceProducer producer) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < schedule.size(); i++) {
            Fault fault = schedule.get(i);
            int victim = victim(fault);
            int controller = cluster.awaitActiveController(CLIENT);
            long faultAt = System.nanoTime();
            switch (fault.kind) {
                case KILL -> {
                    cluster.kill(victim);
                    Thread.sleep(fault.down.toMillis());
                    cluster.start(victim);
                }
                case PAUSE -> {
                    cluster.pause(victim);
                    Thread.sleep(fault.down.toMillis());
                    cluster.resume(victim);
                }
                case ISOLATE -> {
                    cluster.isolate(victim);
                    awaitLeaderMovedOff(victim, fault.partition);
                    Thread.sleep(fault.down.toMillis());
                    cluster.healNetwork();
                }
                case CUT -> {
                    int other = victim != controller ? controller
                            : cluster.liveNodes().stream().filter(id -> id != victim).findFirst().orElseThrow();
                    cluster.cut(victim, other);
                    Thread.sleep(fault.down.toMillis());
                    cluster.healNetwork();
                }
                case SLOW -> {
                    cluster.slow(victim, fault.latency);
                    Thread.sleep(fault.down.toMillis());
                    cluster.healNetwork();
                }
                case ONE_WAY -> {
                    for (int other : cluster.liveNodes()) {
                        if (other != victim) {
                            cluster.cutOneWay(other, victim);
                        }
                    }
                    Thread.sleep(fault.down.toMillis());
                    cluster.healNetwork();
                }
            }
            long backAt = System.nanoTime();
            cluster.awaitInSync(topic, REPLICATION_FACTOR, SETTLE);
            long inSyncAt = System.nanoTime();
            producer.awaitProgress(PROGRESS, WRITABLE, "after fault " + (i + 1) + " (" + fault + ")");
            String line = String.format("fault %d: %s on node %d%s; back after %d ms, in sync %d ms later, "
                            + "writable on every partition %d ms later", i + 1,
                    fault.kind == Kind.SLOW ? "SLOW (" + fault.latency.toMillis() + " ms latency)" : fault.kind, victim,
                    victim == controller ? " (the active controller)" : "",
                    TimeUnit.NANOSECONDS.toMillis(backAt - faultAt), TimeUnit.NANOSECONDS.toMillis(inSyncAt - backAt),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - inSyncAt));
            System.out.println("[replication-faults] " + line);
            lines.add(line);
            Thread.sleep(QUIET.toMillis());
        }
        return lines;
    }

    /**
     * Waits until the nodes on the other side of a partition from {@code isolated}, asked directly (a Metadata request
     * to each, not through a client that may ask the isolated node), name another live leader for {@code partition}:
     * the majority fenced the isolated node and moved its leadership, while it still runs and may still take writes.
     */
    private void awaitLeaderMovedOff(int isolated, int partition) throws Exception {
        List<Integer> others = cluster.liveNodes().stream().filter(id -> id != isolated).toList();
        cluster.await("the leadership of " + topic + "-" + partition + " moved off isolated node " + isolated
                + " as nodes " + others + " see it", ISOLATED_LEADER_MOVE, () -> {
                    for (int id : others) {
                        int leader = leaderAsSeenBy(id, partition);
                        if (leader < 0 || leader == isolated) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** The leader of {@code partition} of the topic in node {@code id}'s own metadata (-1 if none). */
    private int leaderAsSeenBy(int id, int partition) throws Exception {
        try (RawConnection c = new RawConnection(cluster.node(id).bootstrap())) {
            MetadataResponseData answer = (MetadataResponseData) c.call(ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic()
                            .setName(topic))).setAllowAutoTopicCreation(false));
            return answer.topics().iterator().next().partitions().stream()
                    .filter(p -> p.partitionIndex() == partition).findFirst()
                    .map(MetadataResponseData.MetadataResponsePartition::leaderId).orElse(-1);
        }
    }

    /**
     * The node a fault hits: the leader of its partition; with one replica (no failover possible) a node that leads
     * no partition of the topic instead, so the run exercises the harness without making the topic unavailable.
     */
    private int victim(Fault fault) throws Exception {
        if (fault.partition == ACTIVE_CONTROLLER) {
            return cluster.awaitActiveController(CLIENT);
        }
        if (REPLICATION_FACTOR > 1) {
            return cluster.leaderOf(topic, fault.partition, CLIENT);
        }
        TreeSet<Integer> leaders = new TreeSet<>();
        cluster.partitions(topic, CLIENT).forEach(p -> leaders.add(p.leader().id()));
        List<Integer> others = cluster.liveNodes().stream().filter(id -> !leaders.contains(id)).toList();
        return others.get(fault.partition % others.size());
    }

    /** Every record of {@code topic}, every partition from its beginning to its end, given to {@code acked}. */
    private AckedRecords.Report readBack(String topic, AckedRecords acked) throws Exception {
        cluster.awaitInSync(topic, REPLICATION_FACTOR, SETTLE);
        List<TopicPartition> partitions = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(topic, p))
                .toList();
        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, CLIENT);
        long deadline = System.nanoTime() + READ_BACK.toNanos();
        while (!readToTheEnd(consumer, ends)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("read back did not reach the ends " + ends + " within "
                        + READ_BACK.toSeconds() + " s\n" + cluster.logTails());
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                    acked.read(r.partition(), r.offset(), r.key(), r.value());
                }
            }
        }
        consumer.close(Duration.ofSeconds(5));
        return acked.check();
    }

    private static boolean readToTheEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
        return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), CLIENT) >= e.getValue());
    }

    /**
     * The producer thread: sequence numbers 0, 1, 2, ... per partition, round robin over the partitions at
     * {@value #RATE} records per second, through an idempotent {@code acks=all} producer; every acknowledgement goes
     * to the checker, every failure is counted by its kind. Its counters are read by other threads (atomics).
     */
    private final class SequenceProducer implements Runnable {
        private final String topic;
        private final AckedRecords acked;
        private final KafkaProducer<byte[], byte[]> producer;
        private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
        private final AtomicLongArray acksPerPartition = new AtomicLongArray(PARTITIONS);
        final AtomicLong failed = new AtomicLong();
        /** An exception of the acknowledgement callback (the producer would only log it). */
        final AtomicReference<RuntimeException> callbackError = new AtomicReference<>();
        final Map<String, Long> failures = new ConcurrentHashMap<>();
        private volatile boolean stopped;

        /** Made on the test thread (the cluster's client list is not thread-safe); closed with the cluster. */
        SequenceProducer(String topic, AckedRecords acked) {
            this.topic = topic;
            this.acked = acked;
            this.producer = cluster.producer(cluster.bootstrap(), Map.of(
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE,
                    ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY.toMillis(),
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                    ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100,
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000));
        }

        @Override
        public void run() {
            long[] next = new long[PARTITIONS];
            long sent = 0;
            long start = System.nanoTime();
            try {
                while (!stopped) {
                    long due = start + sent * TimeUnit.SECONDS.toNanos(1) / RATE;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue; // acknowledgements are stalled (a fault): check for stop and try again
                    }
                    int partition = (int) (sent++ % PARTITIONS);
                    long sequence = next[partition]++;
                    String key = AckedRecords.key(partition, sequence);
                    try {
                        producer.send(new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8),
                                AckedRecords.value(sequence)), (metadata, error) -> {
                                    inFlight.release();
                                    if (error == null) {
                                        try {
                                            acked.acknowledged(partition, sequence, key, metadata.offset());
                                        } catch (RuntimeException e) {
                                            callbackError.compareAndSet(null, e);
                                        }
                                        acksPerPartition.incrementAndGet(partition);
                                    } else {
                                        failed(error);
                                    }
                                });
                    } catch (KafkaException notSent) {
                        inFlight.release(); // never sent: its sequence is simply absent
                        failed(notSent);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void failed(Exception error) {
            failed.incrementAndGet();
            failures.merge(error.getClass().getSimpleName(), 1L, Long::sum);
        }

        /** Waits until every partition has had {@code count} more acknowledgements; fails after {@code timeout}. */
        void awaitProgress(int count, Duration timeout, String when) throws Exception {
            long[] from = new long[PARTITIONS];
            for (int p = 0; p < PARTITIONS; p++) {
                from[p] = acksPerPartition.get(p);
            }
            cluster.await(count + " acknowledged writes on every partition " + when, timeout,
                    () -> IntStream.range(0, PARTITIONS).allMatch(p -> acksPerPartition.get(p) - from[p] >= count),
                    () -> "acknowledged per partition " + acksPerPartition + " (from " + java.util.Arrays.toString(from)
                            + "), failures " + failures);
        }

        void stop() {
            stopped = true;
        }

        /** Waits until every record sent has been answered (acknowledged or failed): at most the delivery timeout. */
        void awaitAnswers() throws Exception {
            long timeout = DELIVERY.plus(CLIENT).toMillis();
            assertTrue(inFlight.tryAcquire(MAX_IN_FLIGHT, timeout, TimeUnit.MILLISECONDS),
                    (MAX_IN_FLIGHT - inFlight.availablePermits()) + " records without an answer after " + timeout
                            + " ms");
            inFlight.release(MAX_IN_FLIGHT);
        }
    }

    /**
     * A consumer group rides through the SIGKILL of its group coordinator (the leader of its
     * {@code __consumer_offsets} partition): a member consumes and commits after every poll while the coordinator
     * is killed and restarted; nothing it committed is read again (a record may be re-read only from the last
     * committed offset on, at-least-once), every record is processed, the committed offsets the admin client reads
     * are the last ones committed, and a new member of the group starts exactly there.
     */
    /**
     * A voter paused longer than Ratis's default close threshold (60 s; a frozen VM, say) is a follower that catches
     * up on resuming: the node learns metadata written after it, here a topic created once it runs again. Ratis
     * used to shut such a server down for good while the node ran on, its metadata frozen
     * ({@code RatisProperties.JVM_PAUSE_CLOSE_THRESHOLD}).
     */
    @Test
    void aVoterPausedPastRatissCloseThresholdCatchesUpOnResuming() throws Exception {
        startCluster();
        int controller = cluster.awaitActiveController(CLIENT);
        int victim = cluster.liveNodes().stream().filter(id -> id != controller).findFirst().orElseThrow();
        cluster.pause(victim);
        Thread.sleep(PAST_RATIS_CLOSE_THRESHOLD.toMillis());
        cluster.resume(victim);
        String created = topic + "-after-pause";
        Admin admin = cluster.admin(cluster.bootstrap(controller));
        cluster.await("topic " + created + " created", CLIENT, () -> {
            try {
                admin.createTopics(List.of(new NewTopic(created, 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    return null;
                }
            }
            return true;
        });
        cluster.await("node " + victim + " knowing " + created + " after a " + PAST_RATIS_CLOSE_THRESHOLD.toSeconds()
                + " s pause", CLIENT, () -> knows(victim, created));
    }

    /** Whether node {@code id}'s own metadata has {@code topic}. */
    private boolean knows(int id, String topic) throws Exception {
        try (RawConnection c = new RawConnection(cluster.node(id).bootstrap())) {
            MetadataResponseData answer = (MetadataResponseData) c.call(ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic()
                            .setName(topic))).setAllowAutoTopicCreation(false));
            return answer.topics().iterator().next().errorCode() == 0;
        }
    }

    /** Both group protocols: the classic one (JoinGroup/SyncGroup) and KIP-848's (ConsumerGroupHeartbeat). */
    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void aConsumerGroupKeepsItsCommittedOffsetsThroughACoordinatorKill(String protocol) throws Exception {
        String topic = "group-input-" + protocol; // the cluster is shared between the two
        String group = "riders-" + protocol;
        int perPartition = 1_000;
        startCluster();
        createTopic(topic);
        produce(topic, 0, perPartition);

        Admin admin = cluster.admin();
        Map<String, Object> config = new HashMap<>(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50, ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol));
        if (protocol.equals("classic")) { // the consumer protocol's session and heartbeat are the broker's
            config.putAll(Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000,
                    ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000));
        }
        KafkaConsumer<byte[], byte[]> member = cluster.consumer(cluster.bootstrap(), config);
        List<String> rebalances = new java.util.concurrent.CopyOnWriteArrayList<>();
        member.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    rebalances.add("revoked " + partitions);
                }
            }

            @Override
            public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    rebalances.add("assigned " + partitions);
                }
            }

            @Override
            public void onPartitionsLost(java.util.Collection<TopicPartition> partitions) {
                rebalances.add("lost " + partitions);
            }
        });
        GroupProgress progress = new GroupProgress();
        long total = (long) PARTITIONS * perPartition;
        long deadline = System.nanoTime() + CLIENT.toNanos();
        while (progress.processed() < total / 2) {
            progress.pollAndCommit(member, deadline, "the first half");
        }
        int coordinator = cluster.await("the coordinator of " + group, CLIENT, () -> admin.describeConsumerGroups(
                List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).coordinator().id());

        ConsumerGroupMetadata beforeKill = member.groupMetadata();
        int rebalancesBeforeKill = rebalances.size();
        cluster.kill(coordinator);
        long killed = System.nanoTime();
        long down = killed + COORDINATOR_DOWN.toNanos();
        long movedBy = killed + COORDINATOR_MOVE.toNanos();
        long commitsBefore = progress.commits;
        // down for at least COORDINATOR_DOWN, and until a commit went through the new coordinator (when the killed
        // node was also the active controller, an election comes before its session can time out)
        while (System.nanoTime() < down
                || REPLICATION_FACTOR > 1 && progress.commits == commitsBefore && System.nanoTime() < movedBy) {
            progress.pollAndCommit(member, movedBy + CLIENT.toNanos(), "while the coordinator is down");
        }
        long commitsWhileDown = progress.commits - commitsBefore;
        long downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        ConsumerGroupMetadata afterMove = member.groupMetadata();
        List<String> rebalancesWhileDown = List.copyOf(rebalances.subList(rebalancesBeforeKill, rebalances.size()));
        cluster.start(coordinator);
        deadline = System.nanoTime() + CLIENT.multipliedBy(2).toNanos();
        while (progress.processed() < total) {
            progress.pollAndCommit(member, deadline, "the second half");
        }
        cluster.await("a final commit", CLIENT, () -> progress.commitPositions(member));
        Map<TopicPartition, OffsetAndMetadata> stored = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<String, Long> storedOffsets = new TreeMap<>();
        stored.forEach((tp, o) -> storedOffsets.put(tp.toString(), o.offset()));
        Map<String, Long> committed = new TreeMap<>();
        progress.committed.forEach((tp, offset) -> committed.put(tp.toString(), offset));
        member.close(Duration.ofSeconds(10));
        System.out.printf("[replication-faults] group %s: coordinator node %d killed for %d ms; %d commits, %d of them "
                        + "while it was down, %d failed; %d records re-read after the last commit; committed %s%n", group,
                coordinator, downMs, progress.commits, commitsWhileDown, progress.failedCommits, progress.reread,
                committed);
        assertEquals(List.of(), progress.violations, "records read again behind a committed offset");
        assertEquals(committed, storedOffsets, "the committed offsets as stored");
        for (int p = 0; p < PARTITIONS; p++) {
            assertEquals((long) perPartition, committed.get(topic + "-" + p), "partition " + p);
        }
        if (REPLICATION_FACTOR > 1) {
            assertTrue(commitsWhileDown > 0, "a commit went through while the old coordinator was down");
            // the new coordinator loaded the group from its record: the member went on without rejoining
            assertEquals(beforeKill.memberId() + " generation " + beforeKill.generationId(),
                    afterMove.memberId() + " generation " + afterMove.generationId(),
                    "the member and its generation (member epoch) after the coordinator moved");
            assertEquals(List.of(), rebalancesWhileDown, "partitions the member gave up or lost while the "
                    + "coordinator moved");
        }

        // a new member of the group starts exactly at the committed offsets
        produce(topic, perPartition, 100);
        KafkaConsumer<byte[], byte[]> next = cluster.consumer(cluster.bootstrap(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, group));
        next.subscribe(List.of(topic));
        Map<Integer, Long> firstOffsets = new TreeMap<>();
        int read = 0;
        long nextDeadline = System.nanoTime() + CLIENT.toNanos();
        while (read < PARTITIONS * 100 && System.nanoTime() < nextDeadline) {
            for (ConsumerRecord<byte[], byte[]> r : next.poll(Duration.ofMillis(500))) {
                firstOffsets.putIfAbsent(r.partition(), r.offset());
                read++;
            }
        }
        next.close(Duration.ofSeconds(10));
        assertEquals(PARTITIONS * 100, read, "the records after the committed offsets");
        for (int p = 0; p < PARTITIONS; p++) {
            assertEquals((long) perPartition, firstOffsets.get(p), "a new member starts at the committed offset of "
                    + topic + "-" + p);
        }
    }

    /** Writes sequences {@code from..from+count-1} to every partition of {@code topic}, each acknowledged. */
    private void produce(String topic, long from, int count) throws Exception {
        KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true));
        List<Future<?>> sent = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (long seq = from; seq < from + count; seq++) {
                sent.add(producer.send(new ProducerRecord<>(topic, p, null, AckedRecords.value(seq))));
            }
        }
        for (Future<?> f : sent) {
            f.get(CLIENT.toMillis(), TimeUnit.MILLISECONDS);
        }
        producer.close(Duration.ofSeconds(10));
    }

    /**
     * What one group member processed and committed. A record re-read is fine from the last committed offset of its
     * partition on (it was processed but its commit had not gone through); one below it is a violation.
     */
    private static final class GroupProgress {
        final Map<TopicPartition, Long> committed = new HashMap<>();
        final Map<TopicPartition, TreeSet<Long>> seen = new HashMap<>();
        final List<String> violations = new ArrayList<>();
        long commits;
        long failedCommits;
        long reread;

        long processed() {
            return seen.values().stream().mapToLong(TreeSet::size).sum();
        }

        void pollAndCommit(KafkaConsumer<byte[], byte[]> member, long deadline, String phase) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the group did not get through " + phase + " in time: processed "
                        + processed() + ", committed " + committed + ", failed commits " + failedCommits);
            }
            ConsumerRecords<byte[], byte[]> records = member.poll(Duration.ofMillis(500));
            for (ConsumerRecord<byte[], byte[]> r : records) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < committed.getOrDefault(tp, 0L) && violations.size() < 10) {
                    violations.add(tp + " offset " + r.offset() + " read again, committed " + committed.get(tp));
                }
                if (!seen.computeIfAbsent(tp, t -> new TreeSet<>()).add(r.offset())) {
                    reread++;
                }
            }
            if (!member.assignment().isEmpty()) {
                commitPositions(member); // even without new records: the commit itself is what must ride through
            }
        }

        /** Commits the member's positions; true when the commit went through. */
        boolean commitPositions(KafkaConsumer<byte[], byte[]> member) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : member.assignment()) {
                try {
                    offsets.put(tp, new OffsetAndMetadata(member.position(tp, COMMIT)));
                } catch (KafkaException noPosition) {
                    failedCommits++; // after a rebalance, its committed offset not known yet
                    return false;
                }
            }
            try {
                member.commitSync(offsets, COMMIT);
            } catch (KafkaException notCommitted) {
                failedCommits++; // a timeout, a coordinator move or a rebalance: the records come again
                return false;
            }
            commits++;
            offsets.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
            return true;
        }
    }
}
