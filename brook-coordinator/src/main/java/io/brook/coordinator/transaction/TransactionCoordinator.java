package io.brook.coordinator.transaction;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Kafka's transaction coordinator: InitProducerId for transactional ids, AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, the produce-time verification that a partition is in the producer's
 * transaction, and the abort of transactions that outlive their timeout. Both transaction
 * protocols: version 1, where clients add partitions and the epoch changes only at InitProducerId
 * and when a transaction is fenced, and version 2 (KIP-890), where partitions are added as they
 * are written to and every EndTxn bumps the epoch (a new producer id when the epochs run out), so
 * a late write of a finished transaction can never join the next one.
 *
 * <p>Every change of a transactional id's state is written through {@link TransactionLog} before
 * it takes effect or is acknowledged; {@link #load} replays those records at start. Ending a
 * transaction writes PrepareCommit/PrepareAbort, answers the client, has {@link MarkerWriter} put
 * the markers into every partition of the transaction, then writes CompleteCommit/CompleteAbort.
 *
 * <p>Thread-safety: every operation holds the coordinator's monitor; writes and markers complete
 * through futures, and a transactional id with a write in flight answers CONCURRENT_TRANSACTIONS.
 */
public final class TransactionCoordinator {
    private static final Logger log = LoggerFactory.getLogger(TransactionCoordinator.class);
    /** Wait before writing markers again after a failure. */
    static final long MARKER_RETRY_BACKOFF_MS = 100;

    /** Where state changes are made durable: the {@code __transaction_state} partition of the id. */
    public interface TransactionLog {
        /** Writes the record, or a tombstone for {@code transactionalId} when {@code record} is null. */
        CompletableFuture<Void> write(String transactionalId, TransactionRecord record);
    }

    /** Writes commit or abort markers to the partitions of a transaction (WriteTxnMarkers). */
    public interface MarkerWriter {
        CompletableFuture<Void> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                      Set<TopicPartition> partitions);
    }

    /** Schedules retries. */
    public interface Timer {
        ScheduledFuture<?> schedule(Runnable task, long delayMs);
    }

    public record InitResult(Errors error, long producerId, short producerEpoch) {
        static InitResult error(Errors error) {
            return new InitResult(error, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        }
    }

    /** The answer to EndTxn: with protocol 2, the producer id and epoch of the next transaction. */
    public record EndResult(Errors error, long producerId, short producerEpoch) {
        static EndResult error(Errors error) {
            return new EndResult(error, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        }
    }

    /** A transactional id's state as the admin APIs report it. */
    public record TransactionDescription(String transactionalId, long producerId, short producerEpoch,
                                         int timeoutMs, TransactionState state, Set<TopicPartition> partitions,
                                         long startMs) {
    }

    /**
     * The in-memory state of one transactional id; {@code pending} while a write is in flight.
     * {@code ended} and {@code answered} are the producer id and epoch of the last protocol-2 EndTxn
     * and its answer, to recognise a retry of it.
     */
    private static final class Txn {
        final String transactionalId;
        TransactionRecord current;
        TransactionState pending;
        EndResult ended;
        EndResult answered;
        /** Completes when the transaction being ended is complete (markers written). */
        CompletableFuture<Void> settled = CompletableFuture.completedFuture(null);

        void forgetEnd() {
            ended = null;
            answered = null;
        }

        Txn(String transactionalId) {
            this.transactionalId = transactionalId;
        }
    }

    private final TransactionConfig config;
    private final TransactionLog txnLog;
    private final MarkerWriter markers;
    private final Supplier<CompletableFuture<Long>> producerIds;
    private final Timer timer;
    private final LongSupplier clock;
    private final Map<String, Txn> txns = new HashMap<>();
    /** The coordinator epoch markers of a transactional id carry: its state partition's leader epoch in a cluster. */
    private final ToIntFunction<String> coordinatorEpochs;

    /** A coordinator whose markers all carry {@code config.coordinatorEpoch()} (a node that never hands over). */
    public TransactionCoordinator(TransactionConfig config, TransactionLog txnLog, MarkerWriter markers,
                                  Supplier<CompletableFuture<Long>> producerIds, Timer timer, LongSupplier clock) {
        this(config, txnLog, markers, producerIds, timer, clock, id -> config.coordinatorEpoch());
    }

    /**
     * @param coordinatorEpochs the coordinator epoch of a transactional id, read when its markers are sent: the
     *     leader epoch of its {@code __transaction_state} partition, so the markers of a coordinator that lost the
     *     partition are fenced by those of the next one (TRANSACTION_COORDINATOR_FENCED)
     */
    public TransactionCoordinator(TransactionConfig config, TransactionLog txnLog, MarkerWriter markers,
                                  Supplier<CompletableFuture<Long>> producerIds, Timer timer, LongSupplier clock,
                                  ToIntFunction<String> coordinatorEpochs) {
        this.config = config;
        this.txnLog = txnLog;
        this.markers = markers;
        this.producerIds = producerIds;
        this.timer = timer;
        this.clock = clock;
        this.coordinatorEpochs = coordinatorEpochs;
    }

    // ------------------------------------------------------------------ InitProducerId

    /**
     * Gives a transactional producer its producer id and a new epoch, fencing earlier instances.
     * An open transaction of an earlier instance is aborted first; meanwhile the answer is
     * CONCURRENT_TRANSACTIONS and the client retries.
     *
     * @param expectedProducerId -1, or the id the client had (KIP-360: it may resume after an abortable error)
     */
    public synchronized CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs,
                                                                     long expectedProducerId,
                                                                     short expectedEpoch) {
        if (transactionalId.isEmpty()) {
            return done(InitResult.error(Errors.INVALID_REQUEST));
        }
        if (timeoutMs <= 0 || timeoutMs > config.maxTimeoutMs()) {
            return done(InitResult.error(Errors.INVALID_TRANSACTION_TIMEOUT));
        }
        Txn txn = txns.get(transactionalId);
        if (txn == null) {
            return producerIds.get().thenCompose(id -> initNew(transactionalId, timeoutMs, id));
        }
        if (txn.pending != null) {
            return done(InitResult.error(Errors.CONCURRENT_TRANSACTIONS));
        }
        TransactionRecord cur = txn.current;
        if (expectedProducerId != RecordBatch.NO_PRODUCER_ID
                && (expectedProducerId != cur.producerId() || expectedEpoch != cur.producerEpoch())) {
            return done(InitResult.error(Errors.PRODUCER_FENCED));
        }
        long now = clock.getAsLong();
        switch (cur.state()) {
            case PREPARE_COMMIT, PREPARE_ABORT, PREPARE_EPOCH_FENCE, DEAD -> {
                return done(InitResult.error(Errors.CONCURRENT_TRANSACTIONS));
            }
            case ONGOING -> {
                fenceAndAbort(txn, "a new instance of the producer started");
                return done(InitResult.error(Errors.CONCURRENT_TRANSACTIONS));
            }
            default -> {
                log.info("Transactional id {} started again: producer {} epoch {} is fenced", transactionalId,
                        cur.producerId(), cur.producerEpoch());
                if (cur.producerEpoch() >= Short.MAX_VALUE - 1) {
                    return producerIds.get().thenCompose(id -> bump(txn, timeoutMs, id, (short) 0, now));
                }
                return bump(txn, timeoutMs, cur.producerId(), (short) (cur.producerEpoch() + 1), now);
            }
        }
    }

    private synchronized CompletableFuture<InitResult> initNew(String transactionalId, int timeoutMs, long id) {
        Txn txn = txns.get(transactionalId);
        if (txn != null) { // another InitProducerId got here first while the id was allocated
            return done(InitResult.error(Errors.CONCURRENT_TRANSACTIONS));
        }
        txn = new Txn(transactionalId);
        txns.put(transactionalId, txn);
        long now = clock.getAsLong();
        TransactionRecord record = new TransactionRecord(transactionalId, id, (short) 0, timeoutMs,
                TransactionState.EMPTY, Set.of(), now, -1);
        return write(txn, record).thenApply(error -> error == Errors.NONE
                ? new InitResult(Errors.NONE, id, (short) 0) : InitResult.error(error));
    }

    private synchronized CompletableFuture<InitResult> bump(Txn txn, int timeoutMs, long producerId, short epoch,
                                                            long now) {
        txn.forgetEnd();
        TransactionRecord record = new TransactionRecord(txn.transactionalId, producerId, epoch, timeoutMs,
                TransactionState.EMPTY, Set.of(), now, -1);
        return write(txn, record).thenApply(error -> error == Errors.NONE
                ? new InitResult(Errors.NONE, producerId, epoch) : InitResult.error(error));
    }

    // ------------------------------------------------------------------ AddPartitionsToTxn / AddOffsetsToTxn

    /** Adds partitions to the producer's transaction, beginning it if none is open. */
    public synchronized CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short epoch,
                                                                Collection<TopicPartition> partitions) {
        Txn txn = txns.get(transactionalId);
        Errors error = validateProducer(txn, producerId, epoch);
        if (error != Errors.NONE) {
            return done(error);
        }
        TransactionRecord cur = txn.current;
        if (cur.state().isPreparing() || cur.state() == TransactionState.PREPARE_EPOCH_FENCE) {
            return done(Errors.CONCURRENT_TRANSACTIONS);
        }
        if (cur.state() == TransactionState.ONGOING && cur.partitions().containsAll(partitions)) {
            return done(Errors.NONE);
        }
        long now = clock.getAsLong();
        Set<TopicPartition> all = new HashSet<>(partitions);
        long start = now;
        if (cur.state() == TransactionState.ONGOING) {
            all.addAll(cur.partitions());
            start = cur.startMs();
        }
        return write(txn, new TransactionRecord(transactionalId, producerId, epoch, cur.timeoutMs(),
                TransactionState.ONGOING, all, now, start));
    }

    /**
     * A future that completes once the transaction of {@code transactionalId} that is being ended
     * is complete (at once when none is): writers that got CONCURRENT_TRANSACTIONS wait on it.
     */
    public synchronized CompletableFuture<Void> whenSettled(String transactionalId) {
        Txn txn = txns.get(transactionalId);
        return txn == null ? CompletableFuture.completedFuture(null) : txn.settled;
    }

    /**
     * Whether a transactional produce may write to {@code partition}: the producer is current and
     * its open transaction holds the partition (KIP-890's verification, answered locally).
     */
    public synchronized Errors verify(String transactionalId, long producerId, short epoch, TopicPartition partition) {
        Txn txn = txns.get(transactionalId);
        if (txn == null || txn.current.producerId() != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch != txn.current.producerEpoch()) {
            return Errors.INVALID_PRODUCER_EPOCH;
        }
        if (txn.current.state() != TransactionState.ONGOING || !txn.current.partitions().contains(partition)) {
            return Errors.INVALID_TXN_STATE;
        }
        return Errors.NONE;
    }

    // ------------------------------------------------------------------ EndTxn

    /**
     * Ends the producer's transaction. Answers once the decision is written; the markers follow.
     * A retried EndTxn for a transaction that already ended the same way succeeds.
     *
     * @param bumpEpoch transaction protocol 2 (EndTxn v5+): the markers carry the next epoch, which
     *                  the answer hands to the producer (with a new producer id when epochs run out)
     */
    public synchronized CompletableFuture<EndResult> endTxn(String transactionalId, long producerId, short epoch,
                                                            boolean commit, boolean bumpEpoch) {
        Txn txn = txns.get(transactionalId);
        if (bumpEpoch && txn != null && txn.ended != null && txn.ended.producerId() == producerId
                && txn.ended.producerEpoch() == epoch) {
            return done(retriedEnd(txn, commit)); // the answer to the first attempt was lost
        }
        Errors error = validateProducer(txn, producerId, epoch);
        if (error != Errors.NONE) {
            return done(EndResult.error(error));
        }
        TransactionRecord cur = txn.current;
        // protocol 1 answers a retry from the completed state; protocol 2 retries carry the old epoch
        // (above), and an abort without a transaction just moves the producer to the next epoch
        Errors outcome = switch (cur.state()) {
            case ONGOING -> null;
            case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> bumpEpoch ? (commit ? Errors.INVALID_TXN_STATE : null)
                    : endedAs(cur.state(), commit) ? Errors.NONE : Errors.INVALID_TXN_STATE;
            case PREPARE_COMMIT -> commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE;
            case PREPARE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS;
            case PREPARE_EPOCH_FENCE -> Errors.PRODUCER_FENCED;
            case DEAD -> Errors.INVALID_TXN_STATE;
        };
        if (outcome == null) {
            return bumpEpoch ? nextProducer(cur).thenCompose(next -> prepare(txn, commit, next))
                    : prepare(txn, commit, null);
        }
        return done(outcome == Errors.NONE
                ? new EndResult(Errors.NONE, cur.producerId(), cur.producerEpoch()) : EndResult.error(outcome));
    }

    private static boolean endedAs(TransactionState state, boolean commit) {
        return state == (commit ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT);
    }

    /** A retried protocol-2 EndTxn: the same decision again is answered as the first one was. */
    private static EndResult retriedEnd(Txn txn, boolean commit) {
        TransactionState state = txn.current.state();
        boolean committed = state == TransactionState.COMPLETE_COMMIT || state == TransactionState.PREPARE_COMMIT;
        boolean aborted = state == TransactionState.COMPLETE_ABORT || state == TransactionState.PREPARE_ABORT;
        if (commit ? !committed : !aborted) {
            return EndResult.error(Errors.PRODUCER_FENCED);
        }
        return state.isPreparing() ? EndResult.error(Errors.CONCURRENT_TRANSACTIONS) : txn.answered;
    }

    /** The producer id and epoch after this transaction: the next epoch, or a new id once epochs run out. */
    private CompletableFuture<EndResult> nextProducer(TransactionRecord cur) {
        if (cur.producerEpoch() < Short.MAX_VALUE - 1) {
            return done(new EndResult(Errors.NONE, cur.producerId(), (short) (cur.producerEpoch() + 1)));
        }
        return producerIds.get().thenApply(id -> new EndResult(Errors.NONE, id, (short) 0));
    }

    /**
     * Writes the decision. With {@code next} (protocol 2) the markers carry the epoch after the
     * transaction's (Short.MAX_VALUE when a new producer id follows, recorded in the Prepare record)
     * and the id moves on to {@code next} when the transaction completes.
     */
    private synchronized CompletableFuture<EndResult> prepare(Txn txn, boolean commit, EndResult next) {
        TransactionRecord cur = txn.current;
        if (txn.pending != null || cur.state() != TransactionState.ONGOING && !cur.state().isIdle()) {
            return done(EndResult.error(Errors.CONCURRENT_TRANSACTIONS)); // changed while a new id was allocated
        }
        boolean newProducerId = next != null && next.producerId() != cur.producerId();
        short markerEpoch = next == null ? cur.producerEpoch() : newProducerId ? Short.MAX_VALUE : next.producerEpoch();
        TransactionRecord prepared = new TransactionRecord(txn.transactionalId, cur.producerId(), markerEpoch,
                cur.timeoutMs(), commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT,
                cur.partitions(), clock.getAsLong(), cur.startMs(),
                newProducerId ? next.producerId() : RecordBatch.NO_PRODUCER_ID,
                newProducerId ? next.producerEpoch() : RecordBatch.NO_PRODUCER_EPOCH);
        return write(txn, prepared).thenApply(error -> {
            if (error != Errors.NONE) {
                return EndResult.error(error);
            }
            synchronized (this) {
                txn.forgetEnd();
                if (next != null) {
                    txn.ended = new EndResult(Errors.NONE, cur.producerId(), cur.producerEpoch());
                    txn.answered = next;
                }
            }
            sendMarkers(txn.transactionalId, prepared);
            return next != null ? next : new EndResult(Errors.NONE, cur.producerId(), cur.producerEpoch());
        });
    }

    /**
     * Aborts an open transaction on behalf of the coordinator (timeout, or a new instance of the
     * producer): the epoch is bumped first so the current instance is fenced, then it aborts.
     */
    private void fenceAndAbort(Txn txn, String reason) {
        TransactionRecord cur = txn.current;
        if (cur.producerEpoch() >= Short.MAX_VALUE - 1) {
            log.warn("Transactional id {} exhausted its epochs; aborting without a bump", txn.transactionalId);
        }
        short epoch = cur.producerEpoch() >= Short.MAX_VALUE - 1 ? cur.producerEpoch()
                : (short) (cur.producerEpoch() + 1);
        log.info("Aborting the transaction of {} (producer {}, epoch {}): {}", txn.transactionalId,
                cur.producerId(), cur.producerEpoch(), reason);
        txn.forgetEnd();
        TransactionRecord prepared = new TransactionRecord(txn.transactionalId, cur.producerId(), epoch,
                cur.timeoutMs(), TransactionState.PREPARE_ABORT, cur.partitions(), clock.getAsLong(), cur.startMs());
        write(txn, prepared).thenAccept(error -> {
            if (error == Errors.NONE) {
                sendMarkers(txn.transactionalId, prepared);
            }
        });
    }

    private void sendMarkers(String transactionalId, TransactionRecord prepared) {
        Txn owner;
        synchronized (this) {
            owner = txns.get(transactionalId);
        }
        sendMarkers(owner, transactionalId, prepared);
    }

    /**
     * Writes the markers, and retries until they are written while {@code owner} is still this id's state: once
     * the id was unloaded (its partition moved to another node, which completes the transaction itself) or
     * replaced, the retries stop.
     */
    private void sendMarkers(Txn owner, String transactionalId, TransactionRecord prepared) {
        boolean commit = prepared.state() == TransactionState.PREPARE_COMMIT;
        synchronized (this) {
            if (owner == null || txns.get(transactionalId) != owner) {
                log.info("Not writing the {} markers of {}: this coordinator no longer owns it",
                        commit ? "commit" : "abort", transactionalId);
                return;
            }
        }
        markers.write(prepared.producerId(), prepared.producerEpoch(), coordinatorEpochs.applyAsInt(transactionalId),
                commit, prepared.partitions()).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        log.warn("Writing {} markers for {} failed; retrying", commit ? "commit" : "abort",
                                transactionalId, failure);
                        timer.schedule(() -> sendMarkers(owner, transactionalId, prepared), MARKER_RETRY_BACKOFF_MS);
                    } else {
                        complete(transactionalId, prepared);
                    }
                });
    }

    private synchronized void complete(String transactionalId, TransactionRecord prepared) {
        Txn txn = txns.get(transactionalId);
        if (txn == null || !txn.current.equals(prepared)) {
            return;
        }
        // a protocol-2 transaction continues with the markers' epoch, or with the new producer id
        // its PrepareCommit/PrepareAbort record carries (persisted, so a restart completes it alike)
        boolean newProducerId = prepared.nextProducerId() != RecordBatch.NO_PRODUCER_ID;
        long producerId = newProducerId ? prepared.nextProducerId() : prepared.producerId();
        short epoch = newProducerId ? prepared.nextProducerEpoch() : prepared.producerEpoch();
        TransactionRecord completed = new TransactionRecord(transactionalId, producerId, epoch, prepared.timeoutMs(),
                prepared.state() == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT
                        : TransactionState.COMPLETE_ABORT, Set.of(), clock.getAsLong(), prepared.startMs());
        write(txn, completed).thenAccept(error -> {
            if (error != Errors.NONE) {
                timer.schedule(() -> complete(transactionalId, prepared), MARKER_RETRY_BACKOFF_MS);
            }
        });
    }

    // ------------------------------------------------------------------ timeouts and expiry

    /**
     * Aborts every open transaction older than its timeout; called every
     * {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}.
     *
     * @return how many were aborted
     */
    public synchronized int abortTimedOut() {
        long now = clock.getAsLong();
        int aborted = 0;
        for (Txn txn : new ArrayList<>(txns.values())) {
            TransactionRecord cur = txn.current;
            if (txn.pending == null && cur.state() == TransactionState.ONGOING
                    && now - cur.startMs() > cur.timeoutMs()) {
                fenceAndAbort(txn, "it is older than its timeout of " + cur.timeoutMs() + " ms");
                aborted++;
            }
        }
        return aborted;
    }

    /**
     * Forgets transactional ids without an open transaction whose last change is older than
     * {@code transactional.id.expiration.ms} (a tombstone is written).
     */
    public synchronized int expireTransactionalIds() {
        long now = clock.getAsLong();
        int expired = 0;
        for (Txn txn : new ArrayList<>(txns.values())) {
            TransactionRecord cur = txn.current;
            if (txn.pending == null && cur.state().isIdle()
                    && now - cur.lastUpdateMs() > config.transactionalIdExpirationMs()) {
                txn.pending = TransactionState.DEAD;
                txnLog.write(txn.transactionalId, null).whenComplete((ok, failure) -> {
                    synchronized (this) {
                        txn.pending = null;
                        if (failure == null) {
                            txns.remove(txn.transactionalId, txn);
                        }
                    }
                });
                expired++;
            }
        }
        return expired;
    }

    // ------------------------------------------------------------------ loading and administration

    /** Replays one record of {@code __transaction_state} (null: a tombstone). */
    public synchronized void load(String transactionalId, TransactionRecord record) {
        if (record == null) {
            txns.remove(transactionalId);
            return;
        }
        Txn txn = txns.computeIfAbsent(transactionalId, Txn::new);
        txn.current = record;
        txn.settled = record.state().isPreparing() ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
    }

    /** After loading: finishes the transactions whose outcome was decided but whose markers may be missing. */
    public synchronized void resumePreparedTransactions() {
        resumePreparedTransactions(id -> true);
    }

    /**
     * After loading the ids {@code inPartition} selects (one {@code __transaction_state} partition): sends the
     * markers of their transactions in PrepareCommit / PrepareAbort and then writes CompleteCommit /
     * CompleteAbort, as a new coordinator of the partition must.
     *
     * @return how many transactions are being completed
     */
    public synchronized int resumePreparedTransactions(Predicate<String> inPartition) {
        int resumed = 0;
        for (Txn txn : new ArrayList<>(txns.values())) {
            if (inPartition.test(txn.transactionalId) && txn.current.state().isPreparing()) {
                sendMarkers(txn, txn.transactionalId, txn.current);
                resumed++;
            }
        }
        return resumed;
    }

    /**
     * Forgets every transactional id {@code inPartition} selects: this node stopped leading their
     * {@code __transaction_state} partition (or is about to load it again). Writers waiting for one of their
     * transactions to settle are released (they retry and are sent to the new coordinator); markers still being
     * retried for them stop.
     *
     * @return how many ids were forgotten
     */
    public synchronized int unload(Predicate<String> inPartition) {
        int unloaded = 0;
        for (var it = txns.values().iterator(); it.hasNext(); ) {
            Txn txn = it.next();
            if (inPartition.test(txn.transactionalId)) {
                it.remove();
                txn.settled.complete(null);
                unloaded++;
            }
        }
        return unloaded;
    }

    public synchronized TransactionDescription describe(String transactionalId) {
        Txn txn = txns.get(transactionalId);
        return txn == null ? null : description(txn.current);
    }

    /** Transactional ids matching the filters (empty filters match all; {@code minDurationMs} -1 matches all). */
    public synchronized List<TransactionDescription> list(Set<TransactionState> states, Set<Long> producerIdFilter,
                                                          long minDurationMs) {
        long now = clock.getAsLong();
        List<TransactionDescription> result = new ArrayList<>();
        for (Txn txn : txns.values()) {
            TransactionRecord cur = txn.current;
            if ((!states.isEmpty() && !states.contains(cur.state()))
                    || (!producerIdFilter.isEmpty() && !producerIdFilter.contains(cur.producerId()))) {
                continue;
            }
            if (minDurationMs >= 0 && (cur.state() != TransactionState.ONGOING || now - cur.startMs() < minDurationMs)) {
                continue;
            }
            result.add(description(cur));
        }
        return result;
    }

    private static TransactionDescription description(TransactionRecord r) {
        return new TransactionDescription(r.transactionalId(), r.producerId(), r.producerEpoch(), r.timeoutMs(),
                r.state(), r.partitions(), r.startMs());
    }

    // ------------------------------------------------------------------ helpers

    private static Errors validateProducer(Txn txn, long producerId, short epoch) {
        if (txn == null || txn.current.producerId() != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch != txn.current.producerEpoch()) {
            return Errors.PRODUCER_FENCED;
        }
        if (txn.pending != null) {
            return Errors.CONCURRENT_TRANSACTIONS;
        }
        return Errors.NONE;
    }

    /** Writes {@code next} and makes it current once durable; the id is busy meanwhile. */
    private CompletableFuture<Errors> write(Txn txn, TransactionRecord next) {
        txn.pending = next.state();
        return txnLog.write(txn.transactionalId, next).handle((ok, failure) -> {
            synchronized (this) {
                txn.pending = null;
                if (failure != null) {
                    log.warn("Writing the state of {} failed", txn.transactionalId, failure);
                    if (txn.current == null) {
                        txns.remove(txn.transactionalId, txn);
                    }
                    // Kafka's mapping: a lost leadership sends the client to the new coordinator
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure;
                    Errors error = Errors.forException(cause);
                    return error == Errors.NOT_LEADER_OR_FOLLOWER || error == Errors.KAFKA_STORAGE_ERROR
                            ? Errors.NOT_COORDINATOR : Errors.COORDINATOR_NOT_AVAILABLE;
                }
                txn.current = next;
                if (next.state().isPreparing() && txn.settled.isDone()) {
                    txn.settled = new CompletableFuture<>();
                } else if (!next.state().isPreparing()) {
                    txn.settled.complete(null);
                }
                return Errors.NONE;
            }
        });
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
