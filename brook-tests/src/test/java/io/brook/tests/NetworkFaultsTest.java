package io.brook.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault proxy itself ({@link NetworkFaults}): a slow link delays every byte, keeps them in order, and heals. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkFaultsTest {
    private static final long LATENCY_MS = 400;

    @Test
    void aSlowLinkDelaysEveryByteBothWaysInOrderAndHealingMakesItFastAgain() throws Exception {
        try (ServerSocket echo = new ServerSocket()) {
            echo.bind(new InetSocketAddress(NetworkFaults.listenAddress(2), 0));
            Thread server = new Thread(() -> echoOne(echo), "echo");
            server.setDaemon(true);
            server.start();
            int port = echo.getLocalPort();
            // node 1 reaches node 2 (the echo) through its own proxy
            try (NetworkFaults faults = new NetworkFaults(Map.of(1, List.of(), 2, List.of(port)));
                 Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.1.2", port), 5_000);
                socket.setSoTimeout(10_000);
                assertTrue(roundTripMs(socket, "fast") < 2 * LATENCY_MS, "an untouched link adds nothing");

                faults.slow(2, LATENCY_MS);
                long slow = roundTripMs(socket, "slow");
                assertTrue(slow >= 2 * LATENCY_MS, "there and back, " + LATENCY_MS + " ms each way: " + slow + " ms");
                // many small writes at once arrive complete and in order, each late
                OutputStream out = socket.getOutputStream();
                StringBuilder sent = new StringBuilder();
                for (int i = 0; i < 200; i++) {
                    String piece = i + ",";
                    sent.append(piece);
                    out.write(piece.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                byte[] back = new byte[sent.length()];
                new DataInputStream(socket.getInputStream()).readFully(back);
                assertArrayEquals(sent.toString().getBytes(StandardCharsets.UTF_8), back);

                faults.healAll();
                long healed = roundTripMs(socket, "healed");
                assertTrue(healed < 2 * LATENCY_MS, "healed: " + healed + " ms");
            }
        }
    }

    /** Sends {@code text} and reads its echo; returns how long that took. */
    private static long roundTripMs(Socket socket, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        byte[] back = new byte[bytes.length];
        new DataInputStream(socket.getInputStream()).readFully(back);
        assertArrayEquals(bytes, back);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void echoOne(ServerSocket server) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (java.io.IOException closed) {
            // the test is over
        }
    }
}
