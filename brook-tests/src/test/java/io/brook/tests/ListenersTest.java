package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A node with several listeners ({@code bin/brook server}): every broker listener serves Kafka clients and
 * tells them its own advertised address (as Kafka answers per listener), the controller listener (the
 * single-node quorum's own voter entry) is left to the quorum's transport and not bound by the Kafka-protocol
 * server.
 */
class ListenersTest {
    @TempDir
    File dataDir;
    BrookFixture brook;

    @AfterEach
    void stop() throws Exception {
        if (brook != null) {
            brook.close();
        }
    }

    /** A port free at the moment (the server binds it right after; a clash fails the start, not silently). */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void everyBrokerListenerServesAndTheControllerListenerIsNotBound() throws Exception {
        int internal = freePort();
        int controller = freePort();
        brook = new BrookFixture(dataDir, Map.of(
                "listeners", "PLAINTEXT://localhost:0,INTERNAL://localhost:" + internal
                        + ",CONTROLLER://localhost:" + controller,
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names", "CONTROLLER",
                "controller.quorum.voters", "1@localhost:" + controller,
                "advertised.listeners", "INTERNAL://127.0.0.1:" + internal,
                "inter.broker.listener.name", "INTERNAL"));
        Map<String, String> advertisedOn = Map.of(brook.bootstrap(), brook.bootstrap(),
                "localhost:" + internal, "127.0.0.1:" + internal);
        for (Map.Entry<String, String> listener : advertisedOn.entrySet()) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, listener.getKey(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
                DescribeClusterResult cluster = admin.describeCluster();
                assertEquals(brook.clusterId(), cluster.clusterId().get(30, TimeUnit.SECONDS),
                        "served on " + listener.getKey());
                Node node = cluster.nodes().get(30, TimeUnit.SECONDS).iterator().next();
                assertEquals(listener.getValue(), node.host() + ":" + node.port(),
                        "the address of the listener the client came in on");
            }
        }
        try (Socket socket = new Socket()) {
            assertThrows(ConnectException.class, () -> socket.connect(
                    new InetSocketAddress("localhost", controller), 5_000), "the controller listener is not bound");
        }
    }
}
