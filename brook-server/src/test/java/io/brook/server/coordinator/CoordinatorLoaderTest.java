package io.brook.server.coordinator;

import io.brook.coordinator.group.CommittedOffset;
import io.brook.coordinator.group.GroupConfig;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionConfig;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.coordinator.transaction.TransactionRecord;
import io.brook.coordinator.transaction.TransactionState;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.server.config.BrokerConfig;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.delayed.CoordinatorTimer;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinators follow their partitions' leadership: a partition this node stops leading is unloaded (its
 * groups, offsets and transactional ids forgotten, a waiting join answered NOT_COORDINATOR), one it leads again is
 * read back from its log (offsets return; a prepared transaction gets its markers, with the partition's leader
 * epoch as coordinator epoch, and is completed). Runs on one node's real logs; role changes are handed to the
 * loader as the replica manager would hand them.
 */
@Timeout(120)
class CoordinatorLoaderTest {
    private static final int NODE = 1;
    private static final int OTHER = 2;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    File dir;
    private LocalMetadataController controller;
    private LogManager logManager;
    private DelayedOperations delayed;
    private ExecutorService executor;
    private ReplicaManager replicas;
    private OffsetsTopic offsets;
    private TransactionTopic transactionTopic;
    private GroupCoordinator groups;
    private TransactionCoordinator transactions;
    private CoordinatorLoader loader;
    /** Markers the transaction coordinator asked for: producer id, coordinator epoch, commit. */
    private final List<long[]> markers = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        BrokerConfig config = BrokerConfig.defaults();
        controller = LocalMetadataController.open(new File(dir, "metadata"));
        LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(NODE), 1, (short) 1, 1,
                () -> null);
        logManager = new LogManager(List.of(new File(dir, "data")), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(NODE, logManager, config.topicDefaults());
        replicas.onImage(controller.image());
        controller.addPublisher(replicas::onMetadataUpdate);
        executor = Executors.newFixedThreadPool(2);
        delayed = new DelayedOperations(executor);
        replicas.onHighWatermarkAdvanced(delayed::checkAndComplete);
        CoordinatorTimer timer = new CoordinatorTimer(delayed.timer());
        CoordinatorAppender appender = CoordinatorAppender.replicated(delayed, CoordinatorAppender.DEFAULT_TIMEOUT_MS);
        offsets = OffsetsTopic.createIfAbsent(channel, controller, replicas, OffsetsTopic.spec(4, (short) 1, 1 << 20),
                appender);
        transactionTopic = TransactionTopic.createIfAbsent(channel, controller, replicas,
                TransactionTopic.spec(4, (short) 1, 1, 1 << 20), appender);
        // a first rebalance waits group.initial.rebalance.delay.ms (a minute here): a join that stays pending
        groups = new GroupCoordinator(new GroupConfig(6000, 300000, 60_000, 100, 4096), offsets, timer,
                System::currentTimeMillis);
        CoordinatorLoader[] self = new CoordinatorLoader[1];
        transactions = new TransactionCoordinator(new TransactionConfig(900000, 604800000L, 0), transactionTopic,
                (producerId, epoch, coordinatorEpoch, commit, partitions) -> {
                    markers.add(new long[]{producerId, coordinatorEpoch, commit ? 1 : 0});
                    return CompletableFuture.completedFuture(null);
                }, () -> CompletableFuture.completedFuture(7L), timer, System::currentTimeMillis,
                id -> self[0].transactionCoordinatorEpoch(id));
        loader = new CoordinatorLoader(NODE, replicas, offsets, groups, transactionTopic, transactions);
        self[0] = loader;
        loader.start(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }

    @AfterEach
    void stop() throws Exception {
        loader.close();
        delayed.close();
        executor.shutdownNow();
        logManager.close();
        controller.close();
    }

    /** Hands the loader a role of {@code partition} of {@code topic}, as the replica manager does, and waits for it. */
    private void role(String topic, int partition, int leader, int leaderEpoch) throws InterruptedException {
        Partition p = replicas.partition(new TopicPartition(topic, partition));
        loader.onRole(p, new PartitionImage(partition, List.of(NODE, OTHER), List.of(NODE, OTHER), leader,
                leaderEpoch, leaderEpoch));
        assertTrue(loader.awaitIdle(TimeUnit.SECONDS.toMillis(WAIT_SECONDS)), "the loader did not finish");
    }

    @Test
    void aGroupsOffsetsLeaveWithItsPartitionAndComeBackFromTheLog() throws Exception {
        String group = "orders";
        TopicPartition tp = new TopicPartition("data", 0);
        int partition = offsets.partitionFor(group);
        assertEquals(Errors.NONE, loader.status(group, CoordinatorType.GROUP), "loaded at start");
        Map<TopicPartition, Errors> committed = groups.commit(group, -1, "", null,
                Map.of(tp, new CommittedOffset(42, -1, "", System.currentTimeMillis()))).get(WAIT_SECONDS,
                TimeUnit.SECONDS);
        assertEquals(Errors.NONE, committed.get(tp));
        // a member waiting in the first rebalance of another group of the same partition
        String other = sameOffsetsPartition(group);
        CompletableFuture<GroupCoordinator.JoinResult> waiting = groups.join(new GroupCoordinator.JoinRequest(other,
                "", null, "c", "h", 10000, 10000, "consumer", List.of(new GroupCoordinator.Protocol("range",
                new byte[0])), false));
        assertFalse(waiting.isDone(), "the join waits for the initial rebalance delay");

        role(Topic.GROUP_METADATA_TOPIC_NAME, partition, OTHER, 1); // another node leads it now
        assertNull(groups.fetch(group, List.of(tp)).get(tp), "unloaded: the offsets are not served from memory");
        assertTrue(groups.list().stream().noneMatch(g -> g.groupId().equals(group) || g.groupId().equals(other)));
        // a join waiting for the rebalance is sent to the new coordinator
        assertEquals(Errors.NOT_COORDINATOR, waiting.get(WAIT_SECONDS, TimeUnit.SECONDS).error());

        role(Topic.GROUP_METADATA_TOPIC_NAME, partition, NODE, 0); // and this node again
        assertEquals(Errors.NONE, loader.status(group, CoordinatorType.GROUP));
        assertEquals(42, groups.fetch(group, List.of(tp)).get(tp).offset(), "read back from the partition's log");
    }

    @Test
    void aPreparedTransactionIsCompletedByTheCoordinatorThatLoadsItsPartition() throws Exception {
        String id = "payments";
        int partition = transactionTopic.partitionFor(id);
        TopicPartition data = new TopicPartition("data", 1);
        transactionTopic.write(id, new TransactionRecord(id, 5, (short) 3, 60000, TransactionState.PREPARE_COMMIT,
                Set.of(data), System.currentTimeMillis(), System.currentTimeMillis())).get(WAIT_SECONDS,
                TimeUnit.SECONDS);

        role(Topic.TRANSACTION_STATE_TOPIC_NAME, partition, OTHER, 1);
        assertNull(transactions.describe(id), "unloaded");
        markers.clear();

        role(Topic.TRANSACTION_STATE_TOPIC_NAME, partition, NODE, 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (transactions.describe(id) == null
                || transactions.describe(id).state() != TransactionState.COMPLETE_COMMIT) {
            assertTrue(System.nanoTime() < deadline, "the prepared transaction was not completed: "
                    + transactions.describe(id));
            Thread.sleep(10);
        }
        assertEquals(1, markers.size(), "one commit marker write for the loaded transaction");
        assertEquals(5, markers.get(0)[0]);
        assertEquals(1, markers.get(0)[2]);
        assertEquals(loader.transactionCoordinatorEpoch(id), markers.get(0)[1],
                "the coordinator epoch is the partition's leader epoch");
    }

    /** Another group stored in the same offsets partition as {@code group}. */
    private String sameOffsetsPartition(String group) {
        for (int i = 0; i < 1000; i++) {
            String candidate = "group-" + i;
            if (offsets.partitionFor(candidate) == offsets.partitionFor(group)) {
                return candidate;
            }
        }
        throw new AssertionError("no other group in the partition of " + group);
    }
}
