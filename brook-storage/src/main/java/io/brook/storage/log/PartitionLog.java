package io.brook.storage.log;

import io.brook.storage.checkpoint.PartitionMetadataFile;
import io.brook.storage.epoch.LeaderEpochCache;
import io.brook.storage.index.TransactionIndex;
import io.brook.storage.producer.ProducerSnapshotFile;
import io.brook.storage.producer.ProducerStateTable;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.TreeMap;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The log of one partition: an ordered set of segments in {@code <dir>/<topic>-<partition>/}.
 *
 * <p>Thread-safety: appends, rolls, truncation and retention are serialized on this object's
 * monitor (one appender at a time); a client append's CRC checks and re-compression run before it
 * is taken. Reads never take it: they read the published {@link #tail()} (the log end and the
 * first unstable offset, one volatile snapshot written after producer state is updated) and only
 * bytes below its end, so they never see a partial batch, nor a batch of a transaction whose
 * opening is not yet reflected in the first unstable offset.
 */
public final class PartitionLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

    /**
     * The log end and the first offset of the earliest open transaction (null when none is open),
     * published together: a reader of one snapshot never pairs a new end with an older first
     * unstable offset, so it never computes a last stable offset past an undecided batch.
     * {@code firstUnstable}'s position is -1 when it is not known (a transaction opened before
     * this process loaded the log).
     */
    public record Tail(LogOffsetMetadata end, LogOffsetMetadata firstUnstable) {
    }

    /** Result of a timestamp lookup: offset, the timestamp found there and its leader epoch. */
    public record TimestampOffset(long timestamp, long offset, int leaderEpoch) {
    }

    private final TopicPartition topicPartition;
    private final File dir;
    private final Uuid topicId;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final ProducerStateTable producerState = new ProducerStateTable();
    /** Producer snapshots kept per partition (the newest ones). */
    private static final int SNAPSHOTS_KEPT = 2;
    private final LeaderEpochCache epochCache;
    private final Random random;
    private final Object flushLock = new Object();
    private volatile LogConfig config;
    /** Published with one volatile write after every change of the end or of producer state. */
    private volatile Tail tail = new Tail(new LogOffsetMetadata(0, 0, 0), null);
    /** Where each open transaction's first batch sits, when this process appended or replayed it; under this. */
    private final TreeMap<Long, LogOffsetMetadata> txnStarts = new TreeMap<>();
    /** Everything below it is fsynced (the {@code .log} data; indexes are rebuilt on recovery). */
    private volatile LogOffsetMetadata durableEnd = new LogOffsetMetadata(0, 0, 0);
    private final Object dataFlushLock = new Object();
    /** Runs durable-mode fsyncs; null flushes on the caller's thread (logs opened outside a {@link LogDir}). */
    private volatile LogFlusher flusher;
    private volatile long logStartOffset;
    private volatile long recoveryPoint;
    private volatile long lastFlushMs;
    private long unflushedMessages;
    private long activeSegmentJitterMs;
    private volatile boolean closed;
    /** How long after a load its epoch truncation is written (a crash before repeats it at the next load). */
    static final long EPOCH_FLUSH_DELAY_MS = 10_000;
    /** Set when an I/O error took the log directory offline: nothing is read or written any more. */
    private volatile boolean dirOffline;
    private volatile java.util.function.Consumer<IOException> ioFailureListener = e -> { };
    /** Told after a change background work may have to act on (see {@link #onChange}). */
    private volatile Runnable changeListener = () -> { };
    /** Told after a flush (the recovery point may have moved): only the checkpoint cares. */
    private volatile Runnable flushListener = () -> { };
    /** Told when a segment's file handle is reopened after it was closed for idleness. */
    private volatile Runnable segmentOpenListener = () -> { };
    /** Given to every segment: forwards to whatever {@link #segmentOpenListener} is at the time. */
    private final Runnable segmentOpened = () -> segmentOpenListener.run();

    private PartitionLog(TopicPartition topicPartition, File dir, Uuid topicId, LogConfig config, Time time,
                         ScheduledExecutorService scheduler) throws IOException {
        this.topicPartition = topicPartition;
        this.dir = dir;
        this.topicId = topicId;
        this.config = config;
        this.time = time;
        this.scheduler = scheduler;
        this.epochCache = new LeaderEpochCache(dir);
        this.random = new Random(topicPartition.hashCode());
        this.lastFlushMs = time.milliseconds();
    }

    public static String dirName(TopicPartition tp) {
        return tp.topic() + "-" + tp.partition();
    }

    /**
     * Opens the log in {@code dir}, creating it if needed. After an unclean shutdown every
     * segment from the one holding {@code recoveryPoint} on is validated and repaired.
     */
    public static PartitionLog open(File dir, TopicPartition tp, Uuid topicId, LogConfig config,
                                    long recoveryPoint, long checkpointedLogStart, boolean cleanShutdown,
                                    Time time, ScheduledExecutorService scheduler) throws IOException {
        return open(dir, tp, topicId, config, recoveryPoint, checkpointedLogStart, cleanShutdown, config.compact(),
                time, scheduler);
    }

    /**
     * As above; {@code mayHaveGaps} says the log may have been compacted (now or while it had another
     * {@code cleanup.policy}), so recovery must not require each batch to follow the previous one.
     */
    public static PartitionLog open(File dir, TopicPartition tp, Uuid topicId, LogConfig config,
                                    long recoveryPoint, long checkpointedLogStart, boolean cleanShutdown,
                                    boolean mayHaveGaps, Time time, ScheduledExecutorService scheduler)
            throws IOException {
        // a new partition's directory holds nothing to read, list or recover: creating many is cheaper
        boolean fresh = !dir.exists();
        Files.createDirectories(dir.toPath());
        Uuid stored = fresh ? null : PartitionMetadataFile.read(dir);
        if (stored == null) {
            PartitionMetadataFile.write(dir, topicId);
        } else if (!stored.equals(topicId)) {
            throw new IllegalStateException("Log directory " + dir + " belongs to topic id " + stored
                    + ", not " + topicId);
        }
        PartitionLog partitionLog = new PartitionLog(tp, dir, topicId, config, time, scheduler);
        partitionLog.load(recoveryPoint, checkpointedLogStart, cleanShutdown, mayHaveGaps, fresh);
        return partitionLog;
    }

    private void load(long checkpointRecoveryPoint, long checkpointedLogStart, boolean cleanShutdown,
                      boolean mayHaveGaps, boolean fresh) throws IOException {
        List<Long> baseOffsets = new ArrayList<>();
        if (!fresh) {
            finishInterruptedSwaps();
        }
        File[] files = fresh ? new File[0] : dir.listFiles();
        if (files == null) {
            throw new IOException("cannot list " + dir);
        }
        for (File f : files) {
            String name = f.getName();
            if (name.endsWith(LogSegment.DELETED_SUFFIX) || name.endsWith(LogSegment.CLEANED_SUFFIX)
                    || name.endsWith(LogSegment.SWAP_SUFFIX) || name.endsWith(".tmp")) {
                Files.deleteIfExists(f.toPath());
            } else if (name.endsWith(LogSegment.LOG_SUFFIX)) {
                baseOffsets.add(Long.parseLong(name.substring(0, name.length() - LogSegment.LOG_SUFFIX.length())));
            }
        }
        baseOffsets.sort(Long::compare);
        long recoverFrom = cleanShutdown ? Long.MAX_VALUE : checkpointRecoveryPoint;
        boolean dropRest = false;
        for (int i = 0; i < baseOffsets.size(); i++) {
            long base = baseOffsets.get(i);
            if (dropRest) {
                log.warn("{}: deleting segment {} after a corrupt earlier segment", topicPartition, base);
                LogSegment.open(dir, base, config, false, false, null).delete();
                continue;
            }
            long nextBase = i + 1 < baseOffsets.size() ? baseOffsets.get(i + 1) : Long.MAX_VALUE;
            boolean recover = nextBase > recoverFrom;
            int[] truncated = new int[1];
            LogSegment segment = LogSegment.open(dir, base, config, recover, !mayHaveGaps, truncated);
            if (truncated[0] > 0) {
                log.warn("{}: recovery truncated {} bytes of a torn or corrupt tail from {}", topicPartition,
                        truncated[0], segment.logFile());
                dropRest = true;
            } else if (recover && !mayHaveGaps && nextBase != Long.MAX_VALUE && segment.nextOffset() != nextBase) {
                // cut short at a batch boundary: what follows would leave a hole in the offsets
                log.warn("{}: {} ends at offset {} but the next segment starts at {}: recovery keeps the log up "
                        + "to there", topicPartition, segment.logFile(), segment.nextOffset(), nextBase);
                dropRest = true;
            }
            putSegment(base, segment);
        }
        if (segments.isEmpty()) {
            long start = Math.max(0, checkpointedLogStart);
            putSegment(start, LogSegment.create(dir, start, config, time.milliseconds()));
        }
        LogSegment active = segments.lastEntry().getValue();
        publishEnd(new LogOffsetMetadata(active.nextOffset(), active.baseOffset(), active.sizeInBytes()));
        durableEnd = tail.end();
        logStartOffset = Math.max(segments.firstKey(), Math.min(checkpointedLogStart, tail.end().offset()));
        recoveryPoint = tail.end().offset();
        // an empty log drops its epoch entry here and gets it back when it is led again: written
        // only if it still differs then (a start of many partitions paid two file renames each)
        if (epochCache.truncateFromEndUnflushed(tail.end().offset())) {
            flushEpochsInBackground();
        }
        activeSegmentJitterMs = nextJitter();
        if (!fresh) {
            loadProducerState();
        }
    }

    /**
     * Completes cleaner swaps cut short by a crash. A {@code <base>.log.swap} file is a cleaned segment
     * that was fully written and flushed before it got that name, so it wins: the segments whose base
     * offsets fall within its offsets are deleted and it takes its final name. Its indexes are rebuilt.
     */
    private void finishInterruptedSwaps() throws IOException {
        File[] swaps = dir.listFiles((d, name) -> name.endsWith(LogSegment.LOG_SUFFIX + LogSegment.SWAP_SUFFIX));
        if (swaps == null) {
            return;
        }
        for (File swap : swaps) {
            String name = swap.getName();
            long base = Long.parseLong(name.substring(0, name.indexOf('.')));
            long last = base;
            try (FileRecords records = FileRecords.open(swap, false)) {
                for (FileChannelRecordBatch batch : records.batches()) {
                    last = Math.max(last, batch.lastOffset());
                }
            }
            // the cleaner always writes a .txnindex for the new segment; if it is still .swap, the
            // .txnindex of an old segment with the same base is the old one, else it is the new one
            File txnSwap = new File(dir, LogSegment.fileName(base, LogSegment.TXN_INDEX_SUFFIX) + LogSegment.SWAP_SUFFIX);
            boolean txnIndexRenamed = !txnSwap.exists();
            File[] replaced = dir.listFiles((d, n) -> n.endsWith(LogSegment.LOG_SUFFIX));
            for (File old : replaced == null ? new File[0] : replaced) {
                long oldBase = Long.parseLong(old.getName().substring(0, old.getName().indexOf('.')));
                if (oldBase >= base && oldBase <= last) {
                    deleteSegmentFiles(oldBase, !(oldBase == base && txnIndexRenamed));
                }
            }
            if (!txnIndexRenamed) {
                Files.move(txnSwap.toPath(), new File(dir, LogSegment.fileName(base, LogSegment.TXN_INDEX_SUFFIX)).toPath(),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            // its .index.swap/.timeindex.swap go with the other leftovers; the indexes are rebuilt
            Files.move(swap.toPath(), LogSegment.logFile(dir, base).toPath());
            log.info("{}: finished an interrupted cleaner swap of segment {}", topicPartition, base);
        }
    }

    private void deleteSegmentFiles(long base, boolean withTxnIndex) throws IOException {
        for (String kind : new String[] {LogSegment.LOG_SUFFIX, LogSegment.INDEX_SUFFIX, LogSegment.TIME_INDEX_SUFFIX}) {
            Files.deleteIfExists(new File(dir, LogSegment.fileName(base, kind)).toPath());
        }
        if (withTxnIndex) {
            Files.deleteIfExists(new File(dir, LogSegment.fileName(base, LogSegment.TXN_INDEX_SUFFIX)).toPath());
        }
    }

    /**
     * Restores producer state from the newest intact snapshot at or below the log end, then
     * replays the batch headers after it (all of the log when there is no snapshot).
     */
    private void loadProducerState() throws IOException {
        long end = tail.end().offset();
        TreeMap<Long, File> snapshots = ProducerSnapshotFile.list(dir);
        for (File stale : snapshots.tailMap(end, false).values()) {
            Files.deleteIfExists(stale.toPath()); // the log was truncated below it
        }
        producerState.clear();
        txnStarts.clear();
        long from = logStartOffset;
        for (Map.Entry<Long, File> snapshot : snapshots.headMap(end, true).descendingMap().entrySet()) {
            List<ProducerSnapshotFile.Entry> entries = ProducerSnapshotFile.read(snapshot.getValue());
            if (entries != null) {
                producerState.load(entries);
                from = Math.max(from, snapshot.getKey());
                break;
            }
            log.warn("{}: ignoring damaged producer snapshot {}", topicPartition, snapshot.getValue());
        }
        replayProducerState(from);
    }

    private void replayProducerState(long from) throws IOException {
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() <= from) {
                continue;
            }
            int position = segment.baseOffset() >= from ? 0 : segment.positionOf(from);
            FileChannelRecordBatch batch;
            while (position >= 0 && (batch = segment.batchAt(position)) != null) {
                if (batch.baseOffset() >= from) {
                    takeIn(segment, batch, position);
                }
                position += batch.sizeInBytes();
            }
        }
        publishEnd(tail.end());
    }

    /**
     * Applies a batch just written to {@code segment} at {@code position} (or found there by recovery) to
     * producer state: a transaction marker ends its producer's transaction (see {@link #onMarkerAppended}),
     * a data batch is recorded and may open one. Every append path (leader, coordinator, marker, follower)
     * and recovery go through here, so a follower, a restarted node and the leader end with the same state.
     */
    private void takeIn(LogSegment segment, RecordBatch batch, int position) throws IOException {
        if (batch.isControlBatch()) {
            onMarkerAppended(segment, batch);
        } else {
            producerState.onDataBatch(batch);
            noteTxnStart(batch, segment, position);
        }
    }

    /** Remembers where a transaction starts if {@code batch} (just applied to producer state) opened one. */
    private void noteTxnStart(RecordBatch batch, LogSegment segment, int position) {
        if (batch.isTransactional()) {
            ProducerStateTable.Entry entry = producerState.get(batch.producerId());
            if (entry != null && entry.currentTxnFirstOffset() == batch.baseOffset()) {
                txnStarts.put(batch.baseOffset(), new LogOffsetMetadata(batch.baseOffset(), segment.baseOffset(),
                        position));
            }
        }
    }

    /**
     * Publishes {@code end} with the first unstable offset of the current producer state, in one
     * volatile write. Called with this object's monitor held (or during load), after producer
     * state has taken in everything below {@code end}.
     */
    private void publishEnd(LogOffsetMetadata end) {
        long unstable = producerState.firstUnstableOffset();
        LogOffsetMetadata firstUnstable = null;
        if (unstable < 0) {
            txnStarts.clear();
        } else {
            txnStarts.headMap(unstable).clear();
            firstUnstable = txnStarts.get(unstable);
            if (firstUnstable == null) {
                firstUnstable = new LogOffsetMetadata(unstable, -1, -1);
            }
        }
        tail = new Tail(end, firstUnstable);
    }

    /**
     * Applies an appended (or replayed) transaction marker: ends the producer's transaction and, for
     * an abort, indexes it in the segment holding the marker unless the index has it already.
     */
    private void onMarkerAppended(LogSegment segment, RecordBatch batch) throws IOException {
        Iterator<Record> records = batch.iterator();
        if (!records.hasNext()) {
            return; // emptied by the cleaner
        }
        Record record = records.next();
        ControlRecordType type = ControlRecordType.parse(record.key());
        if (type != ControlRecordType.COMMIT && type != ControlRecordType.ABORT) {
            return;
        }
        EndTransactionMarker marker = EndTransactionMarker.deserialize(record);
        ProducerStateTable.CompletedTxn txn = producerState.onMarker(batch.producerId(), batch.producerEpoch(),
                marker.coordinatorEpoch(), batch.baseOffset(), type == ControlRecordType.COMMIT, batch.maxTimestamp());
        if (txn != null && txn.aborted() && segment.txnIndex().lastIndexedOffset() < txn.lastOffset()) {
            long stable = producerState.firstUnstableOffset();
            segment.txnIndex().append(new TransactionIndex.AbortedTxn(txn.producerId(), txn.firstOffset(),
                    txn.lastOffset(), stable < 0 ? txn.lastOffset() + 1 : stable));
        }
    }

    /** Snapshots producer state as of the log end; keeps the newest {@value #SNAPSHOTS_KEPT}. */
    private void writeProducerSnapshot() throws IOException {
        ProducerSnapshotFile.write(dir, tail.end().offset(), producerState.snapshotEntries());
        TreeMap<Long, File> snapshots = ProducerSnapshotFile.list(dir);
        while (snapshots.size() > SNAPSHOTS_KEPT) {
            Files.deleteIfExists(snapshots.pollFirstEntry().getValue().toPath());
        }
    }

    // ------------------------------------------------------------------ append

    /**
     * Validates client batches, assigns their offsets in place, stamps the leader epoch and appends
     * them. A retried idempotent batch is answered with its original offsets and not written.
     *
     * @throws org.apache.kafka.common.KafkaException subclasses naming the Kafka error to return
     */
    public AppendResult appendAsLeader(MemoryRecords records, int leaderEpoch) throws IOException {
        try {
            return appendAsLeader(records, leaderEpoch, true);
        } finally {
            changed();
        }
    }

    /**
     * Appends batches a coordinator wrote (offset commits, transactional ones included): validated
     * like a client's, but their producer sequences are not checked (coordinators write none).
     */
    public AppendResult appendAsCoordinator(MemoryRecords records, int leaderEpoch) throws IOException {
        try {
            return appendAsLeader(records, leaderEpoch, false);
        } finally {
            changed();
        }
    }

    private AppendResult appendAsLeader(MemoryRecords records, int leaderEpoch, boolean checkSequence)
            throws IOException {
        throwIfClosed();
        // per-request CPU work (CRC checks, re-compression) needs no log state: it runs before the lock
        LogConfig cfg = config;
        BatchValidator.validate(records, cfg, time.milliseconds());
        MemoryRecords validated = Recompression.apply(records, cfg.compression(), cfg.maxMessageBytes());
        for (MutableRecordBatch batch : validated.batches()) {
            if (batch.isControlBatch()) {
                throw new InvalidRecordException("Clients may not write control batches to " + topicPartition);
            }
        }
        synchronized (this) {
            try {
                return doAppendAsLeader(validated, cfg, leaderEpoch, checkSequence);
            } catch (IOException e) {
                throw ioFailure(e);
            }
        }
    }

    private AppendResult doAppendAsLeader(MemoryRecords records, LogConfig cfg, int leaderEpoch,
                                          boolean checkSequence) throws IOException {
        throwIfClosed();
        long nowMs = time.milliseconds();
        boolean neverWritten = tail.end().offset() == 0;
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.hasProducerId()) {
                ProducerStateTable.BatchMetadata dup = producerState.checkClientBatch(batch, checkSequence,
                        neverWritten);
                if (dup != null) {
                    return AppendResult.duplicateOf(dup.firstOffset(), dup.lastOffset(), logStartOffset);
                }
            }
        }
        long firstOffset = tail.end().offset();
        long next = firstOffset;
        long appendTime = cfg.timestampType() == TimestampType.LOG_APPEND_TIME ? nowMs : RecordBatch.NO_TIMESTAMP;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        long messages = 0;
        for (MutableRecordBatch batch : records.batches()) {
            long delta = batch.lastOffset() - batch.baseOffset();
            batch.setLastOffset(next + delta);
            batch.setPartitionLeaderEpoch(leaderEpoch);
            if (appendTime != RecordBatch.NO_TIMESTAMP) {
                batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, appendTime);
            }
            maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
            messages += delta + 1;
            next += delta + 1;
        }
        LogSegment segment = appendAssigned(records, leaderEpoch, firstOffset, next - 1, maxTimestamp, nowMs);
        int position = segment.sizeInBytes() - records.sizeInBytes();
        for (MutableRecordBatch batch : records.batches()) {
            takeIn(segment, batch, position);
            position += batch.sizeInBytes();
        }
        // the new end becomes visible only now, together with the first unstable offset it implies
        publishEnd(new LogOffsetMetadata(next, segment.baseOffset(), segment.sizeInBytes()));
        maybeFlushByMessages(messages, cfg);
        return new AppendResult(firstOffset, next - 1, appendTime, logStartOffset, false);
    }

    /**
     * Consecutive batches of a follower append bound for the active segment, not written yet: a slice of
     * the fetched buffer, written with one write, then applied and published (under this log's lock).
     */
    private final class PendingBatches {
        private final java.nio.ByteBuffer buffer;
        private final List<MutableRecordBatch> batches = new ArrayList<>();
        /** Where the next batch starts in {@code buffer}, and where the pending ones start. */
        private int next;
        private int start;
        int bytes;

        PendingBatches(java.nio.ByteBuffer buffer) {
            this.buffer = buffer;
            this.next = buffer.position();
            this.start = next;
        }

        boolean isEmpty() {
            return batches.isEmpty();
        }

        int size() {
            return batches.size();
        }

        /** The first pending batch's timestamp: the segment's first if it is empty. */
        long firstTimestamp() {
            return batches.isEmpty() ? RecordBatch.NO_TIMESTAMP : batches.get(0).maxTimestamp();
        }

        void add(MutableRecordBatch batch) {
            batches.add(batch);
            bytes += batch.sizeInBytes();
            next += batch.sizeInBytes();
        }

        /** Writes the pending batches to the active segment and applies them as the leader's appends do. */
        void write() throws IOException {
            if (batches.isEmpty()) {
                return;
            }
            java.nio.ByteBuffer slice = buffer.duplicate();
            slice.limit(start + bytes).position(start);
            LogSegment segment = segments.lastEntry().getValue();
            int position = segment.append(MemoryRecords.readableRecords(slice.slice()));
            for (MutableRecordBatch batch : batches) {
                if (batch.partitionLeaderEpoch() > epochCache.latestEpoch()) {
                    epochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                }
                takeIn(segment, batch, position);
                position += batch.sizeInBytes();
            }
            RecordBatch last = batches.get(batches.size() - 1);
            publishEnd(new LogOffsetMetadata(last.nextOffset(), segment.baseOffset(), segment.sizeInBytes()));
            batches.clear();
            start = next;
            bytes = 0;
        }
    }

    /** Counts appended records and flushes once {@code flush.messages} of them are unflushed. */
    private void maybeFlushByMessages(long messages, LogConfig cfg) throws IOException {
        unflushedMessages += messages;
        if (unflushedMessages >= cfg.flushIntervalMessages()) {
            flush();
        }
    }

    /**
     * Appends batches fetched from the leader exactly as they are (a follower's append, Kafka's
     * {@code appendAsFollower}): offsets, leader epochs, timestamps, producer fields and compression
     * stay the leader's. Each batch is checked ({@link BatchValidator#validateReplicated}: magic 2,
     * CRC, increasing offsets) before anything is written; a trailing partial batch (a fetch cut at its
     * byte limit) is left out; an empty set, or one of only a partial batch, appends nothing.
     *
     * <p>The log then follows the leader: the leader epoch cache gets an entry when a batch carries an
     * epoch above its latest (so OffsetForLeaderEpoch answers here as on the leader); producer state
     * records idempotent and transactional batches and applies COMMIT/ABORT markers (with the aborted
     * transaction index) through the same code as the leader's appends, without refusing anything (the
     * leader decided), so a retried batch is recognised as a duplicate if this replica becomes leader.
     * Segments roll by the leader's rules, decided batch by batch: a log fed the leader's batches in its
     * order (each leader append being one batch, as for produce requests, coordinator writes and
     * markers) gets the leader's segment and index files byte for byte. Flush policy, change listeners
     * and I/O failure handling are those of {@link #appendAsLeader}; in durable mode the caller waits on
     * {@link #whenDurable} as the leader does.
     *
     * @return the first and last offset appended, or {@link AppendResult#nothingAppended} (-1, -1)
     * @throws UnexpectedAppendOffsetException when the first batch does not start at the log end (after
     *         it, on a compacted log, whose leader may have cleaned whole batches away); nothing is written
     * @throws org.apache.kafka.common.errors.CorruptRecordException for a batch failing its CRC check
     * @throws org.apache.kafka.common.InvalidRecordException for another magic or offsets out of order
     */
    public AppendResult appendAsFollower(MemoryRecords records) throws IOException {
        throwIfClosed();
        LogConfig cfg = config;
        // the CRC checks need no log state: they run before the lock, as a client append's do
        MemoryRecords batches = BatchValidator.validateReplicated(records, !cfg.compact());
        if (batches.sizeInBytes() == 0) {
            return AppendResult.nothingAppended(logStartOffset);
        }
        try {
            synchronized (this) {
                try {
                    return doAppendAsFollower(batches, cfg);
                } catch (IOException e) {
                    throw ioFailure(e);
                }
            }
        } finally {
            changed();
        }
    }

    private AppendResult doAppendAsFollower(MemoryRecords batches, LogConfig cfg) throws IOException {
        throwIfClosed();
        long end = tail.end().offset();
        long firstOffset = batches.batches().iterator().next().baseOffset();
        if (firstOffset < end || (firstOffset > end && !cfg.compact())) {
            throw new UnexpectedAppendOffsetException("Follower append to " + topicPartition + " starts at offset "
                    + firstOffset + " but the log ends at " + end + (firstOffset > end ? "" : " (it overlaps the log)")
                    + ": truncate and fetch from the log end", firstOffset, end);
        }
        long nowMs = time.milliseconds();
        long messages = 0;
        RecordBatch last = null;
        // each roll is decided for each batch as the leader decided it, on the state the segment would have
        // after the batches before it; those are written together, in one write per segment
        PendingBatches pending = new PendingBatches(batches.buffer());
        for (MutableRecordBatch batch : batches.batches()) {
            LogSegment active = segments.lastEntry().getValue();
            if (!pending.isEmpty() && active.indexesMayFill(pending.size())) {
                pending.write(); // index fullness is known exactly only once they are written
            }
            if (rollDue(active, pending.bytes, pending.firstTimestamp(), batch.sizeInBytes(), batch.lastOffset(),
                    batch.maxTimestamp(), nowMs)) {
                pending.write();
                roll(nowMs); // starts the next segment at the end the write published
            }
            pending.add(batch);
            messages += batch.lastOffset() - batch.baseOffset() + 1;
            last = batch;
        }
        pending.write();
        maybeFlushByMessages(messages, cfg);
        return new AppendResult(firstOffset, last.lastOffset(), RecordBatch.NO_TIMESTAMP, logStartOffset, false);
    }

    /**
     * Writes batches whose offsets are assigned; returns the segment they went to. Does not publish
     * the new end: the caller does, once producer state has taken the batches in.
     */
    private LogSegment appendAssigned(MemoryRecords records, int leaderEpoch, long firstOffset, long lastOffset,
                                      long maxTimestamp, long nowMs) throws IOException {
        LogSegment segment = maybeRoll(records.sizeInBytes(), lastOffset, maxTimestamp, nowMs);
        segment.append(records);
        if (leaderEpoch >= 0 && leaderEpoch > epochCache.latestEpoch()) {
            epochCache.assign(leaderEpoch, firstOffset);
        }
        return segment;
    }

    /**
     * Appends a transaction marker (a control batch) for {@code producerId}, as WriteTxnMarkers does:
     * the producer's open transaction in this partition ends, committed or aborted.
     *
     * @return the marker's offset
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException for an epoch older than the producer's
     * @throws org.apache.kafka.common.errors.TransactionCoordinatorFencedException for a stale coordinator epoch
     */
    public synchronized long appendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                          int leaderEpoch) throws IOException {
        try {
            return doAppendMarker(producerId, producerEpoch, coordinatorEpoch, commit, leaderEpoch);
        } catch (IOException e) {
            throw ioFailure(e);
        } finally {
            changed();
        }
    }

    private long doAppendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                int leaderEpoch) throws IOException {
        throwIfClosed();
        producerState.checkMarker(producerId, producerEpoch, coordinatorEpoch);
        long nowMs = time.milliseconds();
        long offset = tail.end().offset();
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(offset, nowMs, leaderEpoch, producerId,
                producerEpoch, new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
                        coordinatorEpoch));
        LogSegment segment = appendAssigned(marker, leaderEpoch, offset, offset, nowMs, nowMs);
        takeIn(segment, marker.batches().iterator().next(), segment.sizeInBytes() - marker.sizeInBytes());
        publishEnd(new LogOffsetMetadata(offset + 1, segment.baseOffset(), segment.sizeInBytes()));
        maybeFlushByMessages(1, config);
        return offset;
    }

    private LogSegment maybeRoll(int batchBytes, long lastOffset, long maxTimestamp, long nowMs) throws IOException {
        LogSegment active = segments.lastEntry().getValue();
        if (rollDue(active, 0, RecordBatch.NO_TIMESTAMP, batchBytes, lastOffset, maxTimestamp, nowMs)) {
            return roll(nowMs);
        }
        return active;
    }

    /**
     * Whether a batch must go to a new segment (Kafka's rules): the active segment is not empty and the
     * batch would overflow {@code segment.bytes}, {@code segment.ms} (minus the jitter) separates its
     * timestamp from the segment's first, an index is full, or its offsets would not fit the index.
     * {@code pendingBytes} are batches bound for the active segment but not written yet (a follower's),
     * the first of them with {@code pendingFirstTimestamp}; the caller writes them before an index can fill.
     */
    private boolean rollDue(LogSegment active, int pendingBytes, long pendingFirstTimestamp, int batchBytes,
                            long lastOffset, long maxTimestamp, long nowMs) {
        LogConfig cfg = config;
        long size = (long) active.sizeInBytes() + pendingBytes;
        if (size == 0) {
            return false;
        }
        long firstTimestamp = active.sizeInBytes() > 0 ? active.firstBatchTimestamp() : pendingFirstTimestamp;
        boolean full = size > cfg.segmentBytes() - batchBytes;
        boolean old = active.timeWaitedForRoll(nowMs, maxTimestamp, firstTimestamp)
                > cfg.maxSegmentMs() - activeSegmentJitterMs;
        boolean offsetOverflow = lastOffset - active.baseOffset() > Integer.MAX_VALUE;
        return full || old || active.indexesFull() || offsetOverflow;
    }

    /** Closes the active segment for appends and starts a new one at the log end offset. */
    public synchronized LogSegment roll(long nowMs) throws IOException {
        long newBase = tail.end().offset();
        LogSegment active = segments.lastEntry().getValue();
        if (active.baseOffset() == newBase) {
            return active;
        }
        writeProducerSnapshot();
        active.onBecomeInactive();
        LogSegment segment = LogSegment.create(dir, newBase, config, nowMs);
        putSegment(newBase, segment);
        // readers bound the segment holding the log end by this position; it is the new one now
        publishEnd(new LogOffsetMetadata(newBase, newBase, 0));
        activeSegmentJitterMs = nextJitter();
        flushInBackground(newBase - 1);
        return segment;
    }

    /** Flushes the segment that was just closed without holding up appends (Kafka does the same). */
    private void flushInBackground(long upTo) throws IOException {
        if (scheduler == null) {
            flushUpTo(upTo);
            return;
        }
        scheduler.execute(() -> {
            try {
                if (!closed) {
                    flushUpTo(upTo);
                }
            } catch (IOException e) {
                log.warn("{}: flushing a rolled segment failed", topicPartition, e);
            }
        });
    }

    /**
     * Writes the epoch checkpoint after a load's truncation, off the loading thread and a while later:
     * by then the partition's leader has usually assigned the same entry again, and nothing is written.
     */
    private void flushEpochsInBackground() throws IOException {
        if (scheduler == null) {
            epochCache.flush();
            return;
        }
        scheduler.schedule(() -> {
            try {
                if (!closed) {
                    epochCache.flush();
                }
            } catch (IOException e) {
                log.warn("{}: writing the leader epoch checkpoint failed", topicPartition, e);
            }
        }, EPOCH_FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    private long nextJitter() {
        long jitter = config.segmentJitterMs();
        return jitter <= 0 ? 0 : Math.floorMod(random.nextLong(), Math.min(jitter, config.maxSegmentMs()));
    }

    // ------------------------------------------------------------------ read

    /**
     * Reads from {@code fetchOffset}: a slice of one segment file starting at the batch holding the
     * offset, at most {@code maxBytes} long (or one whole batch, if {@code minOneMessage} and the
     * first batch is larger), and never past {@code maxOffset} (high watermark or log end).
     *
     * @throws OffsetOutOfRangeException when the offset is outside [log start, log end]
     */
    public Records read(long fetchOffset, int maxBytes, long maxOffset, boolean minOneMessage) throws IOException {
        throwIfOffline();
        try {
            return doRead(fetchOffset, maxBytes, maxOffset, minOneMessage);
        } catch (IOException e) {
            throw ioFailure(e);
        }
    }

    private Records doRead(long fetchOffset, int maxBytes, long maxOffset, boolean minOneMessage) throws IOException {
        LogOffsetMetadata end = tail.end();
        long start = logStartOffset;
        if (fetchOffset < start || fetchOffset > end.offset()) {
            throw new OffsetOutOfRangeException("Offset " + fetchOffset + " is out of range for " + topicPartition
                    + ": log start " + start + ", log end " + end.offset());
        }
        if (fetchOffset >= Math.min(maxOffset, end.offset())) {
            return MemoryRecords.EMPTY;
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
        if (entry == null) {
            entry = segments.firstEntry(); // compaction removed the first segment's records: a gap
        }
        while (entry != null) {
            LogSegment segment = entry.getValue();
            int maxPosition = maxPosition(segment, Math.min(maxOffset, end.offset()), end);
            int position = segment.positionOf(fetchOffset);
            if (position >= 0 && position < maxPosition) {
                int length = maxPosition - position;
                if (length > maxBytes) {
                    int first = minOneMessage ? firstBatchSize(segment, position) : 0;
                    length = Math.min(length, Math.max(maxBytes, first));
                }
                return length <= 0 ? MemoryRecords.EMPTY : segment.slice(position, length);
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return MemoryRecords.EMPTY;
    }

    private static int firstBatchSize(LogSegment segment, int position) throws IOException {
        FileChannelRecordBatch batch = segment.batchAt(position);
        return batch == null ? 0 : batch.sizeInBytes();
    }

    private int maxPosition(LogSegment segment, long upperOffset, LogOffsetMetadata end) throws IOException {
        if (upperOffset >= end.offset() && segment.baseOffset() == end.segmentBaseOffset()) {
            return end.position();
        }
        if (upperOffset < segment.baseOffset()) {
            return 0;
        }
        Map.Entry<Long, LogSegment> next = segments.higherEntry(segment.baseOffset());
        if (next != null && upperOffset >= next.getKey()) {
            return segment.sizeInBytes();
        }
        int position = segment.positionOf(upperOffset);
        return position < 0 ? segment.sizeInBytes() : position;
    }

    // ------------------------------------------------------------------ offsets by time

    /** The first offset whose timestamp is at least {@code timestamp}; null when there is none. */
    public TimestampOffset offsetForTimestamp(long timestamp) throws IOException {
        long start = logStartOffset;
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() <= start || segment.maxTimestamp() < timestamp) {
                continue;
            }
            FileRecords.TimestampAndOffset found =
                    segment.findOffsetByTimestamp(timestamp, Math.max(start, segment.baseOffset()));
            if (found != null) {
                return new TimestampOffset(found.timestamp, found.offset, found.leaderEpoch.orElse(-1));
            }
        }
        return null;
    }

    /** The record with the largest timestamp (the first such record); null for an empty log. */
    public TimestampOffset maxTimestampOffset() throws IOException {
        LogSegment best = null;
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() > logStartOffset
                    && (best == null || segment.maxTimestamp() > best.maxTimestamp())) {
                best = segment;
            }
        }
        if (best == null || best.maxTimestamp() == RecordBatch.NO_TIMESTAMP) {
            return null;
        }
        int position = best.positionOf(best.offsetOfMaxTimestamp());
        FileChannelRecordBatch batch = position < 0 ? null : best.batchAt(position);
        if (batch == null) {
            return null;
        }
        long offset = batch.lastOffset();
        if (batch.timestampType() != TimestampType.LOG_APPEND_TIME) {
            for (Record record : batch) {
                if (record.timestamp() == batch.maxTimestamp()) {
                    offset = record.offset();
                    break;
                }
            }
        } else {
            offset = batch.baseOffset();
        }
        return new TimestampOffset(batch.maxTimestamp(), Math.max(offset, logStartOffset),
                batch.partitionLeaderEpoch());
    }

    // ------------------------------------------------------------------ retention and start offset

    /**
     * Advances the log start offset (DeleteRecords) and deletes segments wholly below it.
     *
     * @return the new log start offset
     */
    public synchronized long advanceLogStartOffset(long offset) throws IOException {
        if (offset > logStartOffset) {
            logStartOffset = Math.min(offset, tail.end().offset());
            epochCache.truncateFromStart(logStartOffset);
            deleteSegmentsBelowStart();
            changed();
        }
        return logStartOffset;
    }

    /** Deletes segments beyond {@code retention.ms} / {@code retention.bytes}; returns how many. */
    public synchronized int applyRetention() throws IOException {
        LogConfig cfg = config;
        if (!cfg.delete()) {
            return deleteSegmentsBelowStart();
        }
        long nowMs = time.milliseconds();
        int deleted = 0;
        long totalBytes = size();
        for (LogSegment segment : new ArrayList<>(segments.values())) {
            boolean expired = cfg.retentionMs() >= 0
                    && nowMs - segment.largestTimestampForRetention() > cfg.retentionMs();
            boolean oversize = cfg.retentionBytes() >= 0 && totalBytes - segment.sizeInBytes() >= cfg.retentionBytes();
            boolean active = segment == segments.lastEntry().getValue();
            if (!(expired || oversize) || (active && segment.sizeInBytes() == 0)) {
                break;
            }
            if (active) {
                roll(nowMs);
            }
            totalBytes -= segment.sizeInBytes();
            removeSegment(segment);
            deleted++;
        }
        if (deleted > 0) {
            logStartOffset = Math.max(logStartOffset, segments.firstKey());
            epochCache.truncateFromStart(logStartOffset);
            log.info("{}: deleted {} segments by retention (retention.ms={}, retention.bytes={}); the log now starts "
                    + "at offset {}", topicPartition, deleted, cfg.retentionMs(), cfg.retentionBytes(), logStartOffset);
            changed();
        }
        return deleted + deleteSegmentsBelowStart();
    }

    private int deleteSegmentsBelowStart() throws IOException {
        int deleted = 0;
        while (segments.size() > 1) {
            Map.Entry<Long, LogSegment> first = segments.firstEntry();
            Map.Entry<Long, LogSegment> second = segments.higherEntry(first.getKey());
            if (second.getKey() > logStartOffset) {
                break;
            }
            removeSegment(first.getValue());
            deleted++;
        }
        return deleted;
    }

    /** Renames a segment {@code .deleted} now and deletes its files after {@code file.delete.delay.ms}. */
    private void removeSegment(LogSegment segment) throws IOException {
        segments.remove(segment.baseOffset());
        segment.markDeleted();
        scheduleDelete(segment);
    }

    private void scheduleDelete(LogSegment segment) {
        Runnable delete = () -> {
            try {
                segment.delete();
            } catch (IOException e) {
                log.warn("{}: could not delete {}", topicPartition, segment, e);
            }
        };
        if (scheduler == null) {
            delete.run();
        } else {
            scheduler.schedule(delete, config.fileDeleteDelayMs(), TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------ compaction

    /** The segments in offset order; the last one is the active segment. */
    public List<LogSegment> segments() {
        return new ArrayList<>(segments.values());
    }

    /**
     * Releases the {@code .log} file handles and in-memory index entries of the segments nothing
     * used for {@code idleNanos} (see {@link LogSegment#releaseIfIdle}); returns how many.
     */
    public int releaseIdleSegments(long nowNanos, long idleNanos) throws IOException {
        if (closed || dirOffline) {
            return 0;
        }
        int released = 0;
        for (LogSegment segment : segments.values()) {
            if (segment.releaseIfIdle(nowNanos, idleNanos)) {
                released++;
            }
        }
        return released;
    }

    /** Each producer's last appended offset (see {@link ProducerStateTable#lastOffsets()}). */
    public synchronized Map<Long, Long> producerLastOffsets() {
        return producerState.lastOffsets();
    }

    /** The steps of a segment swap, named so tests can stop a swap between them as a crash would. */
    public interface SwapSteps {
        SwapSteps NONE = step -> { };

        /** Called after each step: {@code "committed"}, {@code "replaced"}, {@code "old-deleted"}. */
        void reached(String step) throws IOException;
    }

    /**
     * Replaces {@code olds} (consecutive, not active) with {@code cleaned}, a segment written and
     * flushed under {@link LogSegment#CLEANED_SUFFIX} names holding a subset of their records, or with
     * nothing when no record is left. Crash-safe: renaming the cleaned files to {@code .swap} commits
     * the swap (start-up finishes it, see {@link #finishInterruptedSwaps}); before that a crash leaves
     * the old segments. Readers see the old or the new segment, never neither: the cleaned segment
     * enters the map before the old ones leave it.
     *
     * @return false, changing nothing, when the log changed meanwhile (an old segment was deleted or
     *         the log closed); the caller then drops the cleaned segment
     */
    public synchronized boolean replaceSegments(List<LogSegment> olds, LogSegment cleaned, SwapSteps steps)
            throws IOException {
        if (closed) {
            return false;
        }
        for (LogSegment old : olds) {
            if (segments.get(old.baseOffset()) != old || old == segments.lastEntry().getValue()) {
                return false;
            }
        }
        if (cleaned != null) {
            cleaned.changeSuffix(LogSegment.CLEANED_SUFFIX, LogSegment.SWAP_SUFFIX);
            org.apache.kafka.common.utils.Utils.flushDir(dir.toPath());
            steps.reached("committed");
            putSegment(cleaned.baseOffset(), cleaned);
        }
        for (LogSegment old : olds) {
            segments.remove(old.baseOffset(), old);
        }
        steps.reached("replaced");
        for (LogSegment old : olds) {
            old.markDeleted();
            scheduleDelete(old);
        }
        steps.reached("old-deleted");
        if (cleaned != null) {
            cleaned.changeSuffix(LogSegment.SWAP_SUFFIX, "");
        }
        changed(); // the first segment, and so when retention is due, may be another now
        return true;
    }

    // ------------------------------------------------------------------ truncation (replication)

    /**
     * Drops every record at or after {@code offset}: the log then ends at {@code offset}, or at the base
     * offset of the batch holding it (a batch is kept whole or not at all). A follower truncates so before
     * it fetches its leader's batches again (the divergent tail, see {@link #appendAsFollower}).
     */
    public synchronized void truncateTo(long offset) throws IOException {
        if (offset >= tail.end().offset()) {
            return;
        }
        if (offset <= segments.firstKey()) {
            truncateFullyAndStartAt(offset);
            return;
        }
        for (LogSegment segment : new ArrayList<>(segments.tailMap(offset, false).values())) {
            if (segment.baseOffset() > offset || (segment.baseOffset() == offset && segments.size() > 1)) {
                segments.remove(segment.baseOffset());
                segment.delete();
            }
        }
        LogSegment active = segments.lastEntry().getValue();
        active.truncateTo(offset);
        publishEnd(new LogOffsetMetadata(active.nextOffset(), active.baseOffset(), active.sizeInBytes()));
        lowerDurableEnd(tail.end());
        // what is fetched again above the new end is not flushed yet: flushes and recovery must cover it
        recoveryPoint = Math.min(recoveryPoint, tail.end().offset());
        // an offset inside a batch cuts the whole batch: the epochs starting in it go too
        epochCache.truncateFromEnd(tail.end().offset());
        loadProducerState();
        changed();
    }

    /** Deletes everything and restarts the log, empty, at {@code offset}. */
    public synchronized void truncateFullyAndStartAt(long offset) throws IOException {
        for (LogSegment segment : new ArrayList<>(segments.values())) {
            segments.remove(segment.baseOffset());
            segment.delete();
        }
        LogSegment segment = LogSegment.create(dir, offset, config, time.milliseconds());
        putSegment(offset, segment);
        producerState.clear();
        publishEnd(new LogOffsetMetadata(offset, offset, 0));
        synchronized (dataFlushLock) {
            durableEnd = tail.end();
        }
        logStartOffset = offset;
        recoveryPoint = offset;
        epochCache.clearAndFlush();
        for (File snapshot : ProducerSnapshotFile.list(dir).values()) {
            Files.deleteIfExists(snapshot.toPath());
        }
        changed();
    }

    // ------------------------------------------------------------------ flush and lifecycle

    /**
     * Flushes everything appended so far to disk. Callers that arrive while a flush runs wait for
     * it and return at once if it covered their data (group commit).
     */
    public void flushUpTo(long offset) throws IOException {
        if (recoveryPoint > offset) {
            return;
        }
        throwIfOffline();
        try {
            doFlushUpTo(offset);
        } catch (IOException e) {
            throw ioFailure(e);
        } finally {
            flushListener.run();
        }
    }

    private void doFlushUpTo(long offset) throws IOException {
        LogOffsetMetadata target;
        synchronized (flushLock) {
            if (recoveryPoint > offset) {
                return;
            }
            target = tail.end();
            for (LogSegment segment : segments.tailMap(segments.floorKey(Math.max(recoveryPoint,
                    segments.firstKey()))).values()) {
                segment.flush();
            }
            recoveryPoint = target.offset();
            lastFlushMs = time.milliseconds();
        }
        raiseDurableEnd(target);
    }

    // ------------------------------------------------------------------ durable mode

    /** Runs this log's durable-mode fsyncs on {@code flusher} (its directory's) from now on. */
    public void attachFlusher(LogFlusher flusher) {
        this.flusher = flusher;
    }

    /** Everything below this is fsynced: the {@code .log} data, enough to rebuild the rest on recovery. */
    public LogOffsetMetadata durableEnd() {
        return durableEnd;
    }

    /**
     * Completes once {@code offset} is fsynced: at once if it is already, else after an fsync of
     * this log's data by the flusher of its directory (the caller's thread when it has none). A
     * flusher fsyncs once for everything appended since its last fsync (group commit).
     */
    public java.util.concurrent.CompletableFuture<Void> whenDurable(long offset) {
        if (durableEnd.offset() > offset) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        LogFlusher f = flusher;
        if (f != null) {
            return f.request(this, offset);
        }
        try {
            flushData();
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Fsyncs the {@code .log} files holding data not yet durable, up to the current end (one fsync
     * per file however many batches it got since the last). The indexes are not fsynced: recovery
     * rebuilds them from the data. Returns whether it fsynced anything.
     */
    public boolean flushData() throws IOException {
        throwIfOffline();
        synchronized (dataFlushLock) {
            LogOffsetMetadata target = tail.end();
            LogOffsetMetadata from = durableEnd;
            if (target.offset() <= from.offset()) {
                return false;
            }
            try {
                Long first = segments.floorKey(Math.max(from.offset(), segments.firstKey()));
                for (LogSegment segment : segments.tailMap(first == null ? segments.firstKey() : first).values()) {
                    if (segment.baseOffset() > target.offset()) {
                        break;
                    }
                    try {
                        segment.flushData();
                    } catch (java.nio.channels.ClosedChannelException e) {
                        if (segments.get(segment.baseOffset()) == segment && !closed) {
                            throw e; // still part of the log: a real failure
                        } // else deleted or replaced meanwhile: nothing of it needs to be durable
                    }
                }
            } catch (IOException e) {
                throw ioFailure(e);
            }
            durableEnd = target;
            return true;
        }
    }

    private void raiseDurableEnd(LogOffsetMetadata flushed) {
        synchronized (dataFlushLock) {
            if (flushed.offset() > durableEnd.offset()) {
                durableEnd = flushed;
            }
        }
    }

    private void lowerDurableEnd(LogOffsetMetadata end) {
        synchronized (dataFlushLock) {
            if (durableEnd.offset() > end.offset()) {
                durableEnd = end;
            }
        }
    }

    public void flush() throws IOException {
        unflushedMessages = 0;
        flushUpTo(tail.end().offset() - 1);
    }

    /** Flushes if {@code flush.ms} has passed since the last flush. */
    public void maybeFlushByTime(long nowMs) throws IOException {
        if (nowMs - lastFlushMs >= config.flushIntervalMs() && recoveryPoint < tail.end().offset()) {
            flush();
        }
    }

    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
        changed();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        if (!dirOffline) {
            writeProducerSnapshot();
        }
        closed = true;
        segments.lastEntry().getValue().onBecomeInactive();
        for (LogSegment segment : segments.values()) {
            segment.close();
        }
    }

    /** Closes the log and removes its directory. */
    public synchronized void delete() throws IOException {
        close();
        for (LogSegment segment : segments.values()) {
            segment.delete();
        }
        File[] rest = dir.listFiles();
        if (rest != null) {
            for (File f : rest) {
                Files.deleteIfExists(f.toPath());
            }
        }
        Files.deleteIfExists(dir.toPath());
    }

    /** Renames the directory out of the way, then deletes it; returns the new location. */
    public synchronized File markForDeletion(File target) throws IOException {
        close();
        Files.move(dir.toPath(), target.toPath());
        return target;
    }

    /**
     * Tells {@code listener} of the first I/O error this log meets (the log manager then takes the
     * whole log directory offline, as Kafka does).
     */
    public void onIoFailure(java.util.function.Consumer<IOException> listener) {
        this.ioFailureListener = listener;
    }

    /**
     * Tells {@code listener} after every change background work may have to act on: an append (the
     * log end, its timestamps, producer state), a move of the log start, a truncation, a segment swap,
     * a config change; and {@code flushed} after a flush (the recovery point). The log directory uses it to visit only such
     * logs (see {@code LogDir}). Runs on the changing thread, possibly under this log's lock: it must
     * be quick and take no lock of a log.
     */
    public void onChange(Runnable listener, Runnable flushed) {
        this.changeListener = listener;
        this.flushListener = flushed;
    }

    /**
     * Tells {@code listener} when a segment's file handle is opened again after it was released for
     * idleness (a read or a lookup reopened it), so the idle sweep knows to come back to this log.
     * Same rules as {@link #onChange}.
     */
    public void onSegmentOpened(Runnable listener) {
        this.segmentOpenListener = listener;
    }

    private void changed() {
        changeListener.run();
    }

    private void putSegment(long baseOffset, LogSegment segment) {
        segment.onFileOpened(segmentOpened);
        segments.put(baseOffset, segment);
    }

    /** How many segments hold their file handle open (they are released when idle). */
    public int openSegmentCount() {
        int open = 0;
        for (LogSegment segment : segments.values()) {
            if (segment.isFileOpen()) {
                open++;
            }
        }
        return open;
    }

    /**
     * When retention may next delete a segment of this log, in ms; {@link Long#MIN_VALUE} when it may
     * now, {@link Long#MAX_VALUE} when nothing can be due before the log changes (see {@link #onChange}).
     * Time retention judges the first segment by its largest timestamp, which only grows while it is
     * the first, so the time given is never later than the segment's real expiry.
     */
    public long retentionDueMs() {
        LogConfig cfg = config;
        if (closed || !cfg.delete()) {
            return Long.MAX_VALUE; // DeleteRecords deletes the segments below the log start at once
        }
        Map.Entry<Long, LogSegment> firstEntry = segments.firstEntry();
        if (firstEntry == null) {
            return Long.MAX_VALUE;
        }
        LogSegment first = firstEntry.getValue();
        if (first == segments.lastEntry().getValue() && first.sizeInBytes() == 0) {
            return Long.MAX_VALUE; // an empty log: its first append is a change
        }
        if (cfg.retentionBytes() >= 0 && size() - first.sizeInBytes() >= cfg.retentionBytes()) {
            return Long.MIN_VALUE;
        }
        if (cfg.retentionMs() < 0) {
            return Long.MAX_VALUE;
        }
        long expiresAfter = first.largestTimestampForRetention() + cfg.retentionMs();
        return expiresAfter < first.largestTimestampForRetention() ? Long.MAX_VALUE : expiresAfter + 1;
    }

    /**
     * When {@code flush.ms} next asks for a flush of this log, in ms; {@link Long#MAX_VALUE} when
     * everything is flushed or no time-based flush is configured.
     */
    public long flushDueMs() {
        long intervalMs = config.flushIntervalMs();
        if (closed || intervalMs == Long.MAX_VALUE || recoveryPoint >= tail.end().offset()) {
            return Long.MAX_VALUE;
        }
        long last = lastFlushMs;
        return last + intervalMs < last ? Long.MAX_VALUE : last + intervalMs;
    }

    /** Stops every read and write: they fail with KAFKA_STORAGE_ERROR; what is on disk stays as it is. */
    public void markDirOffline() {
        dirOffline = true;
    }

    public boolean isDirOffline() {
        return dirOffline;
    }

    private IOException ioFailure(IOException e) {
        // a closed channel is Brook's own doing (a segment deleted or the log closed meanwhile), not the disk's
        if (!dirOffline && !(e instanceof java.nio.channels.ClosedChannelException)) {
            ioFailureListener.accept(e);
        }
        return e;
    }

    private void throwIfOffline() {
        if (dirOffline) {
            throw new org.apache.kafka.common.errors.KafkaStorageException("The log directory of " + topicPartition
                    + " is offline after an I/O error; restart the node once the disk is fixed");
        }
    }

    private void throwIfClosed() {
        throwIfOffline();
        if (closed) {
            throw new org.apache.kafka.common.errors.KafkaStorageException("Log " + topicPartition + " is closed");
        }
    }

    // ------------------------------------------------------------------ accessors

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public File dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    public long logEndOffset() {
        return tail.end().offset();
    }

    public LogOffsetMetadata logEndOffsetMetadata() {
        return tail.end();
    }

    /** The log end and first unstable offset, one consistent snapshot (see {@link Tail}). */
    public Tail tail() {
        return tail;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public int latestEpoch() {
        return epochCache.latestEpoch();
    }

    public LeaderEpochCache epochCache() {
        return epochCache;
    }

    public int segmentCount() {
        return segments.size();
    }

    public long size() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.sizeInBytes();
        }
        return total;
    }

    public ProducerStateTable.Entry producerEntry(long producerId) {
        synchronized (this) {
            return producerState.get(producerId);
        }
    }

    public synchronized java.util.List<ProducerStateTable.ProducerSummary> activeProducers() {
        return producerState.summaries();
    }

    /**
     * The last stable offset given the high watermark: below it every transaction is decided, so
     * read_committed consumers read up to it.
     */
    public long lastStableOffset(long highWatermark) {
        LogOffsetMetadata firstUnstable = tail.firstUnstable();
        long unstable = firstUnstable == null ? -1 : firstUnstable.offset();
        return unstable < 0 ? highWatermark : Math.max(logStartOffset, Math.min(unstable, highWatermark));
    }

    /**
     * The aborted transactions a read_committed fetch from {@code fetchOffset} up to
     * {@code upperBoundOffset} must be told of: those with records before the bound whose abort
     * marker is at or after the fetch offset.
     */
    public List<TransactionIndex.AbortedTxn> abortedTransactions(long fetchOffset, long upperBoundOffset) {
        List<TransactionIndex.AbortedTxn> aborted = new ArrayList<>();
        Long from = segments.floorKey(fetchOffset);
        for (LogSegment segment : segments.tailMap(from == null ? segments.firstKey() : from).values()) {
            segment.txnIndex().collect(fetchOffset, upperBoundOffset, aborted);
        }
        return aborted;
    }

    public synchronized void expireProducers(long expirationMs) {
        producerState.expire(time.milliseconds(), expirationMs);
    }

    /**
     * When {@link #expireProducers} may next remove a producer, in ms; {@link Long#MAX_VALUE} when no
     * producer can expire before the log changes (none, or all inside an open transaction).
     */
    public synchronized long producerExpiryDueMs(long expirationMs) {
        return closed ? Long.MAX_VALUE : producerState.earliestExpiryMs(expirationMs);
    }
}
