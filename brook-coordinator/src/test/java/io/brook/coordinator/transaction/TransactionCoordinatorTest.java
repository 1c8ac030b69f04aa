package io.brook.coordinator.transaction;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.transaction.TransactionCoordinator.InitResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@Timeout(10)
class TransactionCoordinatorTest {
    static final TopicPartition A = new TopicPartition("a", 0);
    static final TopicPartition B = new TopicPartition("b", 1);

    /** A marker as the partitions would receive it. */
    record Marker(long producerId, short epoch, boolean commit, Set<TopicPartition> partitions) {
    }

    final ManualTimer timer = new ManualTimer();
    final Map<String, TransactionRecord> log = new LinkedHashMap<>();
    final List<Marker> markers = new ArrayList<>();
    final AtomicLong nextId = new AtomicLong(1000);
    boolean markersFail;
    TransactionCoordinator coordinator = newCoordinator();

    TransactionCoordinator newCoordinator() {
        return new TransactionCoordinator(new TransactionConfig(60_000, 7 * 24 * 3600_000L, 0),
                (id, record) -> {
                    if (record == null) {
                        log.remove(id);
                    } else {
                        log.put(id, record);
                    }
                    return CompletableFuture.completedFuture(null);
                },
                (pid, epoch, coordinatorEpoch, commit, partitions) -> {
                    if (markersFail) {
                        return CompletableFuture.failedFuture(new java.io.IOException("disk"));
                    }
                    markers.add(new Marker(pid, epoch, commit, partitions));
                    return CompletableFuture.completedFuture(null);
                },
                () -> CompletableFuture.completedFuture(nextId.getAndIncrement()), timer, timer::now);
    }

    InitResult init(String id) {
        return coordinator.initProducerId(id, 10_000, -1, (short) -1).join();
    }

