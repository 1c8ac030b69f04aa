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

    /** Fails fast, with the usual one-line hint, when nothing listens at the first bootstrap address. */
    void requireReachable() {
        String first = bootstrapServer.split(",")[0].trim();
        int colon = first.lastIndexOf(':');
        String host = colon > 0 ? first.substring(0, colon) : first;
        int port;
        try {
            port = Integer.parseInt(first.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new ErrorReporter.UsageError("--bootstrap-server takes HOST:PORT, got '" + bootstrapServer + "'");
        }
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(host, port), CONNECT_PROBE_MS);
        } catch (IOException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("cannot connect to " + first);
        }
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
