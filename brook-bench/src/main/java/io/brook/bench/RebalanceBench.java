package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * For the rebalance row of side-by-side.sh: a group of 10 consumers over a 100-partition topic
 * (one member in a child JVM, so it can crash), then the time until the group is stable again
 * with every partition owned once: after an 11th member joins, and after the child is killed
 * (SIGKILL: no LeaveGroup, so its session timeout of 6 s is part of the figure).
 *
 * <p>Usage: {@code RebalanceBench <bootstrap> <assignor class | consumer>}; {@code consumer} runs the
 * members with {@code group.protocol=consumer} (KIP-848, the server's uniform assignor; session and
 * heartbeat are then the server's {@code group.consumer.*} settings). Prints {@code join_ms N} and
 * {@code crash_ms N}.
 */
public final class RebalanceBench {
    private static final int PARTITIONS = 100;
    private static final int MEMBERS = 10;
    private static final int SESSION_TIMEOUT_MS = 6000;
    private static final long GIVE_UP_MS = 120_000;
    private static final String CONSUMER_PROTOCOL = "consumer";

    private RebalanceBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("member")) {
            runMember(args[1], args[2], args[3], new AtomicBoolean());
            return;
        }
        String bootstrap = args[0];
        String assignor = args[1];
        String topic = "rebalance-" + assignor.substring(assignor.lastIndexOf('.') + 1).toLowerCase();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < MEMBERS - 1; i++) {
                threads.add(start(bootstrap, assignor, topic, stop));
            }
            Process child = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                    "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), RebalanceBench.class.getName(),
                    "member", bootstrap, assignor, topic).inheritIO().start();
            waitStable(admin, topic, MEMBERS);

            long joinStart = System.nanoTime();
            threads.add(start(bootstrap, assignor, topic, stop));
            waitStable(admin, topic, MEMBERS + 1);
            System.out.println("join_ms " + (System.nanoTime() - joinStart) / 1_000_000);

            long crashStart = System.nanoTime();
            child.destroyForcibly();
            waitStable(admin, topic, MEMBERS);
            System.out.println("crash_ms " + (System.nanoTime() - crashStart) / 1_000_000);

            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }

    /** Waits until the group is stable with {@code members} members that own every partition once. */
    private static void waitStable(Admin admin, String topic, int members) throws Exception {
        long deadline = System.currentTimeMillis() + GIVE_UP_MS;
        String group = topic + "-group";
        while (System.currentTimeMillis() < deadline) {
            ConsumerGroupDescription description;
            try {
                description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            } catch (java.util.concurrent.ExecutionException e) {
                Thread.sleep(10); // the group does not exist yet
                continue;
            }
            if (description.groupState() == GroupState.STABLE && description.members().size() == members) {
                Set<TopicPartition> owned = new HashSet<>();
                int total = 0;
                boolean everyoneWorks = true;
                for (MemberDescription m : description.members()) {
                    Set<TopicPartition> mine = m.assignment().topicPartitions();
                    owned.addAll(mine);
                    total += mine.size();
                    everyoneWorks &= !mine.isEmpty();
                }
                if (owned.size() == PARTITIONS && total == PARTITIONS && everyoneWorks) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("the group did not settle with " + members + " members");
    }

    private static Thread start(String bootstrap, String assignor, String topic, AtomicBoolean stop) {
        Thread thread = new Thread(() -> runMember(bootstrap, assignor, topic, stop), "member");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void runMember(String bootstrap, String assignor, String topic, AtomicBoolean stop) {
        Map<String, Object> props = assignor.equals(CONSUMER_PROTOCOL) ? Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, topic + "-group",
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, CONSUMER_PROTOCOL,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false) : Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, topic + "-group",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS,
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                consumer.poll(Duration.ofMillis(50));
            }
        }
    }
}
