package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
 * A node with several listeners ({@code bin/brook server}): every broker listener serves Kafka clients, the
 * controller listener (the single-node quorum's own voter entry) is left to the quorum's transport and not
 * bound by the Kafka-protocol server.
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
                "inter.broker.listener.name", "INTERNAL"));
        for (String bootstrap : List.of(brook.bootstrap(), "localhost:" + internal)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
                assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS),
                        "served on " + bootstrap);
            }
        }
        try (Socket socket = new Socket()) {
            assertThrows(ConnectException.class, () -> socket.connect(
                    new InetSocketAddress("localhost", controller), 5_000), "the controller listener is not bound");
        }
    }
}
