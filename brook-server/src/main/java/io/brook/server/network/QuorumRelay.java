package io.brook.server.network;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The first handler of a connection to the controller listener, which serves two protocols on one port, as
 * Kafka's controller listener serves both Kafka's admin requests and the Raft quorum's: a connection whose first
 * byte is 0 speaks Kafka's protocol (a request's 4-byte size, big-endian, starts with 0 for any request under
 * 16 MiB) and goes on through the Kafka pipeline; any other connection is the metadata quorum's transport (Ratis's
 * frames start with a varint length, never 0 for a message) and is relayed byte for byte to Ratis's own server on a
 * loopback port, so voters and quorum clients reach Ratis at the voter's {@code controller.quorum.voters} address.
 *
 * <p>The relay reads one buffer at a time from each side and reads the next once the other side took it, so a slow
 * side slows the other down (no unbounded buffering). Closing either side closes the other once written.
 *
 * <p>Thread-safety: one instance per connection; everything runs on the connection's event loop (the outbound
 * connection shares it).
 */
final class QuorumRelay extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress target;
    private boolean decided;

    QuorumRelay(InetSocketAddress target) {
        this.target = target;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf first = (ByteBuf) msg;
        if (!first.isReadable()) {
            first.release();
            return;
        }
        decided = true;
        if (first.getByte(first.readerIndex()) == 0) { // Kafka's protocol: the normal pipeline
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(first);
            return;
        }
        relay(ctx, first);
    }

    /** Replaces the Kafka pipeline with a byte relay to Ratis's server. */
    private void relay(ChannelHandlerContext ctx, ByteBuf first) {
        Channel inbound = ctx.channel();
        inbound.config().setAutoRead(false);
        // the handlers after this one are the Kafka pipeline's (those before it count the connection)
        List<String> names = new ArrayList<>(inbound.pipeline().names());
        boolean after = false;
        for (String name : names) {
            ChannelHandler handler = inbound.pipeline().get(name);
            if (handler == this) {
                after = true;
            } else if (after && handler != null) {
                inbound.pipeline().remove(name);
            }
        }
        Bootstrap bootstrap = new Bootstrap().group(inbound.eventLoop())
                .channel(inbound instanceof EpollSocketChannel ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new Pipe(inbound));
        bootstrap.connect(target).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                first.release();
                inbound.close();
                return;
            }
            Channel outbound = connected.channel();
            inbound.pipeline().replace(this, "quorum-relay", new Pipe(outbound));
            outbound.writeAndFlush(first).addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    inbound.read();
                    outbound.read();
                } else {
                    closeOnFlush(inbound);
                    outbound.close();
                }
            });
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (decided) {
            ctx.fireExceptionCaught(cause);
        } else {
            ctx.close();
        }
    }

    /** Copies what one side reads to the other side; reads the next buffer once it is written. */
    private static final class Pipe extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Pipe(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!other.isActive()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            other.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    f.channel().close();
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(other);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeOnFlush(ctx.channel());
        }
    }

    private static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
