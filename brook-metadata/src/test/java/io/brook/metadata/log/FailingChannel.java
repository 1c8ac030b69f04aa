package io.brook.metadata.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel that fails on demand, for the seam {@link MetadataLog#open(java.io.File,
 * java.util.function.BiConsumer, java.util.function.UnaryOperator)}: a write can fail after writing
 * part of its bytes (a partial frame on disk), and force or truncate can fail. Only the operations
 * MetadataLog uses are supported.
 */
final class FailingChannel extends FileChannel {
    private final FileChannel delegate;
    /** Bytes a write may still write before it fails; negative: writes do not fail. */
    int writeBudget = -1;
    /** How many of the next force calls fail. */
    int failingForces;
    boolean failTruncate;

    FailingChannel(FileChannel delegate) {
        this.delegate = delegate;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (writeBudget < 0) {
            return delegate.write(src);
        }
        ByteBuffer part = src.slice();
        part.limit(Math.min(writeBudget, part.remaining()));
        int written = 0;
        while (part.hasRemaining()) {
            written += delegate.write(part);
        }
        src.position(src.position() + written);
        writeBudget -= written;
        throw new IOException("injected write failure after " + written + " bytes");
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (failingForces > 0) {
            failingForces--;
            throw new IOException("injected force failure");
        }
        delegate.force(metaData);
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (failTruncate) {
            throw new IOException("injected truncate failure");
        }
        delegate.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }

    @Override
    public int read(ByteBuffer dst) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }
}
