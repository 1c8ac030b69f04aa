package io.brook.server.network;

import io.brook.server.api.ApiRegistry;
import io.brook.server.quota.ConnectionRates;
import io.brook.server.quota.IpConnectionQuotas;
import io.brook.server.network.tls.TlsListener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kafka listener: Netty (native epoll when available), Kafka's 4-byte size framing with
 * {@code socket.request.max.bytes}, idle-connection closing and connection limits, and bounded
 * memory: a node-wide budget for requests in flight ({@code queued.max.request.bytes}, see
 * {@link RequestMemory}) and a per-connection limit on unsent response bytes (write buffer
 * watermarks, file regions counted with their size) past which the connection stops reading
 * and dispatching until its client has consumed them (see {@link KafkaChannelHandler}). A TLS listener
 * ({@link TlsListener}) puts its handlers (Netty's SslHandler, the client certificate's principal) before the
 * framing; its responses are copied out of segment files, since zero copy cannot go through TLS.
 *
 * <p>Connection limits: {@code max.connections} and {@code max.connections.per.ip} (with
 * {@code max.connections.per.ip.overrides}) close a connection past them at once; {@code
 * listener.name.<l>.max.connections}, the connection creation rates ({@code max.connection.creation.rate}, per
 * listener, and the {@code connection_creation_rate} of ip quotas) are applied before a connection is served, by an
 * {@link AcceptGate} on each listener (see {@link ConnectionLimits}).
 */
