package io.brook.server.network;

import io.brook.storage.log.SegmentRecords;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultFileRegion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Serializes a response (size prefix, header, body) into the pieces Netty writes: heap-free
 * {@link ByteBuf}s for protocol fields and memory records, and {@link FileRegion}s for record
 * bytes that come straight from segment files (zero copy), or, for a TLS connection (a file region cannot go
 * through the encryption), those bytes copied out of the file into a buffer: then serializing reads files,
 * so it runs off the event loop.
 *
 * <p>Not thread-safe; one instance per response.
 */
final class ResponseWriter implements Writable {
    private final ByteBufAllocator allocator;
    private final List<Object> parts = new ArrayList<>(2);
    private final boolean copyFiles;
    private ByteBuf current;

    private ResponseWriter(ByteBufAllocator allocator, int initialCapacity, boolean copyFiles) {
        this.allocator = allocator;
        this.copyFiles = copyFiles;
        this.current = allocator.buffer(initialCapacity);
    }

    /**
     * Serializes {@code body} with its header; the returned parts are owned by the caller, who must
     * write (and so release) every one of them.
     */
    static List<Object> serialize(ByteBufAllocator allocator, int correlationId, short headerVersion,
                                  ApiMessage body, short version) {
        return serialize(allocator, correlationId, headerVersion, body, version, false);
    }

    /**
     * Whether encoding {@code body} with files copied reads segment files: a fetch answer holding record bytes that
     * are not in memory (and, unexamined, any FetchSnapshot or ShareFetch answer). Everything else is encoded from
     * memory, on any thread.
     */
    static boolean readsFiles(ApiMessage body) {
        if (body instanceof FetchResponseData fetch) {
            for (FetchResponseData.FetchableTopicResponse topic : fetch.responses()) {
                for (FetchResponseData.PartitionData partition : topic.partitions()) {
                    BaseRecords records = partition.records();
                    if (records != null && !(records instanceof MemoryRecords) && records.sizeInBytes() > 0) {
                        return true;
                    }
                }
            }
            return false;
        }
        return body.apiKey() == ApiKeys.FETCH_SNAPSHOT.id || body.apiKey() == ApiKeys.SHARE_FETCH.id;
    }

