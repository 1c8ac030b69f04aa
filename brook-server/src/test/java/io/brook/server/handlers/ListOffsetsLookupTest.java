package io.brook.server.handlers;

import io.brook.metadata.image.PartitionImage;
import io.brook.server.partition.Partition;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ListOffsetsRequest;
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

/**
 * ListOffsets by who asks ({@link ListOffsetsHandler#lookup}): a consumer sees the leader's high watermark, and
 * OFFSET_NOT_AVAILABLE while a new leader's high watermark lags its epoch start; the debugging replica id reads any
 * replica up to its log end. On a real partition log; the follower never fetches, so the high watermark stays put.
 */
class ListOffsetsLookupTest {
    private static final int NODE = 1;
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final int CONSUMER = ListOffsetsRequest.CONSUMER_REPLICA_ID;
    private static final int DEBUGGING = ListOffsetsRequest.DEBUGGING_REPLICA_ID;

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

    private static ListOffsetsPartitionResponse ask(Partition partition, long timestamp, int replicaId) {
        return ListOffsetsHandler.lookup(partition, 0, new ListOffsetsPartition().setPartitionIndex(0)
                .setTimestamp(timestamp).setCurrentLeaderEpoch(-1), replicaId, false);
    }

    @Test
    void consumersSeeTheHighWatermarkOfTheLeaderAndToolsTheLogEndOfAnyReplica() throws IOException {
        log = PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP, Uuid.randomUuid(),
                LogConfig.fromMap(Map.of()), 0, 0, true, Time.SYSTEM, scheduler);
        Partition partition = new Partition(TP, Uuid.randomUuid(), log,
                new PartitionImage(0, List.of(1, 2), List.of(1, 2), NODE, 0, 0), NODE);
        for (int i = 0; i < 3; i++) {
            partition.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(), "v".getBytes())),
                    (short) -1);
        }
        long ts = System.currentTimeMillis() - 60_000;
        assertEquals(0, ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, CONSUMER).offset(),
                "the follower has not fetched: the high watermark");
        assertEquals(3, ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, DEBUGGING).offset(), "the log end");
        assertEquals(-1, ask(partition, ts, CONSUMER).offset(), "records past the high watermark are not found");
        assertEquals(0, ask(partition, ts, DEBUGGING).offset());

        partition.update(new PartitionImage(0, List.of(1, 2), List.of(1, 2), NODE, 1, 1)); // re-elected, epoch 1
        assertEquals(Errors.OFFSET_NOT_AVAILABLE.code(),
                ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, CONSUMER).errorCode(),
                "the high watermark (0) lags the epoch's start (3)");
        assertEquals(Errors.OFFSET_NOT_AVAILABLE.code(), ask(partition, ts, CONSUMER).errorCode());
        assertEquals(Errors.NONE.code(), ask(partition, ListOffsetsRequest.EARLIEST_TIMESTAMP, CONSUMER).errorCode());
        assertEquals(3, ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, DEBUGGING).offset());

        partition.update(new PartitionImage(0, List.of(1, 2), List.of(1, 2), 2, 2, 2)); // now a follower
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(),
                ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, CONSUMER).errorCode());
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(),
                ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, 3).errorCode(), "another broker asks the leader");
        ListOffsetsPartitionResponse debug = ask(partition, ListOffsetsRequest.LATEST_TIMESTAMP, DEBUGGING);
        assertEquals(Errors.NONE.code(), debug.errorCode());
        assertEquals(3, debug.offset(), "a follower's log end, for tools");
        assertEquals(2, debug.leaderEpoch());
    }
}
