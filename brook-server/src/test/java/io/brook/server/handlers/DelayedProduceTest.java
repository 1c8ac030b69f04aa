package io.brook.server.handlers;

import io.brook.metadata.image.PartitionImage;
import io.brook.server.delayed.DelayedOperationPurgatory;
import io.brook.server.delayed.HierarchicalTimer;
import io.brook.server.partition.Partition;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** acks=all through the produce purgatory, on a real partition log and a manual clock. */
class DelayedProduceTest {
    private static final int NODE = 1;
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    File dir;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong clock = new AtomicLong(1_000);
    private final HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
    private final DelayedOperationPurgatory<TopicPartition> produces = new DelayedOperationPurgatory<>("Produce", timer);
    private PartitionLog log;

    @AfterEach
    void close() throws IOException {
        if (log != null) {
            log.close();
        }
        scheduler.shutdownNow();
    }

    private Partition partition(List<Integer> isr) throws IOException {
        log = PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP, Uuid.randomUuid(),
                LogConfig.fromMap(Map.of()), 0, 0, true, Time.SYSTEM, scheduler);
        return new Partition(TP, Uuid.randomUuid(), log, new PartitionImage(0, List.of(1, 2), isr, NODE, 0, 0), NODE);
    }

    private static MemoryRecords batch() {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()));
    }

    /** Appends with acks=all and parks the answer as ProduceHandler does; returns the answer's state. */
    private PartitionProduceResponse produce(Partition partition, long timeoutMs, AtomicInteger answers)
            throws IOException {
        AppendResult appended = partition.appendAsLeader(batch(), (short) -1);
        PartitionProduceResponse result = new PartitionProduceResponse().setBaseOffset(appended.firstOffset());
        DelayedProduce op = new DelayedProduce(timeoutMs,
                List.of(new DelayedProduce.Pending(TP, appended.lastOffset() + 1, partition.leaderEpoch(), result)),
                tp -> tp.equals(TP) ? partition : null, answers::incrementAndGet);
        produces.tryCompleteElseWatch(op, op.watchKeys());
        return result;
    }

    @Test
    void onOneNodeTheHighWatermarkMovesAtAppendSoAcksAllIsAnsweredAtOnce() throws IOException {
        Partition partition = partition(List.of(NODE));
        AtomicInteger answers = new AtomicInteger();
        PartitionProduceResponse result = produce(partition, 30_000, answers);
        assertEquals(1, answers.get());
        assertEquals(Errors.NONE.code(), result.errorCode());
        assertEquals(0, timer.size(), "nothing left waiting");
        assertEquals(0, produces.watched());
    }

    @Test
    void aBatchTheHighWatermarkDoesNotReachTimesOutWithRequestTimedOut() throws Exception {
        // a second in-sync replica that never fetches: the high watermark stays below the batch
        Partition partition = partition(List.of(NODE, 2));
        AtomicInteger answers = new AtomicInteger();
        PartitionProduceResponse result = produce(partition, 500, answers);
        assertEquals(0, answers.get(), "parked until replicated");
        assertEquals(1, timer.size());
        produces.checkAndComplete(TP);
        assertEquals(0, answers.get(), "an event that does not move the high watermark changes nothing");
        clock.addAndGet(499);
        while (timer.advanceClock(0)) {
            // due buckets
        }
        assertEquals(0, answers.get(), "not before the request's timeout");
        clock.addAndGet(1);
        while (timer.advanceClock(0)) {
            // due buckets
        }
        assertEquals(1, answers.get());
        assertEquals(Errors.REQUEST_TIMED_OUT.code(), result.errorCode());
        assertEquals(0, result.baseOffset(), "the answer keeps the offset the batch was written at");
        assertEquals(0, produces.watched());
    }

    @Test
    void leadershipMovingAwayAnswersNotLeader() throws Exception {
        Partition partition = partition(List.of(NODE, 2));
        AtomicInteger answers = new AtomicInteger();
        PartitionProduceResponse result = produce(partition, 30_000, answers);
        assertFalse(answers.get() > 0);
        partition.update(new PartitionImage(0, List.of(1, 2), List.of(2), 2, 1, 1));
        assertEquals(1, produces.checkAndComplete(TP));
        assertEquals(1, answers.get());
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), result.errorCode());
        assertTrue(timer.size() == 0, "its timeout left the wheel");
    }

    /**
     * Leadership away and back before the batch was replicated: the batch may have been truncated meanwhile and
     * other records written at its offset, so even a high watermark past it answers NOT_LEADER_OR_FOLLOWER, and the
     * role change itself wakes the parked produce.
     */
    @Test
    void aBatchFromAnEarlierLeaderEpochIsNeverAcknowledged() throws Exception {
        Partition partition = partition(List.of(NODE, 2));
        partition.onHighWatermarkAdvanced(produces::checkAndComplete);
        AtomicInteger answers = new AtomicInteger();
        PartitionProduceResponse result = produce(partition, 30_000, answers);
        assertEquals(0, answers.get());
        // the same node leads again in epoch 1, alone in the ISR: its high watermark passes the old batch at once
        partition.update(new PartitionImage(0, List.of(1, 2), List.of(NODE), NODE, 1, 1));
        assertEquals(1, answers.get(), "the role change woke it");
        assertTrue(partition.highWatermark() >= 1, "the high watermark passed the batch");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), result.errorCode());
    }
}
