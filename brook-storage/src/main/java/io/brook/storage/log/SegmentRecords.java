package io.brook.storage.log;

import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.utils.AbstractIterator;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A slice of a segment's {@code .log} file, as a read returns it: readable as records like
 * Kafka's {@link FileRecords} slice, and able to {@link #lease} the segment's file handle for a
 * zero-copy send, so that closing the segment for idleness or deleting it does not break a send
 * in flight (see {@link SegmentFile}).
 *
 * <p>Thread-safety: immutable; reading batches goes through the file as of the read.
 */
public final class SegmentRecords extends AbstractRecords {
    private final SegmentFile file;
    private final FileRecords slice;
    /** Where the slice starts in the file. */
    private final int start;

    SegmentRecords(SegmentFile file, FileRecords slice, int start) {
        this.file = file;
        this.slice = slice;
        this.start = start;
    }

    @Override
    public int sizeInBytes() {
        return slice.sizeInBytes();
    }

    @Override
    public int writeTo(TransferableChannel channel, int position, int length) throws IOException {
        return slice.writeTo(channel, position, length);
    }

    @Override
    public Iterable<FileChannelRecordBatch> batches() {
        return slice.batches();
    }

    @Override
    public AbstractIterator<FileChannelRecordBatch> batchIterator() {
        return slice.batchIterator();
    }

    @Override
    public SegmentRecords slice(int position, int size) {
        return new SegmentRecords(file, slice.slice(position, size), start + position);
    }

    /**
     * Holds the segment's file handle open for sending these bytes until the returned lease is
     * closed, even if the segment is closed or deleted meanwhile; the lease must be closed once.
     *
     * @throws java.nio.channels.ClosedChannelException when the segment was already closed for good
     */
    public Lease lease() throws IOException {
        return new Lease(file, file.acquire(), start, sizeInBytes());
    }

    @Override
    public String toString() {
        return "SegmentRecords(" + file.file() + ", start=" + start + ", size=" + sizeInBytes() + ")";
    }

    /** An open file handle and the byte range of it to send; {@link #close} gives the handle back. */
    public static final class Lease implements AutoCloseable {
        private final SegmentFile file;
        private final FileChannel channel;
        private final long position;
        private final long count;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(SegmentFile file, FileChannel channel, long position, long count) {
            this.file = file;
            this.channel = channel;
            this.position = position;
            this.count = count;
        }

        public FileChannel channel() {
            return channel;
        }

        public long position() {
            return position;
        }

        public long count() {
            return count;
        }

        /** Gives the handle back; later calls do nothing. */
        @Override
        public void close() throws IOException {
            if (released.compareAndSet(false, true)) {
                file.release();
            }
        }
    }
}
