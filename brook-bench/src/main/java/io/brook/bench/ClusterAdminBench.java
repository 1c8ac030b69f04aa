package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Metadata operations of a 3-node cluster (Brook or Kafka), timed with the same AdminClient, for the
 * replicated rows of side-by-side.sh. Each mode prints {@code key value} lines.
 *
 * <p>{@code ClusterAdminBench await-brokers <bootstrap> <count>}: waits until the cluster lists that many brokers.
 *
 * <p>{@code ClusterAdminBench controller-failover <bootstrap> <nodeId=pid,...>}: checks that a CreateTopics
 * succeeds, then SIGKILLs the active controller (the metadata quorum's leader, from DescribeQuorum) and retries
 * CreateTopics of a new topic (1 partition, replication factor 2) until one succeeds. Prints {@code killed_node},
 * {@code create_before_ms} (a create with the controller alive), {@code create_ms} (from the kill to the first
 * successful create; an attempt that timed out on the client but was committed shows up as the topic existing,
 * which counts as success), {@code attempts}, and {@code quorum_leader_ms} (when DescribeQuorum first named
 * another leader; polled between attempts, so an upper bound).
 *
 * <p>{@code ClusterAdminBench create <bootstrap> <prefix> <topics> <partitions per topic>}: creates the topics
 * with replication factor 3, one CreateTopics at a time, then polls Metadata until every partition has a leader.
 * Prints {@code answered_ms} (the last CreateTopics answered), {@code led_ms} (also every partition led) and
 * {@code in_sync_ms} (also every replica in the ISR; after led_ms, so it bounds the leader check's polling; when
 * that takes more than {@value #IN_SYNC_WAIT_MS} ms after led_ms, {@code not_in_sync_partitions} instead) and
 * {@code creates_answered_exists} (CreateTopics the client retried after a failed attempt and was then told the
 * topic exists: the server had committed it after all).
 *
 * <p>{@code ClusterAdminBench reassign <bootstrap> <topic> <partitions>}: creates the topic with replication
 * factor 2, starts an acks=all producer ({@value #RATE} records of {@value #RECORD_BYTES} B per second, spread
 * over the partitions) after a preload of {@value #PRELOAD_RECORDS} records, then moves every partition's second
 * replica to the broker that holds none of it, in one AlterPartitionReassignments. Prints {@code accepted_ms}
 * (the request answered), {@code reassign_ms} (ListPartitionReassignments empty and every partition's replicas
 * the target set, all in the ISR), {@code send_errors} (records the producer gave up on: must be 0) and
 * {@code moved_mb} (the data the new replicas had to copy, at the start).
 *
 * <p>Not thread-safe; one mode per process.
 */
public final class ClusterAdminBench {
    static final int RECORD_BYTES = 1024;
    /** The reassign row's producer: records per second during the move. */
    static final int RATE = 1_000;
    /** Written as fast as the producer can before the move, so each new replica has data to copy. */
    static final int PRELOAD_RECORDS = 50_000;
    private static final long POLL_MS = 100;
    /** Every wait of this tool ends after this long with an error. */
    private static final long DEADLINE_MS = 600_000;
    /** How long the create mode waits, after every partition is led, for every replica to be in the ISR. */
    private static final long IN_SYNC_WAIT_MS = 60_000;
    /** The failover row's client: a short request timeout so a request to the dead node is given up quickly. */
    private static final int FAILOVER_REQUEST_TIMEOUT_MS = 1_000;

    private ClusterAdminBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String bootstrap = args[1];
        switch (mode) {
            case "await-brokers" -> {
                try (Admin admin = admin(bootstrap, 2_000)) {
                    awaitBrokers(admin, Integer.parseInt(args[2]));
                }
            }
            case "controller-failover" -> controllerFailover(bootstrap, pids(args[2]));
            case "create" -> create(bootstrap, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "reassign" -> reassign(bootstrap, args[2], Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(
                    "mode await-brokers, controller-failover, create or reassign, not " + mode);
        }
    }

    private static Admin admin(String bootstrap, int requestTimeoutMs) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeoutMs,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, requestTimeoutMs * 2,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200));
    }

    private static Map<Integer, Long> pids(String spec) {
        Map<Integer, Long> pids = new HashMap<>();
        for (String pair : spec.split(",")) {
            String[] idPid = pair.split("=");
            pids.put(Integer.parseInt(idPid[0]), Long.parseLong(idPid[1]));
        }
        return pids;
    }

    private static long deadline() {
        return System.currentTimeMillis() + DEADLINE_MS;
    }

    private static void check(long deadline, String what) {
        if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("gave up after " + DEADLINE_MS + " ms: " + what);
        }
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static void awaitBrokers(Admin admin, int count) throws InterruptedException {
        long deadline = deadline();
        String last = "no answer";
        while (true) {
            try {
                Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                if (nodes.size() >= count) {
                    System.out.println("brokers " + nodes.size());
                    return;
                }
                last = nodes.toString();
            } catch (Exception e) {
                last = e.toString();
            }
            check(deadline, count + " brokers, last: " + last);
            Thread.sleep(POLL_MS);
        }
    }

    private static int quorumLeader(Admin admin) throws Exception {
        return admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId();
    }

    /** True once the topic exists: created now, or by an earlier attempt the client had given up on. */
    private static boolean tryCreate(Admin admin, NewTopic topic) throws InterruptedException {
        try {
            admin.createTopics(List.of(topic)).all().get();
            return true;
        } catch (ExecutionException e) {
            return e.getCause() instanceof TopicExistsException;
        }
    }

    /**
     * Creates the topic; false when the answer was that it exists, which here means the client retried a
     * CreateTopics whose first attempt failed (a timeout) although the server went on to commit it.
     */
    private static boolean created(Admin admin, NewTopic topic) throws InterruptedException, ExecutionException {
        try {
            admin.createTopics(List.of(topic)).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw e;
        }
    }

    private static void controllerFailover(String bootstrap, Map<Integer, Long> pids) throws Exception {
        try (Admin admin = admin(bootstrap, FAILOVER_REQUEST_TIMEOUT_MS)) {
            awaitBrokers(admin, pids.size());
            long deadline = deadline();
            long start = System.nanoTime();
            while (!tryCreate(admin, new NewTopic("before-kill", 1, (short) 2))) {
                check(deadline, "a create with every node up");
                Thread.sleep(POLL_MS);
                start = System.nanoTime();
            }
            System.out.println("create_before_ms " + millisSince(start));

            int controller = quorumLeader(admin);
            Long pid = pids.get(controller);
            if (pid == null) {
                throw new IllegalStateException("no pid for node " + controller + " in " + pids);
            }
            ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() ->
                    new IllegalStateException("no process " + pid));
            long killedAt = System.nanoTime();
            process.destroyForcibly(); // SIGKILL
            int attempts = 0;
            long leaderMs = -1;
            NewTopic topic = new NewTopic("after-kill", 1, (short) 2);
            while (true) {
                attempts++;
                if (tryCreate(admin, topic)) {
                    break;
                }
                check(deadline, "a create after the controller's kill");
                if (leaderMs < 0) {
                    try {
                        if (quorumLeader(admin) != controller) {
                            leaderMs = millisSince(killedAt);
                        }
                    } catch (Exception e) {
                        // no leader yet, or the request went to the dead node: asked again after the next attempt
                    }
                }
            }
            long createMs = millisSince(killedAt);
            System.out.println("killed_node " + controller);
            System.out.println("create_ms " + createMs);
            System.out.println("attempts " + attempts);
            System.out.println("quorum_leader_ms " + (leaderMs < 0 ? createMs : leaderMs));
        }
    }

    private static void create(String bootstrap, String prefix, int topics, int partitions) throws Exception {
        try (Admin admin = admin(bootstrap, 300_000)) {
            awaitBrokers(admin, 3);
            List<String> names = new ArrayList<>();
            int existed = 0;
            long start = System.nanoTime();
            for (int t = 0; t < topics; t++) {
                String name = prefix + "-" + t;
                if (!created(admin, new NewTopic(name, partitions, (short) 3))) {
                    existed++;
                }
                names.add(name);
            }
            System.out.println("answered_ms " + millisSince(start));
            System.out.println("creates_answered_exists " + existed);
            long deadline = deadline();
            long ledMs = -1;
            String last = "no answer";
            while (true) {
                try {
                    Collection<TopicDescription> described = admin.describeTopics(names).allTopicNames()
                            .get(60, TimeUnit.SECONDS).values();
                    List<TopicPartitionInfo> all = described.stream().flatMap(d -> d.partitions().stream()).toList();
                    if (all.size() == topics * partitions) {
                        if (ledMs < 0 && all.stream().allMatch(p -> p.leader() != null)) {
                            ledMs = millisSince(start);
                            System.out.println("led_ms " + ledMs);
                        }
                        if (ledMs >= 0 && all.stream().allMatch(p -> p.isr().size() == p.replicas().size())) {
                            System.out.println("in_sync_ms " + millisSince(start));
                            return;
                        }
                        if (ledMs >= 0 && millisSince(start) - ledMs > IN_SYNC_WAIT_MS) {
                            long lagging = all.stream().filter(p -> p.isr().size() < p.replicas().size()).count();
                            System.out.println("not_in_sync_partitions " + lagging);
                            return;
                        }
                    }
                    last = all.size() + " partitions described";
                } catch (Exception e) {
                    last = e.toString();
                }
                check(deadline, "every partition led and in sync, last: " + last);
                Thread.sleep(POLL_MS);
            }
        }
    }

    /** Replicas {a, b} of 3 brokers become {a, c}: the second replica moves to the broker that has none. */
    static List<Integer> target(List<Integer> replicas, Set<Integer> brokers) {
        Set<Integer> free = new HashSet<>(brokers);
        free.removeAll(replicas);
        if (replicas.size() != 2 || free.size() != 1) {
            throw new IllegalStateException("expected 2 replicas of 3 brokers: " + replicas + " of " + brokers);
        }
        return List.of(replicas.get(0), free.iterator().next());
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private static void reassign(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = admin(bootstrap, 30_000)) {
            awaitBrokers(admin, 3);
            if (!created(admin, new NewTopic(topic, partitions, (short) 2))) {
                System.out.println("creates_answered_exists 1");
            }
            long deadline = deadline();
            List<TopicPartitionInfo> described;
            while (true) {
                described = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
                if (described.stream().allMatch(p -> p.leader() != null && p.isr().size() == 2)) {
                    break;
                }
                check(deadline, "the new topic led and in sync");
                Thread.sleep(POLL_MS);
            }
            Set<Integer> brokers = new HashSet<>(ids(new ArrayList<>(admin.describeCluster().nodes().get())));
            Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
            Map<Integer, List<Integer>> targets = new HashMap<>();
            for (TopicPartitionInfo p : described) {
                List<Integer> to = target(ids(p.replicas()), brokers);
                targets.put(p.partition(), to);
                moves.put(new TopicPartition(topic, p.partition()), Optional.of(new NewPartitionReassignment(to)));
            }

            AtomicLong errors = new AtomicLong();
            byte[] value = new byte[RECORD_BYTES];
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < PRELOAD_RECORDS; i++) {
                    producer.send(new ProducerRecord<>(topic, i % partitions, null, value), (m, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                        }
                    });
                }
                producer.flush();
                System.out.println("moved_mb " + (long) PRELOAD_RECORDS * RECORD_BYTES / 1_000_000);

                Thread load = new Thread(() -> steady(producer, topic, partitions, value, errors), "load");
                load.setDaemon(true);
                load.start();
                Thread.sleep(2_000); // the producer at its pace before the move
                long start = System.nanoTime();
                admin.alterPartitionReassignments(moves).all().get();
                System.out.println("accepted_ms " + millisSince(start));
                String last = "no answer";
                while (true) {
                    try {
                        if (admin.listPartitionReassignments().reassignments().get().isEmpty()
                                && moved(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic),
                                        targets)) {
                            break;
                        }
                        last = "reassignments in progress or replicas not in sync";
                    } catch (ExecutionException e) {
                        last = e.toString();
                    }
                    check(deadline, "the reassignment, last: " + last);
                    Thread.sleep(POLL_MS);
                }
                System.out.println("reassign_ms " + millisSince(start));
                load.interrupt();
                load.join();
                producer.flush();
            }
            System.out.println("send_errors " + errors.get());
        }
    }

    private static boolean moved(TopicDescription description, Map<Integer, List<Integer>> targets) {
        for (TopicPartitionInfo p : description.partitions()) {
            Set<Integer> want = new HashSet<>(targets.get(p.partition()));
            if (!new HashSet<>(ids(p.replicas())).equals(want) || !new HashSet<>(ids(p.isr())).containsAll(want)) {
                return false;
            }
        }
        return true;
    }

    /** {@value #RATE} records per second, round robin over the partitions, until interrupted. */
    private static void steady(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, byte[] value,
            AtomicLong errors) {
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / RATE;
        long next = System.nanoTime();
        for (long i = 0; !Thread.currentThread().isInterrupted(); i++) {
            producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, value), (m, e) -> {
                if (e != null) {
                    errors.incrementAndGet();
                }
            });
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
