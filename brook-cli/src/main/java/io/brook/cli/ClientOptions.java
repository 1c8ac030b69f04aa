package io.brook.cli;

import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Properties;

/** Options every client command shares: where the server is and extra client properties. */
final class ClientOptions {
    /** How long a command waits for the server before it says it cannot reach it. */
    static final int API_TIMEOUT_MS = 10_000;
    /** How long the reachability probe waits for a TCP connection. */
    static final int CONNECT_PROBE_MS = 3_000;

    @Option(names = "--bootstrap-server", paramLabel = "HOST:PORT", defaultValue = "localhost:9092",
            description = "Server to connect to (default: ${DEFAULT-VALUE}).")
    String bootstrapServer;

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "A properties file with client settings (TLS, SASL, timeouts, ...).")
    File commandConfig;

    @Option(names = "--verbose", description = "Print the full error (stack trace) when a command fails.")
    boolean verbose;

    /**
     * Fails fast, with the usual one-line hint, when nothing listens at any of the bootstrap addresses (a list may
     * name brokers that are down, as for any Kafka client: one that answers is enough).
     */
    void requireReachable() {
        for (String address : bootstrapServer.split(",")) {
            String hostPort = address.trim();
            int colon = hostPort.lastIndexOf(':');
            String host = colon > 0 ? hostPort.substring(0, colon) : hostPort;
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new ErrorReporter.UsageError("--bootstrap-server takes HOST:PORT[,HOST:PORT...], got '"
                        + bootstrapServer + "'");
            }
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), CONNECT_PROBE_MS);
                return;
            } catch (IOException e) {
                // the next one may answer
            }
        }
        throw new org.apache.kafka.common.errors.TimeoutException("cannot connect to " + bootstrapServer);
    }

    Properties properties() throws IOException {
        requireReachable();
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServer);
        props.put("default.api.timeout.ms", String.valueOf(API_TIMEOUT_MS));
        props.put("request.timeout.ms", String.valueOf(API_TIMEOUT_MS));
        if (commandConfig != null) {
            try (Reader reader = Files.newBufferedReader(commandConfig.toPath(), StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IOException e) {
                throw new ErrorReporter.UsageError("cannot read --command-config " + commandConfig + " ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
        return props;
    }
}
