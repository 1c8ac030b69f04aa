package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * For the replicated rows of side-by-side.sh (a 3-node cluster, Brook or Kafka, measured with the same client).
 *
 * <p>{@code LeaderFailover await <bootstrap> <topic>}: waits until every partition of the topic has a leader and
 * all its replicas in the ISR, so a row starts on a healthy topic.
 *
 * <p>{@code LeaderFailover kill <bootstrap> <topic> <nodeId=pid,...> [p0|controller|not-controller]}: an acks=all
 * producer writes {@value #RECORD_BYTES} B records to every partition of the topic at a steady pace; once every
 * partition has acknowledged records, one partition's leader is sent SIGKILL (by its pid, from the map the script
 * gives): partition 0's ({@code p0}, the default), or the first partition's that the active controller leads
 * ({@code controller}: the controller must be re-elected first), or the first partition's led by a broker that is
 * not the active controller ({@code not-controller}); without such a partition it falls back to partition 0.
 * Then, per partition that broker led, the time from the kill to the first acknowledgement of a record that was
 * <em>sent after</em> the kill (so an answer the dead leader had already put on the wire does not count). Prints
 * {@code key value} lines: {@code killed_node}, {@code target_partition}, {@code killed_was_controller} (1 when the
 * killed broker was also the active controller), {@code leader_visible_ms} (metadata names another leader for the
 * target partition), {@code partition_ms} (its next acknowledgement), {@code all_led_ms} (the slowest of the
 * killed broker's partitions) and {@code send_errors} (records the producer gave up on: must be 0).
 */
public final class LeaderFailover {
    static final int RECORD_BYTES = 100;
    /** Pace: one record per partition every this many milliseconds. */
    private static final long SEND_INTERVAL_MS = 2;
    private static final long WARM_UP_MS = 3_000;
    /** How long a partition may stay without an acknowledgement after the kill before the tool gives up. */
    private static final long GIVE_UP_MS = 180_000;
    private static final long AWAIT_MS = 180_000;
    private static final long POLL_MS = 50;

    private LeaderFailover() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String bootstrap = args[1];
        String topic = args[2];
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
            switch (mode) {
                case "await" -> awaitInSync(admin, topic);
                case "kill" -> killLeader(admin, bootstrap, topic, pids(args[3]), args.length > 4 ? args[4] : "p0");
                default -> throw new IllegalArgumentException("mode await or kill, not " + mode);
            }
        }
    }

    private static Map<Integer, Long> pids(String spec) {
        Map<Integer, Long> pids = new HashMap<>();
        for (String pair : spec.split(",")) {
            String[] idPid = pair.split("=");
            pids.put(Integer.parseInt(idPid[0]), Long.parseLong(idPid[1]));
        }
        return pids;
    }

    private static List<TopicPartitionInfo> describe(Admin admin, String topic) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(5, TimeUnit.SECONDS).get(topic);
        return description.partitions();
    }

    private static boolean inSync(TopicPartitionInfo p) {
        return p.leader() != null && !p.replicas().isEmpty() && p.isr().size() == p.replicas().size();
    }

    private static void awaitInSync(Admin admin, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + AWAIT_MS;
        String last = "no answer";
        while (System.currentTimeMillis() < deadline) {
            try {
                List<TopicPartitionInfo> partitions = describe(admin, topic);
                last = partitions.toString();
                if (partitions.stream().allMatch(LeaderFailover::inSync)) {
                    System.out.println("in_sync " + partitions.size());
                    return;
                }
            } catch (Exception e) {
                last = e.toString();
            }
            Thread.sleep(POLL_MS);
        }
        throw new IllegalStateException("partitions of " + topic + " not all in sync: " + last);
    }

    private static void killLeader(Admin admin, String bootstrap, String topic, Map<Integer, Long> pids,
            String target) throws Exception {
        if (!List.of("p0", "controller", "not-controller").contains(target)) {
            throw new IllegalArgumentException("target p0, controller or not-controller, not " + target);
        }
        awaitInSync(admin, topic);
        List<TopicPartitionInfo> partitions = describe(admin, topic);
        int count = partitions.size();
        AtomicLongArray lastAck = new AtomicLongArray(count);      // nanoTime of the latest acknowledgement
        AtomicLongArray firstAfterKill = new AtomicLongArray(count); // nanoTime, 0 until one arrives
        AtomicLong errors = new AtomicLong();
        long[] killedAt = {Long.MAX_VALUE};
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 1,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) GIVE_UP_MS);
        byte[] value = new byte[RECORD_BYTES];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            long start = System.currentTimeMillis();
            int killedNode = -1;
            int controller = -2;
            int targetPartition = 0;
            Set<Integer> led = new TreeSet<>();
            long leaderVisibleNanos = 0;
            long lastPoll = 0;
            long giveUp = Long.MAX_VALUE;
            while (true) {
                long sentAt = System.nanoTime();
                boolean afterKill = sentAt > killedAt[0];
                for (int p = 0; p < count; p++) {
                    int partition = p;
                    producer.send(new ProducerRecord<>(topic, partition, null, value), (metadata, e) -> {
                        if (e != null) {
                            errors.incrementAndGet();
                            return;
                        }
                        long now = System.nanoTime();
                        lastAck.set(partition, now);
                        if (afterKill) {
                            firstAfterKill.compareAndSet(partition, 0, now);
                        }
                    });
                }
                if (killedNode < 0 && System.currentTimeMillis() - start >= WARM_UP_MS && allAcked(lastAck)) {
                    // the broker to kill and what it leads, from the cluster's own metadata
                    partitions = describe(admin, topic);
                    controller = admin.describeCluster().controller().get(5, TimeUnit.SECONDS).id();
                    targetPartition = choose(partitions, target, controller);
                    killedNode = byIndex(partitions, targetPartition).leader().id();
                    for (TopicPartitionInfo p : partitions) {
                        if (p.leader() != null && p.leader().id() == killedNode) {
                            led.add(p.partition());
                        }
                    }
                    Long pid = pids.get(killedNode);
                    if (pid == null) {
                        throw new IllegalStateException("no pid for node " + killedNode + " in " + pids);
                    }
                    ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() ->
                            new IllegalStateException("no process " + pid));
                    killedAt[0] = System.nanoTime();
                    process.destroyForcibly(); // SIGKILL
                    giveUp = System.currentTimeMillis() + GIVE_UP_MS;
                }
                if (killedNode >= 0) {
                    if (leaderVisibleNanos == 0 && sentAt - killedAt[0] > 0
                            && System.currentTimeMillis() - lastPoll >= POLL_MS) {
                        // after this round's post-kill records are queued, so a slow answer delays no ack
                        lastPoll = System.currentTimeMillis();
                        leaderVisibleNanos = newLeaderSeen(admin, topic, targetPartition, killedNode);
                    }
                    if (led.stream().allMatch(p -> firstAfterKill.get(p) != 0)) {
                        break;
                    }
                    if (System.currentTimeMillis() > giveUp) {
                        throw new IllegalStateException("no acknowledgement on " + led + " within " + GIVE_UP_MS
                                + " ms of the kill");
                    }
                }
                Thread.sleep(SEND_INTERVAL_MS);
            }
            producer.flush();
            long kill = killedAt[0];
            System.out.println("killed_node " + killedNode);
            System.out.println("killed_partitions " + led);
            System.out.println("target_partition " + targetPartition);
            System.out.println("killed_was_controller " + (controller == killedNode ? 1 : 0));
            System.out.println("leader_visible_ms " + (leaderVisibleNanos == 0 ? "-"
                    : String.valueOf(millis(leaderVisibleNanos - kill))));
            System.out.println("partition_ms " + millis(firstAfterKill.get(targetPartition) - kill));
            long slowest = 0;
            for (int p : led) {
                slowest = Math.max(slowest, firstAfterKill.get(p) - kill);
            }
            System.out.println("all_led_ms " + millis(slowest));
            System.out.println("send_errors " + errors.get());
        }
    }

    private static boolean allAcked(AtomicLongArray lastAck) {
        for (int p = 0; p < lastAck.length(); p++) {
            if (lastAck.get(p) == 0) {
                return false;
            }
        }
        return true;
    }

    private static TopicPartitionInfo byIndex(List<TopicPartitionInfo> partitions, int partition) {
        return partitions.stream().filter(p -> p.partition() == partition).findFirst()
                .orElseThrow(() -> new IllegalStateException("no partition " + partition + " in " + partitions));
    }

    /** The partition whose leader is to be killed (see the class comment); partition 0 when none fits. */
    static int choose(List<TopicPartitionInfo> partitions, String target, int controller) {
        for (TopicPartitionInfo p : partitions) {
            Node leader = p.leader();
            if (leader == null) {
                continue;
            }
            if (target.equals("controller") && leader.id() == controller
                    || target.equals("not-controller") && leader.id() != controller) {
                return p.partition();
            }
        }
        return 0;
    }

    /** nanoTime when the metadata names a leader for the partition other than the killed broker, else 0. */
    private static long newLeaderSeen(Admin admin, String topic, int partition, int killedNode) {
        try {
            Node leader = byIndex(describe(admin, topic), partition).leader();
            return leader != null && leader.id() != killedNode ? System.nanoTime() : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
