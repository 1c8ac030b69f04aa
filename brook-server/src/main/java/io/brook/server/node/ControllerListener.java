package io.brook.server.node;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.ApiRegistry;
import io.brook.server.config.BrokerConfig;
import io.brook.server.network.NetworkServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A controller's controller listener (KRaft's {@code controller.listener.names}): one port that serves both the
 * metadata quorum's transport (Ratis, relayed to its own server on a loopback port) and Kafka's protocol for the
 * requests Kafka sends to controllers: an admin client with {@code bootstrap.controllers} ({@code
 * kafka-metadata-quorum --bootstrap-controller}: ApiVersions, DescribeCluster, DescribeQuorum, AddRaftVoter,
 * RemoveRaftVoter). Bound before the quorum starts, since the other voters reach this voter's Ratis through it.
 *
 * <p>Its requests run on a small pool of their own ({@link #REQUEST_THREADS}): the controller-only node has no
 * broker request handlers, and admin requests must not wait behind a broker's produce traffic.
 *
 * <p>Thread-safety: {@link #register} before requests for the API arrive (an API not registered yet is not
 * advertised in ApiVersions); {@link #close} once.
 */
final class ControllerListener implements AutoCloseable {
    /** Threads answering the controller listener's Kafka requests: admin requests only, each short. */
    static final int REQUEST_THREADS = 2;
    /** Requests queued for those threads at most; more are refused by closing the connection. */
    private static final int MAX_QUEUED_REQUESTS = 1_000;

    private final NetworkServer network;
    private final ApiRegistry registry;
    private final ExecutorService executor;
    private final InetSocketAddress ratisAddress;

    private ControllerListener(NetworkServer network, ApiRegistry registry, ExecutorService executor,
                               InetSocketAddress ratisAddress) {
        this.network = network;
        this.registry = registry;
        this.executor = executor;
        this.ratisAddress = ratisAddress;
    }

    /**
     * Binds the controller listener and accepts connections at once; Ratis's own server is to bind {@link
     * #ratisAddress()}. Fails with one line when the port is taken.
     */
    static ControllerListener start(BrokerConfig config, BrokerConfig.Listener listener) throws IOException {
        InetSocketAddress ratis = new InetSocketAddress(InetAddress.getLoopbackAddress(), freeLoopbackPort());
        NetworkServer network = new NetworkServer(new NetworkServer.Settings(listener.bindHost(), listener.port(),
                config.getInt("socket.request.max.bytes"), config.getLong("connections.max.idle.ms"),
                Integer.MAX_VALUE, Integer.MAX_VALUE, 1, NetworkServer.defaultQueuedMaxRequestBytes(),
                NetworkServer.DEFAULT_WRITE_BUFFER_BYTES, config.getInt("socket.send.buffer.bytes"),
                config.getInt("socket.receive.buffer.bytes")));
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = new ThreadPoolExecutor(REQUEST_THREADS, REQUEST_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(MAX_QUEUED_REQUESTS), r -> {
                    Thread t = new Thread(r, "brook-controller-request-" + threads.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                });
        ApiRegistry registry = new ApiRegistry();
        network.relayQuorum(listener.name(), ratis);
        try {
            network.start(registry, executor, listener.name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            network.close();
            executor.shutdownNow();
            throw new IOException("interrupted while binding the controller listener", e);
        } catch (Exception e) { // Netty rethrows the BindException unchecked-style
            network.close();
            executor.shutdownNow();
            throw new IOException("metadata quorum node " + config.nodeId() + " cannot listen on "
                    + listener.bindHost() + ":" + listener.port() + " (its controller listener): " + e.getMessage(), e);
        }
        network.acceptConnections();
        return new ControllerListener(network, registry, executor, ratis);
    }

    /** Where Ratis's server is to listen: the listener relays the quorum's connections there. */
    InetSocketAddress ratisAddress() {
        return ratisAddress;
    }

    ControllerListener register(ApiHandler<?> handler) {
        registry.register(handler);
        return this;
    }

    ApiRegistry registry() {
        return registry;
    }

    /** A loopback port free now, for Ratis's server (which binds it right after). */
    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    @Override
    public void close() {
        network.close();
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