    @Test
    void commitWritesMarkersToEveryPartitionAndCompletes() {
        InitResult p = init("tx");
        assertEquals(new InitResult(Errors.NONE, 1000, (short) 0), p);
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
        assertEquals(Errors.NONE, coordinator.verify("tx", 1000, (short) 0, A));
        assertEquals(Errors.INVALID_TXN_STATE, coordinator.verify("tx", 1000, (short) 0, B), "B was not added");
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 0, List.of(B)).join());
        assertEquals(Errors.NONE, coordinator.endTxn("tx", 1000, (short) 0, true, false).join().error());
        assertEquals(List.of(new Marker(1000, (short) 0, true, Set.of(A, B))), markers);
        assertEquals(TransactionState.COMPLETE_COMMIT, log.get("tx").state());
        assertEquals(Errors.NONE, end("tx", 1000, 0, true, false).error(), "a retried commit");
        assertEquals(Errors.INVALID_TXN_STATE, end("tx", 1000, 0, false, false).error());
        assertEquals(Errors.INVALID_TXN_STATE, coordinator.verify("tx", 1000, (short) 0, A), "no open transaction");
    }

    TransactionCoordinator.EndResult end(String id, long producerId, int epoch, boolean commit, boolean bump) {
        return coordinator.endTxn(id, producerId, (short) epoch, commit, bump).join();
    }

    @Test
    void protocolTwoBumpsTheEpochAtEveryEndAndAnswersARetryAsBefore() {
        init("tx");
        coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join();
        TransactionCoordinator.EndResult ended = end("tx", 1000, 0, true, true);
        assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, 1000, (short) 1), ended);
        assertEquals(List.of(new Marker(1000, (short) 1, true, Set.of(A))), markers, "markers carry the new epoch");
        assertEquals(TransactionState.COMPLETE_COMMIT, log.get("tx").state());
        assertEquals(1, log.get("tx").producerEpoch());
        assertEquals(ended, end("tx", 1000, 0, true, true), "a retry gets the same answer");
        assertEquals(Errors.PRODUCER_FENCED, end("tx", 1000, 0, false, true).error(), "not the same decision");
        assertEquals(Errors.PRODUCER_FENCED, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join(),
                "the old epoch cannot start a transaction");
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 1, List.of(B)).join());
        assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, 1000, (short) 2), end("tx", 1000, 1, false, true));
        assertEquals(new Marker(1000, (short) 2, false, Set.of(B)), markers.get(1));
    }

    @Test
    void protocolTwoMovesToANewProducerIdWhenTheEpochsRunOut() {
        coordinator.load("tx", new TransactionRecord("tx", 7, (short) (Short.MAX_VALUE - 1), 10_000,
                TransactionState.ONGOING, Set.of(A), timer.now(), timer.now()));
        assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, 1000, (short) 0),
                end("tx", 7, Short.MAX_VALUE - 1, true, true));
        assertEquals(List.of(new Marker(7, Short.MAX_VALUE, true, Set.of(A))), markers);
        assertEquals(1000, log.get("tx").producerId());
        assertEquals(0, log.get("tx").producerEpoch());
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
    }

    @Test
    void aRestartBetweenPrepareAndCompleteStillMovesToTheNewProducerId() {
        coordinator.load("tx", new TransactionRecord("tx", 7, (short) (Short.MAX_VALUE - 1), 10_000,
                TransactionState.ONGOING, Set.of(A), timer.now(), timer.now()));
        markersFail = true;
        assertEquals(new TransactionCoordinator.EndResult(Errors.NONE, 1000, (short) 0),
                end("tx", 7, Short.MAX_VALUE - 1, false, true));
        TransactionRecord prepared = log.get("tx");
        assertEquals(1000, prepared.nextProducerId(), "the Prepare record carries the next producer id");
        assertEquals(prepared, TransactionRecords.parseValue("tx", ByteBuffer.wrap(TransactionRecords.value(prepared))),
                "and it survives the log's format (value version 1)");
        markersFail = false;
        coordinator = newCoordinator();
        log.forEach(coordinator::load);
        coordinator.resumePreparedTransactions();
        assertEquals(TransactionState.COMPLETE_ABORT, log.get("tx").state());
        assertEquals(1000, log.get("tx").producerId());
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
    }

    @Test
    void aNewInstanceFencesTheOldOneAndAbortsItsTransaction() {
        init("tx");
        coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join();
        InitResult retry = init("tx");
        assertEquals(Errors.CONCURRENT_TRANSACTIONS, retry.error(), "the open transaction is aborted first");
        assertEquals(List.of(new Marker(1000, (short) 1, false, Set.of(A))), markers, "aborted with a bumped epoch");
        InitResult fresh = init("tx");
        assertEquals(new InitResult(Errors.NONE, 1000, (short) 2), fresh);
        assertEquals(Errors.PRODUCER_FENCED, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
        assertEquals(Errors.PRODUCER_FENCED, coordinator.endTxn("tx", 1000, (short) 0, true, false).join().error());
        assertEquals(Errors.INVALID_PRODUCER_EPOCH, coordinator.verify("tx", 1000, (short) 0, A));
        assertEquals(Errors.PRODUCER_FENCED,
                coordinator.initProducerId("tx", 10_000, 1000, (short) 0).join().error(), "KIP-360 with a stale epoch");
    }

    @Test
    void transactionsOlderThanTheirTimeoutAreAborted() {
        init("tx");
        coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join();
        timer.advance(9_000);
        assertEquals(0, coordinator.abortTimedOut());
        timer.advance(2_000);
        assertEquals(1, coordinator.abortTimedOut());
        assertEquals(List.of(new Marker(1000, (short) 1, false, Set.of(A))), markers);
        assertEquals(TransactionState.COMPLETE_ABORT, log.get("tx").state());
        assertEquals(Errors.PRODUCER_FENCED, coordinator.endTxn("tx", 1000, (short) 0, true, false).join().error(),
                "the timed-out producer is fenced");
    }

    @Test
    void failedMarkersAreRetriedAndTheIdStaysBusyMeanwhile() {
        init("tx");
        coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join();
        markersFail = true;
        assertEquals(Errors.NONE, coordinator.endTxn("tx", 1000, (short) 0, false, false).join().error());
        assertEquals(TransactionState.PREPARE_ABORT, log.get("tx").state());
        assertEquals(Errors.CONCURRENT_TRANSACTIONS, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
        markersFail = false;
        timer.advance(TransactionCoordinator.MARKER_RETRY_BACKOFF_MS);
        assertEquals(TransactionState.COMPLETE_ABORT, log.get("tx").state());
        assertEquals(Errors.NONE, coordinator.addPartitions("tx", 1000, (short) 0, List.of(A)).join());
    }

    @Test
    void aReloadedCoordinatorFinishesDecidedTransactions() {
        init("tx");
        coordinator.addPartitions("tx", 1000, (short) 0, List.of(A, B)).join();
        markersFail = true;
        coordinator.endTxn("tx", 1000, (short) 0, true, false).join().error();
        markersFail = false;
        markers.clear();
        coordinator = newCoordinator(); // a restart: replay the log, markers may be missing
        log.forEach(coordinator::load);
        coordinator.resumePreparedTransactions();
        assertEquals(List.of(new Marker(1000, (short) 0, true, Set.of(A, B))), markers);
        assertEquals(TransactionState.COMPLETE_COMMIT, log.get("tx").state());
    }

    @Test
    void badRequestsGetKafkasErrors() {
        assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT,
                coordinator.initProducerId("tx", 60_001, -1, (short) -1).join().error());
        assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING, end("unknown", 1, 0, true, false).error());
        init("tx");
        assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING, coordinator.addPartitions("tx", 1, (short) 0, List.of(A)).join());
        assertEquals(Errors.INVALID_TXN_STATE, coordinator.endTxn("tx", 1000, (short) 0, true, false).join().error(),
                "no transaction to end");
    }

    @Test
    void idleTransactionalIdsExpire() {
        init("tx");
        timer.advance(7 * 24 * 3600_000L + 1);
        assertEquals(1, coordinator.expireTransactionalIds());
        assertNull(log.get("tx"));
        assertNull(coordinator.describe("tx"));
    }

    @Test
    void recordsRoundTripInKafkasFormat() {
        TransactionRecord record = new TransactionRecord("tx", 5, (short) 3, 60_000, TransactionState.ONGOING,
                Set.of(A, B, new TopicPartition("a", 7)), 123, 100);
        assertEquals(record, TransactionRecords.parseValue("tx", ByteBuffer.wrap(TransactionRecords.value(record))));
        assertEquals("tx", TransactionRecords.parseKey(ByteBuffer.wrap(TransactionRecords.key("tx"))));
        // Kafka's rule, so clients and Kafka tools find the same coordinator partition:
        // abs(hashCode) % partitions, with abs(Integer.MIN_VALUE) = 0
        assertEquals(16, TransactionRecords.partitionFor("tx", 50), "hashCode 3716");
        assertEquals(42, TransactionRecords.partitionFor("transactional-producer-7", 50), "hashCode -447076992");
        assertEquals(0, TransactionRecords.partitionFor("polygenelubricants", 50), "hashCode Integer.MIN_VALUE");
    }
}
