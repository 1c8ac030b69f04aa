package io.brook.storage.log;

import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.utils.Utils;

import java.io.File;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

/**
 * The {@code .log} file of a segment, whose file handle is opened on first use and closed again
 * when the segment has been idle for a while, so a node's open files follow what is being read
 * and written, not how many segments it holds.
 *
 * <p>Zero-copy sends hold the handle: a send takes a lease ({@link #acquire}) when its response
 * is serialized and gives it back ({@link #release}) when the bytes are on the socket or the
 * connection is gone. While a lease is held the handle is never closed for idleness, and a close
 * for good (the segment deleted by retention, truncation or cleaning, or the log closed) only
 * stops new uses: the handle itself closes when the last lease is released, so the send completes
 * with the bytes it was promised (a deleted file stays readable through an open handle on POSIX
 * file systems, and its space is freed when that handle closes).
 *
 * <p>Other uses ({@link #records()}: a read, an append, the slice a fetch hands to the network
 * layer) count as uses for the idle time; the fetch's slice is leased when it is serialized,
 * which happens well within the idle time and {@code file.delete.delay.ms} of the read. Nothing
 * written is affected by closing: a closed handle loses no data (the page cache keeps it and a
 * later fsync through a new handle covers it).
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
    /** Whether {@link #records} has been closed (it is kept after a close for good). */
    private boolean handleClosed;
    /** Leases held by zero-copy sends on the current handle. */
    private int leases;
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
        if (closedForGood) {
            throw new ClosedChannelException();
        }
        if (records == null) {
            records = FileRecords.open(file, true, 0, false);
            handleClosed = false;
            onReopen.run();
        }
        return records;
    }

    /**
     * Takes a lease on the open handle for a zero-copy send (reopening it if it was closed for
     * idleness); the caller must {@link #release} it exactly once.
     *
     * @throws ClosedChannelException when the segment was closed for good
     */
    synchronized FileChannel acquire() throws IOException {
        if (closedForGood) {
            throw new ClosedChannelException();
        }
        FileChannel channel = records().channel();
        leases++;
        return channel;
    }

    /** Gives back a lease of {@link #acquire}; the last one after a close for good closes the handle. */
    synchronized void release() throws IOException {
        if (leases <= 0) {
            throw new IllegalStateException("no lease to release on " + file);
        }
        leases--;
        lastUsedNanos = System.nanoTime();
        if (leases == 0 && closedForGood) {
            closeHandle();
        }
    }

    /** Leases held by sends in flight. */
    synchronized int leases() {
        return leases;
    }

    /** Tells {@code listener} (quick, taking no lock of a log) whenever the handle is reopened. */
    synchronized void onReopen(Runnable listener) {
        this.onReopen = listener;
    }

    synchronized int sizeInBytes() {
        return records != null && !handleClosed ? records.sizeInBytes() : closedSize;
    }

    synchronized File file() {
        return file;
    }

    synchronized boolean isOpen() {
        return records != null && !handleClosed;
    }

    synchronized void renameTo(File target) throws IOException {
        if (records != null) {
            records.renameTo(target); // moves the file only; an open handle stays valid
        } else {
            Utils.atomicMoveWithFallback(file.toPath(), target.toPath());
        }
        file = target;
    }

    /**
     * Closes the handle if nobody used it for {@code idleNanos} and no send holds it (see the class
     * comment); the next use opens it again. Returns whether it closed a handle.
     */
    synchronized boolean closeIfIdle(long nowNanos, long idleNanos) throws IOException {
        if (records == null || handleClosed || leases > 0 || nowNanos - lastUsedNanos < idleNanos) {
            return false;
        }
        closedSize = records.sizeInBytes();
        records.closeHandlers();
        records = null;
        return true;
    }

    /**
     * Closes the handle for good: later uses fail with {@link ClosedChannelException}; a handle
     * still leased by sends closes when the last of them is released.
     */
    synchronized void close() throws IOException {
        closedForGood = true;
        if (records != null && !handleClosed) {
            closedSize = records.sizeInBytes();
            if (leases == 0) {
                closeHandle();
            }
            // keep the (closed) records: uses fail on its closed channel, as before the handle was closed
        }
    }

    private void closeHandle() throws IOException {
        if (records != null && !handleClosed) {
            handleClosed = true;
            records.close();
        }
    }
}
