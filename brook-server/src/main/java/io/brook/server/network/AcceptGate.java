package io.brook.server.network;

import io.brook.server.quota.ConnectionRates;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Lets a listener's new connections in at the pace its limits allow, as Kafka's acceptor does. It sits on the
 * listener's server channel, before Netty's acceptor registers each new connection with a network thread:
 * <ul>
 *   <li>{@code listener.name.<l>.max.connections}: while the listener has that many connections open, the next one
 *       waits (it is not refused) until one of them closes;</li>
 *   <li>{@code max.connection.creation.rate} and {@code listener.name.<l>.max.connection.creation.rate} (KIP-402): a
 *       connection over either rate is held for its throttle time ({@link ConnectionRates#recordAccept}) and only
 *       then served, and the listener accepts nothing meanwhile;</li>
 *   <li>the {@code connection_creation_rate} of the client's address (KIP-612): a connection over it is never
 *       served (not registered, so not read) and is closed after its throttle time, as Kafka closes it.</li>
 * </ul>
 * Waiting never blocks the event loop: the listener stops accepting (auto-read off on its server channel, so new
 * connections queue in the kernel's accept backlog, as behind Kafka's blocked acceptor) and a timer on the event loop,
 * or the close of one of the listener's connections, starts it again. Connections Netty had already taken from the
 * kernel in the same read wait in arrival order, unregistered.
 *
 * <p>Thread-safety: confined to the server channel's event loop; the close of a served connection (on its own
 * network thread) hops onto it. The rates are shared by every listener and thread-safe.
 */
final class AcceptGate extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptGate.class);

    private final ConnectionRates rates;
    /** {@code listener.name.<l>.max.connections} of this listener (Integer.MAX_VALUE: none). */
    private final int maxConnections;
    /** The {@code connection_creation_rate} of a client address ({@link ConnectionRates#UNLIMITED}: none). */
    private final ToDoubleFunction<InetAddress> addressRate;
    private final LongSupplier clockMs;
    private final String listener;
    /** The listener's connections served and not closed yet. */
    private final AtomicInteger open = new AtomicInteger();
    /** Connections accepted from the kernel that wait for their turn, in arrival order. */
    private final ArrayDeque<Channel> waiting = new ArrayDeque<>();
    /** Connections over their address's rate, to be closed unserved once their throttle time is over. */
    private final Set<Channel> refused = new HashSet<>();
    private ChannelHandlerContext ctx;
    /** The connection held for its throttle time, or null. */
    private Channel held;
    /** This gate turned the listener's accepting off. */
    private boolean paused;
    private boolean stopped;

    AcceptGate(String listener, ConnectionRates rates, int maxConnections, ToDoubleFunction<InetAddress> addressRate,
               LongSupplier clockMs) {
        this.listener = listener;
        this.rates = rates;
        this.maxConnections = maxConnections;
        this.addressRate = addressRate;
        this.clockMs = clockMs;
    }

    /** The listener's connections served and still open (for tests and metrics). */
    int openConnections() {
        return open.get();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (stopped) {
            child.unsafe().closeForcibly();
            return;
        }
        waiting.addLast(child);
        drain();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stopped = true;
        waiting.forEach(child -> child.unsafe().closeForcibly());
        waiting.clear();
        refused.forEach(child -> child.unsafe().closeForcibly());
        refused.clear();
        if (held != null) {
            held.unsafe().closeForcibly();
            held = null;
        }
        super.channelInactive(ctx);
    }

    /** Serves waiting connections while the limits allow, then accepts again, or stops accepting until they do. */
    private void drain() {
        while (held == null && !stopped && !waiting.isEmpty()) {
            if (open.get() >= maxConnections) {
                pause(); // resumed by the close of one of the listener's connections
                return;
            }
            Channel child = waiting.pollFirst();
            long waitMs = rates.recordAccept(listener, clockMs.getAsLong());
            if (waitMs > 0) {
                log.debug("Listener {} over its connection creation rate: the connection from {} waits {} ms",
                        listener, child.remoteAddress(), waitMs);
                held = child;
                pause();
                ctx.executor().schedule(() -> {
                    if (held == child) { // else the listener stopped and closed it
                        held = null;
                        serve(child);
                        drain();
                    }
                }, waitMs, TimeUnit.MILLISECONDS);
                return;
            }
            serve(child);
        }
        if (held == null && !stopped && waiting.isEmpty() && paused) {
            paused = false;
            ctx.channel().config().setAutoRead(true); // reads (accepts) again at once
        }
    }

    /** Hands the connection on to be registered and read, unless its address is over its rate. */
    private void serve(Channel child) {
        SocketAddress remote = child.remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            InetAddress address = inet.getAddress();
            long closeInMs = rates.recordAddress(listener, address, addressRate.applyAsDouble(address),
                    clockMs.getAsLong());
            if (closeInMs > 0) {
                log.debug("Closing the connection from {} unserved in {} ms: over its connection_creation_rate",
                        address, closeInMs);
                refused.add(child);
                ctx.executor().schedule(() -> {
                    if (refused.remove(child)) {
                        child.unsafe().closeForcibly();
                    }
                }, closeInMs, TimeUnit.MILLISECONDS);
                return;
            }
        }
        open.incrementAndGet();
        child.closeFuture().addListener(f -> onClose());
        ctx.fireChannelRead(child);
    }

    private void onClose() {
        open.decrementAndGet();
        try {
            ctx.executor().execute(this::drain);
        } catch (RejectedExecutionException e) {
            // the node is stopping: nothing waits to be served any more
        }
    }

    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }
}
