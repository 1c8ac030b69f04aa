package io.brook.bench;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.NetworkClientUtils;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;

import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * For the tls rows of side-by-side.sh: opens {@code count} new connections to one broker, one after
 * the other, each doing the whole set-up the listener asks for (TCP, then the TLS handshake and the
 * SASL exchange on a SASL_SSL listener: ApiVersions, SaslHandshake, SaslAuthenticate rounds) and one
 * Metadata request, then closing it. Kafka's own client network layer does the work (one
 * {@link ChannelBuilder}, so the TLS context and the login are built once, as in a client that
 * reconnects), so neither client objects nor threads are created per connection.
 * {@code warmUp} connections first are not counted. Prints {@code connections_per_s}, then the
 * median and 99th percentile of one connection's set-up in milliseconds ({@code setup_p50_ms},
 * {@code setup_p99_ms}).
 *
 * <p>Usage: {@code ConnectionSetupRate <host:port> <client.properties or -> <count> <warmUp>}
 * ({@code -}: PLAINTEXT). Single-threaded.
 */
public final class ConnectionSetupRate {
    private static final long TIMEOUT_MS = 30_000;

    private ConnectionSetupRate() {
    }

    public static void main(String[] args) throws Exception {
        String[] hostPort = args[0].split(":");
        Properties props = new Properties();
        if (!args[1].equals("-")) {
            try (InputStream in = new FileInputStream(args[1])) {
                props.load(in);
            }
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        int count = Integer.parseInt(args[2]);
        int warmUp = Integer.parseInt(args[3]);

        Time time = Time.SYSTEM;
        LogContext logContext = new LogContext("[ConnectionSetupRate] ");
        AdminClientConfig config = new AdminClientConfig(props);
        ChannelBuilder channelBuilder = ClientUtils.createChannelBuilder(config, time, logContext);
        try (Metrics metrics = new Metrics(time);
             NetworkClient client = new NetworkClient(
                     new Selector(TIMEOUT_MS, metrics, time, "setup-rate", channelBuilder, logContext),
                     new ManualMetadataUpdater(), "setup-rate", 1, 0, 0, -1, -1, (int) TIMEOUT_MS,
                     TIMEOUT_MS, TIMEOUT_MS, time, true, new ApiVersions(), logContext,
                     MetadataRecoveryStrategy.NONE)) {
            long[] setupNanos = new long[count];
            for (int i = 0; i < warmUp; i++) {
                connectOnce(client, new Node(i, hostPort[0], Integer.parseInt(hostPort[1])), time);
            }
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                connectOnce(client, new Node(warmUp + i, hostPort[0], Integer.parseInt(hostPort[1])), time);
                setupNanos[i] = System.nanoTime() - t0;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(setupNanos);
            System.out.printf("connections_per_s %.1f%n", count / seconds);
            System.out.printf("setup_p50_ms %.2f%n", setupNanos[count / 2] / 1e6);
            System.out.printf("setup_p99_ms %.2f%n", setupNanos[(int) Math.ceil(count * 0.99) - 1] / 1e6);
        }
    }

    /** A new connection to {@code node} (a node id never used before), made ready, one Metadata round trip, closed. */
    private static void connectOnce(NetworkClient client, Node node, Time time) throws Exception {
        if (!NetworkClientUtils.awaitReady(client, node, time, TIMEOUT_MS)) {
            throw new IllegalStateException("connection " + node.id() + " not ready within " + TIMEOUT_MS + " ms");
        }
        ClientRequest request = client.newClientRequest(node.idString(),
                new MetadataRequest.Builder(List.of(), false), time.milliseconds(), true);
        ClientResponse response = NetworkClientUtils.sendAndReceive(client, request, time);
        if (!(response.responseBody() instanceof MetadataResponse metadata) || metadata.brokers().isEmpty()) {
            throw new IllegalStateException("no brokers in the Metadata response: " + response.responseBody());
        }
        client.close(node.idString());
    }
}