public final class NetworkServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkServer.class);

    /** Settings of the listener. */
    public record Settings(String host, int port, int maxRequestBytes, long connectionsMaxIdleMs,
                           int maxConnections, int maxConnectionsPerIp, int networkThreads,
                           long queuedMaxRequestBytes, int writeBufferBytes, int socketSendBufferBytes,
                           int socketReceiveBufferBytes) {
        /** The listener without memory bounds beyond Brook's defaults, the OS's socket buffers (tests, tools). */
        public Settings(String host, int port, int maxRequestBytes, long connectionsMaxIdleMs, int maxConnections,
                        int maxConnectionsPerIp, int networkThreads) {
            this(host, port, maxRequestBytes, connectionsMaxIdleMs, maxConnections, maxConnectionsPerIp,
                    networkThreads, defaultQueuedMaxRequestBytes(), DEFAULT_WRITE_BUFFER_BYTES, OS_DEFAULT,
                    OS_DEFAULT);
        }
    }

    /** {@code socket.send.buffer.bytes} / {@code socket.receive.buffer.bytes} of -1: the OS's (autotuned) size. */
    public static final int OS_DEFAULT = -1;

    /**
     * The limits on new connections beyond {@code max.connections} and {@code max.connections.per.ip}: the
     * connection creation rates (shared by every listener), {@code listener.name.<l>.max.connections} by listener
     * name, and {@code max.connections.per.ip.overrides} by address.
     */
    public record ConnectionLimits(ConnectionRates rates, Map<String, Integer> maxConnectionsPerListener,
                                   Map<InetAddress, Integer> maxConnectionsPerIpOverrides) {
        public ConnectionLimits {
            maxConnectionsPerListener = Map.copyOf(maxConnectionsPerListener);
            maxConnectionsPerIpOverrides = Map.copyOf(maxConnectionsPerIpOverrides);
        }

        /** No limit beyond {@link Settings}. */
        public static ConnectionLimits none() {
            return new ConnectionLimits(ConnectionRates.unlimited(), Map.of(), Map.of());
        }
    }

    /** Brook's default per-connection limit on unsent response bytes (the high watermark; low is half). */
    public static final int DEFAULT_WRITE_BUFFER_BYTES = 1024 * 1024;

    /**
     * Brook's default {@code queued.max.request.bytes} when it is not set: a quarter of the JVM's
     * maximum heap (Kafka's default, -1, leaves it unbounded; any request's bytes are copied onto
     * the heap, so the heap is what must not run out).
     */
    public static long defaultQueuedMaxRequestBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    /** The listener name of requests on a server started without one. */
    public static final String DEFAULT_LISTENER_NAME = "PLAINTEXT";
    /** On each bound (server) channel: the name of its listener, which its connections' requests carry. */
    private static final AttributeKey<String> LISTENER_NAME = AttributeKey.valueOf("brook.listener.name");
    /** On each bound (server) channel of a TLS listener: its TLS layer (absent on a PLAINTEXT listener). */
    private static final AttributeKey<TlsListener> LISTENER_TLS = AttributeKey.valueOf("brook.listener.tls");

    private final Settings settings;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final AtomicInteger connections = new AtomicInteger();
    private final RequestMemory requestMemory;
    private final Map<InetAddress, AtomicInteger> connectionsPerIp = new ConcurrentHashMap<>();
    private Channel serverChannel;
    /** Listeners bound after the first ({@link #bind}); set on the starting thread before connections are accepted. */
    private final List<Channel> extraChannels = new CopyOnWriteArrayList<>();
    private ServerBootstrap bootstrap;
    /** The SASL listeners by name (set before {@link #acceptConnections}); the others are PLAINTEXT. */
    private final Map<String, SaslListener> saslListeners = new ConcurrentHashMap<>();
    /** The listeners that share their port with the metadata quorum's transport, and where it listens. */
    private final Map<String, InetSocketAddress> quorumRelays = new ConcurrentHashMap<>();
    /** The client quotas, or null for none ({@link #quotas}). */
    private volatile io.brook.server.quota.RequestQuotas quotas;
    /** Set before {@link #start} ({@link #connectionLimits}). */
    private volatile ConnectionLimits limits = ConnectionLimits.none();
    /** Where failed authentications are audited, or null for the plain server log ({@link #audit}). */
    private volatile io.brook.server.security.AuditLog audit;
    /** The ip quotas of client addresses, or null for none ({@link #ipQuotas}). */
    private volatile IpConnectionQuotas ipQuotas;

    public NetworkServer(Settings settings) {
        this.settings = settings;
        this.requestMemory = new RequestMemory(settings.queuedMaxRequestBytes());
        boolean epoll = Epoll.isAvailable();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.workerGroup = new MultiThreadIoEventLoopGroup(settings.networkThreads(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /**
     * Binds the listener without accepting connections yet (see {@link #acceptConnections});
     * returns the bound address, which tells the real port when 0 was asked for.
     */
    public InetSocketAddress start(ApiRegistry registry, Executor requestExecutor) throws InterruptedException {
        return start(registry, requestExecutor, DEFAULT_LISTENER_NAME);
    }

    /** {@link #start(ApiRegistry, Executor)} for the listener named {@code listenerName}. */
    public InetSocketAddress start(ApiRegistry registry, Executor requestExecutor, String listenerName)
            throws InterruptedException {
        return start(registry, requestExecutor, listenerName, null);
    }

    /**
     * {@link #start(ApiRegistry, Executor)} for the listener named {@code listenerName}, over TLS when
     * {@code tls} is not null.
     */
    public InetSocketAddress start(ApiRegistry registry, Executor requestExecutor, String listenerName,
                                   TlsListener tls) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        Math.max(1, settings.writeBufferBytes() / 2), Math.max(1, settings.writeBufferBytes())))
                .childOption(ChannelOption.MESSAGE_SIZE_ESTIMATOR, PendingBytes.INSTANCE);
        // as Kafka: the receive buffer on the listening socket (so that accepted connections get its TCP window
        // scale), the send buffer on each connection; -1 leaves the OS's autotuning
        if (settings.socketReceiveBufferBytes() != OS_DEFAULT) {
            bootstrap.option(ChannelOption.SO_RCVBUF, settings.socketReceiveBufferBytes())
                    .childOption(ChannelOption.SO_RCVBUF, settings.socketReceiveBufferBytes());
        }
        if (settings.socketSendBufferBytes() != OS_DEFAULT) {
            bootstrap.childOption(ChannelOption.SO_SNDBUF, settings.socketSendBufferBytes());
        }
        bootstrap.childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ReadGate gate = new ReadGate(ch);
                        TlsListener tls = ch.parent().attr(LISTENER_TLS).get();
                        ch.pipeline().addLast("limits", new ConnectionLimiter());
                        if (tls != null) {
                            tls.install(ch, "limits", audit);
                        }
                        String listener = ch.parent().attr(LISTENER_NAME).get();
                        InetSocketAddress relayTarget = quorumRelays.get(listener);
                        if (relayTarget != null) {
                            ch.pipeline().addLast("quorum-relay", new QuorumRelay(relayTarget));
                        }
                        SaslListener sasl = saslListeners.get(listener);
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, settings.connectionsMaxIdleMs(),
                                        TimeUnit.MILLISECONDS))
                                .addLast("frames", new RequestFrameDecoder(sasl == null ? settings.maxRequestBytes()
                                        : Math.min(sasl.maxReceiveBytes(), settings.maxRequestBytes()),
                                        settings.maxRequestBytes(), requestMemory, gate))
                                .addLast("kafka", new KafkaChannelHandler(registry, requestExecutor, requestMemory,
                                        gate, listener, tls == null ? SecurityProtocol.PLAINTEXT
                                                : tls.securityProtocol(), sasl, quotas, audit));
                    }
                });
        this.bootstrap = bootstrap;
        serverChannel = withGate(bootstrap, listenerName).bind(settings.host(), settings.port()).sync().channel();
        serverChannel.attr(LISTENER_NAME).set(listenerName); // before any accept: see acceptConnections
        serverChannel.attr(LISTENER_TLS).set(tls);
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.debug("Listening on {} ({}{})", bound, epoll ? "epoll" : "nio", tls == null ? "" : ", TLS " + tls);
        return bound;
    }

    /**
     * Binds one more listener after {@link #start}, served like the first (same handlers, threads, limits and
     * memory budget); it accepts connections from {@link #acceptConnections} on. Returns the bound address.
     */
    public InetSocketAddress bind(String listenerName, String host, int port) throws InterruptedException {
        return bind(listenerName, host, port, null);
    }

    /** {@link #bind(String, String, int)} over TLS when {@code tls} is not null. */
    public InetSocketAddress bind(String listenerName, String host, int port, TlsListener tls)
            throws InterruptedException {
        if (bootstrap == null) {
            throw new IllegalStateException("start the server before binding more listeners");
        }
        Channel channel = withGate(bootstrap, listenerName).bind(host, port).sync().channel();
        channel.attr(LISTENER_NAME).set(listenerName);
        channel.attr(LISTENER_TLS).set(tls);
        extraChannels.add(channel);
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        log.debug("Listening also on {}", bound);
        return bound;
    }

    /** A copy of {@code bootstrap} whose server channel has the {@link AcceptGate} of {@code listenerName}. */
    private ServerBootstrap withGate(ServerBootstrap bootstrap, String listenerName) {
        ConnectionLimits gateLimits = limits;
        int maxConnections = gateLimits.maxConnectionsPerListener().getOrDefault(listenerName, Integer.MAX_VALUE);
        return bootstrap.clone().handler(new ChannelInitializer<ServerChannel>() {
            @Override
            protected void initChannel(ServerChannel ch) {
                ch.pipeline().addLast("accept", new AcceptGate(listenerName, gateLimits.rates(), maxConnections,
                        address -> {
                            IpConnectionQuotas ip = ipQuotas;
                            return ip == null ? ConnectionRates.UNLIMITED : ip.rateFor(address);
                        }, () -> System.nanoTime() / 1_000_000));
            }
        });
    }

    /**
     * The limits on new connections beyond {@link Settings} ({@link ConnectionLimits#none()} when never set);
     * before {@link #start}.
     */
    public void connectionLimits(ConnectionLimits limits) {
        this.limits = limits;
    }

    /** The security audit log failed authentications go to; before {@link #acceptConnections}. */
    public void audit(io.brook.server.security.AuditLog audit) {
        this.audit = audit;
    }

    /** The ip quotas ({@code connection_creation_rate}) of client addresses; before {@link #acceptConnections}. */
    public void ipQuotas(IpConnectionQuotas ipQuotas) {
        this.ipQuotas = ipQuotas;
    }

    /**
     * The byte-rate quotas its connections' requests count against (none when never set); set before
     * {@link #acceptConnections}.
     */
    public void quotas(io.brook.server.quota.RequestQuotas quotas) {
        this.quotas = quotas;
    }

    /**
     * Makes the listener {@code listenerName} share its port with the metadata quorum's transport: connections that
     * do not speak Kafka's protocol are relayed to {@code target}, Ratis's server ({@link QuorumRelay}). Before
     * {@link #start} / {@link #bind} of that listener.
     */
    public void relayQuorum(String listenerName, InetSocketAddress target) {
        quorumRelays.put(listenerName, target);
    }

    /** Makes the listener {@code listenerName} a SASL listener; before {@link #acceptConnections}. */
    public void saslListener(String listenerName, SaslListener sasl) {
        saslListeners.put(listenerName, sasl);
    }

    /** Starts accepting connections once every handler is in place. */
    public void acceptConnections() {
        serverChannel.config().setAutoRead(true);
        serverChannel.read();
        for (Channel channel : extraChannels) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

    public int connectionCount() {
        return connections.get();
    }

    /** Bytes of the node's request memory held by requests in flight now (0 when unbounded). */
    public long requestMemoryInUse() {
        return requestMemory.used();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        extraChannels.forEach(channel -> channel.close().syncUninterruptibly());
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Enforces {@code max.connections} and {@code max.connections.per.ip} (or the address's entry of
     * {@code max.connections.per.ip.overrides}): a connection past them is closed at once.
     */
    private final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
        private InetAddress address;
        private boolean counted;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            int total = connections.incrementAndGet();
            int perIp = connectionsPerIp.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
            counted = true;
            int maxPerIp = limits.maxConnectionsPerIpOverrides().getOrDefault(address,
                    settings.maxConnectionsPerIp());
            if (total > settings.maxConnections() || perIp > maxPerIp) {
                log.info("Refusing a connection from {}: {} connections in all (max.connections={}), {} from this "
                        + "address (max.connections.per.ip={})", address, total, settings.maxConnections(), perIp,
                        maxPerIp);
                ctx.close();
                return;
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (counted) {
                connections.decrementAndGet();
                AtomicInteger perIp = connectionsPerIp.get(address);
                if (perIp != null && perIp.decrementAndGet() == 0) {
                    connectionsPerIp.remove(address, perIp);
                }
            }
            super.channelInactive(ctx);
        }
    }
}
