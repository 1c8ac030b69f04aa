package io.brook.server.network;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;

import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Kafka's framing (a 4-byte size, then the request) with the node's request memory: the size of
 * each request is reserved from {@link RequestMemory} when its size prefix arrives, before its
 * body is read (as Kafka allocates the receive buffer from its memory pool). While the
 * reservation is refused the connection stops reading and the prefix waits; the reservation
 * travels with the {@link Frame} and is given back when the request has been answered.
 *
 * <p>A size above {@code socket.request.max.bytes} or below 0 fails the connection (it is closed).
 *
 * <p>Thread-safety: confined to the channel's event loop, except the wake-up, which hops to it.
 */
final class RequestFrameDecoder extends ByteToMessageDecoder {
    /** A request's bytes (without the size prefix) and the request memory reserved for it. */
    record Frame(ByteBuf bytes, int reserved) {
    }

    /** The first two bytes of a TLS handshake record (content type 22, version 3.x), read as a frame size. */
    private static final int TLS_HANDSHAKE_RECORD = 0x1603;

    /** The largest frame accepted now: below {@link #maxRequestBytes} until a SASL connection authenticates. */
    private int maxFrameBytes;
    private final int maxRequestBytes;
    private final RequestMemory memory;
    private final ReadGate gate;
    /** The size of the frame being read, whose memory is reserved; -1 between frames. */
    private int frameSize = -1;
    private boolean waitingForMemory;

    RequestFrameDecoder(int maxRequestBytes, RequestMemory memory, ReadGate gate) {
        this(maxRequestBytes, maxRequestBytes, memory, gate);
    }

    /**
     * A decoder that accepts frames up to {@code initialMaxBytes} until {@link #acceptFullSize} (a SASL
     * connection before it authenticates: {@code sasl.server.max.receive.size}), then up to {@code maxRequestBytes}.
     */
    RequestFrameDecoder(int initialMaxBytes, int maxRequestBytes, RequestMemory memory, ReadGate gate) {
        this.maxFrameBytes = initialMaxBytes;
        this.maxRequestBytes = maxRequestBytes;
        this.memory = memory;
        this.gate = gate;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (waitingForMemory) {
            return;
        }
        if (frameSize < 0) {
            if (in.readableBytes() < 4) {
                return;
            }
            int size = in.getInt(in.readerIndex());
            if (size < 0) {
                throw new CorruptedFrameException("negative request size " + size);
            }
            if (size > maxFrameBytes) {
                throw new TooLongFrameException((size >>> 16 == TLS_HANDSHAKE_RECORD ? "a TLS handshake (a TLS "
                        + "client on a listener without TLS?), read as a " : "") + "request of " + size
                        + " bytes, above " + (maxFrameBytes == maxRequestBytes ? "socket.request.max.bytes"
                        : "sasl.server.max.receive.size before authentication") + " (" + maxFrameBytes + ")");
            }
            if (!memory.tryReserve(size)) {
                waitForMemory(ctx);
                return;
            }
            in.skipBytes(4);
            frameSize = size;
        }
        if (in.readableBytes() < frameSize) {
            return;
        }
        out.add(new Frame(in.readRetainedSlice(frameSize), frameSize));
        frameSize = -1;
    }

    /** The connection has authenticated: frames up to {@code socket.request.max.bytes} are accepted from now on. */
    void acceptFullSize() {
        maxFrameBytes = maxRequestBytes;
    }

    private void waitForMemory(ChannelHandlerContext ctx) {
        waitingForMemory = true;
        gate.pause(ReadGate.MEMORY);
        memory.awaitMemory(() -> {
            try {
                ctx.executor().execute(() -> retry(ctx));
            } catch (RejectedExecutionException shuttingDown) {
                // the server is closing: nothing left to read for
            }
        });
    }

    /** Memory was given back: decode what waits, and read again unless the memory is gone again. */
    private void retry(ChannelHandlerContext ctx) {
        if (!waitingForMemory || ctx.isRemoved() || !ctx.channel().isActive()) {
            return;
        }
        waitingForMemory = false;
        channelRead(ctx, Unpooled.EMPTY_BUFFER); // decodes the waiting prefix (and what followed it)
        if (!waitingForMemory) {
            gate.resume(ReadGate.MEMORY);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            super.channelRead(ctx, msg);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (waitingForMemory) {
            // ByteToMessageDecoder would ask for one more read when nothing was decoded and auto-read
            // is off: that is right for a partial frame, wrong for one whose memory is refused
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (frameSize >= 0) { // a request cut off by the connection's end
            memory.release(frameSize);
            frameSize = -1;
        }
        waitingForMemory = false;
    }
}