    /**
     * {@link #serialize(ByteBufAllocator, int, short, ApiMessage, short)}, with record bytes of segment files
     * copied into buffers when {@code copyFiles} (only buffers are returned then; this reads the files).
     */
    static List<Object> serialize(ByteBufAllocator allocator, int correlationId, short headerVersion,
                                  ApiMessage body, short version, boolean copyFiles) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        int headerSize = header.size(cache, headerVersion);
        int bodySize = body.size(cache, version);
        ResponseWriter writer = new ResponseWriter(allocator, Math.min(4 + headerSize + bodySize, 64 * 1024),
                copyFiles);
        try {
            writer.writeInt(headerSize + bodySize);
            header.write(writer, cache, headerVersion);
            body.write(writer, cache, version);
            return writer.finish();
        } catch (RuntimeException e) {
            writer.releaseAll();
            throw e;
        }
    }

    private void releaseAll() {
        for (Object part : parts) {
            io.netty.util.ReferenceCountUtil.release(part);
        }
        if (current != null) {
            current.release();
        }
    }

    private List<Object> finish() {
        if (current.isReadable()) {
            parts.add(current);
        } else {
            current.release();
        }
        current = null;
        return parts;
    }

    @Override
    public void writeByte(byte val) {
        current.writeByte(val);
    }

    @Override
    public void writeShort(short val) {
        current.writeShort(val);
    }

    @Override
    public void writeInt(int val) {
        current.writeInt(val);
    }

    @Override
    public void writeLong(long val) {
        current.writeLong(val);
    }

    @Override
    public void writeDouble(double val) {
        current.writeDouble(val);
    }

    @Override
    public void writeByteArray(byte[] arr) {
        current.writeBytes(arr);
    }

    @Override
    public void writeUnsignedVarint(int i) {
        while ((i & 0xffffff80) != 0L) {
            current.writeByte((i & 0x7f) | 0x80);
            i >>>= 7;
        }
        current.writeByte(i);
    }

    @Override
    public void writeByteBuffer(ByteBuffer buf) {
        current.writeBytes(buf.duplicate());
    }

    @Override
    public void writeVarint(int i) {
        writeUnsignedVarint((i << 1) ^ (i >> 31));
    }

    @Override
    public void writeVarlong(long v) {
        long i = (v << 1) ^ (v >> 63);
        while ((i & 0xffffffffffffff80L) != 0L) {
            current.writeByte(((int) i & 0x7f) | 0x80);
            i >>>= 7;
        }
        current.writeByte((int) i);
    }

    @Override
    public void writeUuid(Uuid uuid) {
        current.writeLong(uuid.getMostSignificantBits());
        current.writeLong(uuid.getLeastSignificantBits());
    }

    @Override
    public void writeRecords(BaseRecords records) {
        if (records instanceof MemoryRecords memory) {
            current.writeBytes(memory.buffer().duplicate());
        } else if (records instanceof SegmentRecords segment) {
            if (segment.sizeInBytes() == 0) {
                return;
            }
            SegmentFileRegion region = leasedRegion(segment);
            if (copyFiles) {
                copy(region);
                return;
            }
            parts.add(current);
            parts.add(region);
            current = allocator.buffer(256);
        } else if (records instanceof FileRecords file) {
            if (file.sizeInBytes() == 0) {
                return;
            }
            if (copyFiles) {
                copy(fileRegion(file));
                return;
            }
            parts.add(current);
            parts.add(fileRegion(file));
            current = allocator.buffer(256);
        } else {
            throw new IllegalArgumentException("cannot send records of type " + records.getClass());
        }
    }

    /** Appends the region's bytes, read from its file, to the current buffer, and releases the region. */
    private void copy(SegmentFileRegion region) {
        try {
            long position = region.position();
            long end = position + region.count();
            current.ensureWritable((int) region.count());
            while (position < end) {
                int read = current.writeBytes(region.file(), position, (int) (end - position));
                if (read < 0) {
                    throw new IllegalStateException("a segment file ended " + (end - position) + " bytes early");
                }
                position += read;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read records to send", e);
        } finally {
            region.release();
        }
    }

    /** A file region holding a lease on the segment's file until Netty releases it (sent or dropped). */
    private static SegmentFileRegion leasedRegion(SegmentRecords records) {
        SegmentRecords.Lease lease;
        try {
            lease = records.lease();
        } catch (IOException e) {
            throw new IllegalStateException("cannot send " + records, e);
        }
        return new SegmentFileRegion(lease.channel(), lease.position(), lease.count(), lease);
    }

    /** The file region of a FileRecords slice, found through the channel FileRecords transfers to. */
    private static SegmentFileRegion fileRegion(FileRecords records) {
        RegionCapture capture = new RegionCapture();
        try {
            records.writeTo(capture, 0, records.sizeInBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot locate records in " + records.file(), e);
        }
        return new SegmentFileRegion(capture.file, capture.position, capture.count, null);
    }

    /**
     * A file region over a segment's channel; releasing it must not close the channel (it belongs to
     * the segment) but gives back the segment's lease, if it has one (see {@link SegmentRecords#lease}).
     */
    static final class SegmentFileRegion extends DefaultFileRegion {
        private final AutoCloseable lease;

        private final FileChannel channel;

        SegmentFileRegion(FileChannel file, long position, long count, AutoCloseable lease) {
            super(file, position, count);
            this.channel = file;
            this.lease = lease;
        }

        /** The segment's channel (open while the region is not released). */
        FileChannel file() {
            return channel;
        }

        @Override
        protected void deallocate() {
            if (lease != null) {
                try {
                    lease.close();
                } catch (Exception e) {
                    LoggerFactory.getLogger(ResponseWriter.class).warn("Could not release a segment lease", e);
                }
            }
        }
    }

    /** Records where FileRecords would transfer from, without transferring. */
    private static final class RegionCapture implements TransferableChannel {
        FileChannel file;
        long position;
        long count;

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) {
            this.file = fileChannel;
            this.position = position;
            this.count = count;
            return count;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
