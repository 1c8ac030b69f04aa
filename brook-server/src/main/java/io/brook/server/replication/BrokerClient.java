package io.brook.server.replication;

import io.brook.server.config.BrokerConfig;
import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.NetworkClientUtils;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.ChannelBuilders;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.NetworkReceive;
import org.apache.kafka.common.network.Selectable;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blocking Kafka-protocol client to one other broker's inter-broker endpoint, for a replica fetcher or the
 * transaction coordinator's marker sender: built on kafka-clients' own {@link NetworkClient} and {@link Selector}
 * as Kafka's brokers build theirs (a {@link ManualMetadataUpdater} that knows just that broker, one request in
 * flight, ApiVersions negotiated on every new connection so each request goes out at the newest version both
 * sides speak).
 *
 * <p>It connects lazily, on the first {@link #send}. Any failure (the connection refused or lost, the bound of
 * a send passed, authentication refused) is an {@link IOException} naming the broker's id and address, and
 * drops the connection, so the next send connects again. There is no reconnect backoff
 * ({@link #RECONNECT_BACKOFF_MS}): the caller owns the pace of retries, as Kafka's fetcher does with
 * {@code replica.fetch.backoff.ms}.
 *
 * <p>Thread-safety: made for one dedicated (never a Netty event loop) thread that sends; sends from several
 * threads are serialized. {@link #close} may be called from any thread: it wakes a blocked send, which then
 * throws (interrupting the sending thread does not end a send: close the client). No thread of its own: the
 * caller's thread runs the selector.
 */
public final class BrokerClient implements BrokerLink {
    /** Kafka's replica fetcher keeps one request in flight per connection. */
    static final int MAX_IN_FLIGHT = 1;
    /** No backoff between connection attempts here: the caller waits between failed sends. */
    static final long RECONNECT_BACKOFF_MS = 0;
    /** How long {@link #close} waits for a woken send to let go of the connection before leaving it to it. */
    static final long CLOSE_WAIT_MS = 5_000;
    /** The largest response read, as Kafka's replica fetcher: unbounded (a fetch's size is bounded by the request). */
    static final int MAX_RECEIVE_BYTES = NetworkReceive.UNLIMITED;
    /** How far past a send's deadline it waits for the network client to fail the request itself. */
    static final long DEADLINE_GRACE_MS = 100;

    private final Node node;
    private final String description;
    private final Metrics metrics;
    private final NetworkClient client;
    private final Time time;
    private final long defaultTimeoutMs;
    /** Held by the thread running a send; close takes it to release the selector. */
    private final ReentrantLock sending = new ReentrantLock();
    private volatile boolean closed;
    /** Guarded by {@link #sending}. */
    private boolean released;

    private BrokerClient(Node node, NetworkClient client, Metrics metrics, Time time, long defaultTimeoutMs) {
        this.node = node;
        this.description = "broker " + node.id() + " (" + node.host() + ":" + node.port() + ")";
        this.client = client;
        this.metrics = metrics;
        this.time = time;
        this.defaultTimeoutMs = defaultTimeoutMs;
    }

    /**
     * Sends {@code request} to the broker and waits for its response, at most {@code timeoutMs} in all
     * (connecting, authenticating and the ApiVersions exchange of a new connection included).
     *
     * @throws IOException the connection could not be made or was lost, the time ran out, or the client was
     *                     closed; the connection is dropped and the next send makes a new one
     * @throws UnsupportedVersionException the broker does not speak any version of the request this client does
     */
    public <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request, long timeoutMs) throws IOException {
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("timeoutMs must be positive, not " + timeoutMs);
        }
        sending.lock();
        try {
            if (closed) {
                throw new IOException("the client to " + description + " is closed");
            }
            long start = time.milliseconds();
            boolean ready = false;
            try {
                if (!NetworkClientUtils.awaitReady(client, node, time, timeoutMs)) {
                    throw new SocketTimeoutException("no connection to " + description + " within " + timeoutMs
                            + " ms (connecting, authenticating or the ApiVersions exchange did not finish)");
                }
                ready = true;
                ClientResponse response = sendAndReceive(request, start + timeoutMs, timeoutMs);
                @SuppressWarnings("unchecked")
                R body = (R) response.responseBody();
                return body;
            } catch (UnsupportedVersionException e) {
                throw e;
            } catch (IOException | KafkaException e) {
                throw failure(e, ready, start, timeoutMs);
            }
        } finally {
            if (closed) {
                release();
            }
            sending.unlock();
        }
    }

    /**
     * Sends the request and polls until its response, a disconnection, or {@code deadlineMs}. Not
     * {@link NetworkClientUtils#sendAndReceive}: that polls without a bound of its own, so the request's own
     * timeout would be noticed only when the client's default one ({@code replica.socket.timeout.ms}) had passed.
     */
    private ClientResponse sendAndReceive(AbstractRequest.Builder<?> request, long deadlineMs, long boundMs)
            throws IOException {
        long now = time.milliseconds();
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, Math.max(1, deadlineMs - now));
        ClientRequest clientRequest = client.newClientRequest(node.idString(), request, now, true, timeoutMs, null);
        client.send(clientRequest, now);
        while (true) {
            now = time.milliseconds();
            if (now >= deadlineMs + DEADLINE_GRACE_MS) { // the client fails a timed-out request itself first
                throw new SocketTimeoutException("no response from " + description + " within " + boundMs + " ms");
            }
            for (ClientResponse response : client.poll(Math.max(1, deadlineMs - now), now)) { // closed: throws
                if (response.requestHeader().correlationId() == clientRequest.correlationId()) {
                    if (response.wasDisconnected()) {
                        throw new IOException("disconnected before the response was read");
                    }
                    if (response.versionMismatch() != null) {
                        throw response.versionMismatch();
                    }
                    return response;
                }
            }
        }
    }

    /** {@link #send(AbstractRequest.Builder, long)} bounded by {@code replica.socket.timeout.ms}. */
    public <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request) throws IOException {
        return send(request, defaultTimeoutMs);
    }

    /** The broker this client sends to. */
    public Node node() {
        return node;
    }

    /**
     * Drops the connection and says what happened in one line naming the broker; {@code ready}: whether the
     * connection was made (else it failed while connecting).
     */
    private IOException failure(Exception cause, boolean ready, long start, long timeoutMs) {
        if (!closed) {
            client.close(node.idString()); // the next send connects again, without any backoff
        }
        String what;
        if (closed) {
            what = "the client to " + description + " was closed during the request";
        } else if (cause instanceof AuthenticationException) {
            what = "authentication to " + description + " failed: " + cause.getMessage();
        } else if (cause instanceof SocketTimeoutException) {
            what = cause.getMessage();
        } else if (time.milliseconds() - start >= timeoutMs) {
            what = "no response from " + description + " within " + timeoutMs + " ms";
        } else if (!ready) {
            what = "could not connect to " + description + ": refused, unreachable or closed before it was ready";
        } else {
            what = "the connection to " + description + " was lost before the response was read";
        }
        IOException e = cause instanceof SocketTimeoutException && !closed ? new SocketTimeoutException(what)
                : new IOException(what);
        e.initCause(cause);
        return e;
    }

    /** Closes the connection; a send blocked on another thread wakes up and throws an {@link IOException}. */
    @Override
    public void close() {
        closed = true;
        client.initiateClose(); // wakes the selector; the sender's next poll sees the client closing
        boolean locked = false;
        try {
            locked = sending.tryLock(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (locked) {
            try {
                release();
            } finally {
                sending.unlock();
            }
        } // else the send still running releases it when it returns
    }

    /** Closes the selector, its connection and the metrics once; called holding {@link #sending}. */
    private void release() {
        if (!released) {
            released = true;
            Utils.closeQuietly(client, "network client to " + description);
            Utils.closeQuietly(metrics, "metrics of the client to " + description);
        }
    }

    @Override
    public String toString() {
        return "BrokerClient(" + description + ")";
    }

    /**
     * Makes clients for this node's connections to other brokers: knows its inter-broker listener, security and
     * limits ({@link InterBrokerSettings}); builds one channel builder per client (its TLS context or SASL login).
     * Thread-safe; immutable.
     */
    public static final class Factory {
        private final InterBrokerSettings settings;
        private final Time time;

        /**
         * Refuses at once, with a {@link ConfigException} naming the key, what the inter-broker client cannot do,
         * and key or trust material it cannot load or a SASL login it cannot make (by building one channel).
         */
        public Factory(BrokerConfig config) {
            this(InterBrokerSettings.from(config), Time.SYSTEM);
        }

        public Factory(InterBrokerSettings settings, Time time) {
            this.settings = settings;
            this.time = time;
            try {
                channelBuilder(new LogContext()).close();
            } catch (KafkaException | IllegalArgumentException e) {
                throw new ConfigException("inter.broker.listener.name", settings.listenerName(), "this node cannot "
                        + "connect to other brokers over it: " + e.getMessage());
            }
        }

        public InterBrokerSettings settings() {
            return settings;
        }

        /**
         * A client to the broker {@code remoteNodeId} at its inter-broker endpoint; no connection is made until
         * the first send. {@code clientId} is what the broker's request log shows (Kafka: broker-1-fetcher-0).
         */
        public BrokerClient connect(int remoteNodeId, String host, int port, String clientId) {
            Node node = new Node(remoteNodeId, host, port);
            LogContext logContext = new LogContext("[BrokerClient node=" + settings.nodeId() + " to=" + remoteNodeId
                    + "] ");
            Metrics metrics = new Metrics(time);
            Selector selector = null;
            try {
                ChannelBuilder channels = channelBuilder(logContext);
                selector = new Selector(MAX_RECEIVE_BYTES, settings.connectionsMaxIdleMs(), metrics, time,
                        "broker-client", Map.of("broker-id", String.valueOf(remoteNodeId), "client-id", clientId),
                        false, channels, logContext);
                NetworkClient client = new NetworkClient(selector, new ManualMetadataUpdater(List.of(node)), clientId,
                        MAX_IN_FLIGHT, RECONNECT_BACKOFF_MS, RECONNECT_BACKOFF_MS, Selectable.USE_DEFAULT_BUFFER_SIZE,
                        settings.receiveBufferBytes(), settings.socketTimeoutMs(), settings.connectionSetupTimeoutMs(),
                        settings.connectionSetupTimeoutMaxMs(), time, true, new ApiVersions(), logContext,
                        MetadataRecoveryStrategy.NONE);
                return new BrokerClient(node, client, metrics, time, settings.socketTimeoutMs());
            } catch (RuntimeException e) {
                Utils.closeQuietly(selector, "selector");
                Utils.closeQuietly(metrics, "metrics");
                throw e;
            }
        }

        private ChannelBuilder channelBuilder(LogContext logContext) {
            SecurityProtocol protocol = settings.securityProtocol();
            Map<String, Object> props = new HashMap<>(settings.clientProperties());
            props.put("security.protocol", protocol.name);
            ConfigDef def = new ConfigDef().withClientSslSupport().withClientSaslSupport()
                    .define("security.protocol", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "protocol");
            AbstractConfig config = new AbstractConfig(def, props, false);
            return ChannelBuilders.clientChannelBuilder(protocol, JaasContext.Type.CLIENT, config,
                    ListenerName.normalised(settings.listenerName()), settings.saslMechanism(), time, logContext);
        }
    }
}
