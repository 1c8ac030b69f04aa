package io.brook.server.partition;

import io.brook.metadata.image.PartitionImage;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code min.insync.replicas} on a leader, as Kafka 4 applies it: capped at the replica count, and while the committed
 * ISR is below it acks=all is refused and the high watermark does not move (KIP-966), so consumers never see a
 * record fewer replicas than the minimum hold.
 */
class MinInSyncReplicasTest {
    private static final int NODE = 1;
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    File dir;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private PartitionLog log;

    @AfterEach
    void close() throws IOException {
        if (log != null) {
            log.close();
        }
        scheduler.shutdownNow();
    }

    private Partition leader(int minIsr, List<Integer> replicas, List<Integer> isr) throws IOException {
        log = PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP, Uuid.randomUuid(),
                LogConfig.fromMap(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(minIsr))), 0, 0,
                true, Time.SYSTEM, scheduler);
        // no broker may join an ISR here: only the committed ISR counts for the high watermark
        return new Partition(TP, Uuid.randomUuid(), log, new PartitionImage(0, replicas, isr, NODE, 0, 0), NODE);
    }

    private static MemoryRecords batch() {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()));
    }

    @Test
    void aOneReplicaTopicTakesAcksAllWhateverItsMinimum() throws IOException {
        Partition partition = leader(3, List.of(NODE), List.of(NODE));
        partition.appendAsLeader(batch(), (short) -1);
        assertEquals(1, partition.highWatermark());
        assertFalse(partition.isUnderMinIsr());
    }

    @Test
    void belowItsMinimumTheIsrRefusesAcksAllAndTheHighWatermarkStays() throws IOException {
        Partition partition = leader(2, List.of(1, 2, 3), List.of(1, 2));
        partition.appendAsLeader(batch(), (short) 1);
        assertEquals(0, partition.highWatermark(), "follower 2 has not fetched it yet");
        assertTrue(partition.onFollowerFetch(2, 1, 1, 0));
        assertEquals(1, partition.highWatermark());

        partition.update(new PartitionImage(0, List.of(1, 2, 3), List.of(1), NODE, 0, 1)); // 2 left the ISR
        assertTrue(partition.isUnderMinIsr());
        assertThrows(NotEnoughReplicasException.class, () -> partition.appendAsLeader(batch(), (short) -1));
        partition.appendAsLeader(batch(), (short) 1);
        assertEquals(2, partition.log().logEndOffset());
        assertEquals(1, partition.highWatermark(), "the leader alone holds offset 1: not shown to consumers");

        partition.update(new PartitionImage(0, List.of(1, 2, 3), List.of(1, 2), NODE, 0, 2)); // 2 is back
        assertFalse(partition.isUnderMinIsr());
        assertEquals(1, partition.highWatermark(), "until 2 has it too");
        assertTrue(partition.onFollowerFetch(2, 2, 1, 0));
        assertEquals(2, partition.highWatermark());
    }
}
