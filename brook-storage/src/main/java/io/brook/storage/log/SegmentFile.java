package io.brook.storage.log;

import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.utils.Utils;

import java.io.File;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * The {@code .log} file of a segment, whose file handle is opened on first use and closed again
 * when the segment has been idle for a while, so a node's open files follow what is being read
 * and written, not how many segments it holds.
 *
 * <p>Safety rule: whoever gets the records from {@link #records()} must be done with them (a
 * read, an append, or a zero-copy send of a slice) well within the idle time passed to
 * {@link #closeIfIdle}; every call counts as a use. A slice still queued on a connection after
 * that fails with a closed channel and the connection is closed, which a client takes as a
 * broken connection and retries. Nothing written is affected: a closed handle loses no data
 * (the page cache keeps it and a later fsync through a new handle covers it).
 *
 * <p>Thread-safety: all methods are synchronized; a use costs one uncontended lock.
 */
final class SegmentFile {
    private File file;
    /** Null while the handle is closed for idleness. */
    private FileRecords records;
    /** The size while the handle is closed (the file cannot change then). */
    private int closedSize;
    private long lastUsedNanos;
    private boolean closedForGood;
    /** Told when the handle is opened again after it was closed for idleness. */
    private Runnable onReopen = () -> { };

    SegmentFile(FileRecords records) {
        this.file = records.file();
        this.records = records;
        this.lastUsedNanos = System.nanoTime();
    }

    /** The records of the file, reopened if the handle was closed for idleness. */
    synchronized FileRecords records() throws IOException {
        lastUsedNanos = System.nanoTime();
        if (records == null) {
            if (closedForGood) {
                throw new ClosedChannelException();
            }
            records = FileRecords.open(file, true, 0, false);
            onReopen.run();
        }
        return records;
    }

    /** Tells {@code listener} (quick, taking no lock of a log) whenever the handle is reopened. */
    synchronized void onReopen(Runnable listener) {
        this.onReopen = listener;
    }

    synchronized int sizeInBytes() {
        return records != null ? records.sizeInBytes() : closedSize;
    }

    synchronized File file() {
        return file;
    }

    synchronized boolean isOpen() {
        return records != null;
    }

    synchronized void renameTo(File target) throws IOException {
        if (records != null) {
            records.renameTo(target);
        } else {
            Utils.atomicMoveWithFallback(file.toPath(), target.toPath());
        }
        file = target;
    }

    /**
     * Closes the handle if nobody used it for {@code idleNanos} (see the class comment); the next
     * use opens it again. Returns whether it closed a handle.
     */
    synchronized boolean closeIfIdle(long nowNanos, long idleNanos) throws IOException {
        if (records == null || nowNanos - lastUsedNanos < idleNanos) {
            return false;
        }
        closedSize = records.sizeInBytes();
        records.closeHandlers();
        records = null;
        return true;
    }

    /** Closes the handle for good: later uses fail with {@link ClosedChannelException}. */
    synchronized void close() throws IOException {
        closedForGood = true;
        if (records != null) {
            closedSize = records.sizeInBytes();
            records.close();
            // keep the closed records: uses fail on its closed channel, as before the handle was closed
        }
    }
}
