package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection-creation limits on one node process (issue 20): with {@code max.connection.creation.rate=5}
 * (KIP-402), 20 connections opened at once are served at that pace, about 4 s for all, while a connection opened
 * before keeps being answered at once; an ip quota ({@code connection_creation_rate} of {@code ip=127.0.0.1},
 * KIP-612) set with the admin client refuses the connections from that address over it (closed unserved after
 * their throttle time) until it is removed; {@code kafka-configs --entity-type ips} sets and describes the default
 * ip quota. Timing bounds are generous: the machine may be loaded.
 */
@Timeout(300)
class ConnectionRateTest {
    /** {@code max.connection.creation.rate} of the node. */
    private static final int NODE_RATE = 5;
    private static final int CONNECTIONS = 20;
    /** The ip quota of 127.0.0.1, connections per second. */
    private static final int IP_RATE = 2;
    private static final int IP_BURST = 10;

    @TempDir
    File dataDir;

    @Test
    @Compat({"Java 4.3.1: ip connection_creation_rate quota (alterClientQuotas/describeClientQuotas)",
            "Kafka tools 4.3.1: kafka-configs --entity-type ips"})
    void connectionsComeAtTheNodeRateAndAnAddressOverItsQuotaIsClosedUnserved() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of("listeners", "PLAINTEXT://127.0.0.1:0",
                "max.connection.creation.rate", String.valueOf(NODE_RATE)))) {
            String address = "127.0.0.1:" + brook.bootstrap().substring(brook.bootstrap().lastIndexOf(':') + 1);
            try (Admin admin = brook.admin()) {
                ipQuotaRefusesConnectionsOverIt(admin, address);
            }
            // the node rate is measured over quota.window.num x quota.window.size.seconds (11 s): let the
            // connections above leave it, so the next ones meet the node rate alone
            Thread.sleep(12_000);
            try (RawConnection existing = new RawConnection(address)) {
                apiVersions(existing);
                connectionsAtTheNodeRate(address, existing);
            }
            // the tool's own connections come from 127.0.0.1 too: it runs once no ip quota is left
            String bootstrap = brook.bootstrap();
            KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--alter",
                    "--add-config", "connection_creation_rate=100", "--entity-type", "ips", "--entity-default");
            String described = KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap,
                    "--describe", "--entity-type", "ips", "--entity-default");
            assertTrue(described.contains("connection_creation_rate=100"), described);
        }
    }

    /**
     * {@value #CONNECTIONS} connections opened at once, each answering one ApiVersions: the node accepts
     * {@value #NODE_RATE} per second, so the last is answered about {@value #CONNECTIONS} / {@value #NODE_RATE} s
     * later; meanwhile {@code existing} is answered at once, again and again.
     */
    private static void connectionsAtTheNodeRate(String address, RawConnection existing) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
        List<RawConnection> opened = new ArrayList<>();
        try {
            long start = System.nanoTime();
            List<Future<Long>> answered = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                answered.add(pool.submit(() -> {
                    RawConnection raw = new RawConnection(address);
                    synchronized (opened) {
                        opened.add(raw);
                    }
                    apiVersions(raw);
                    return System.nanoTime();
                }));
            }
            // the connection opened before is served throughout
            int roundTrips = 0;
            long slowestMs = 0;
            while (!answered.stream().allMatch(Future::isDone)) {
                long sent = System.nanoTime();
                apiVersions(existing);
                slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
                roundTrips++;
                Thread.sleep(50);
                if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(60)) {
                    break;
                }
            }
            long last = 0;
            for (Future<Long> f : answered) {
                last = Math.max(last, f.get(60, TimeUnit.SECONDS));
            }
            long tookMs = TimeUnit.NANOSECONDS.toMillis(last - start);
            System.out.printf("connection rate test: %d connections at max.connection.creation.rate=%d answered in "
                    + "%d ms; the existing connection made %d round trips meanwhile, the slowest %d ms%n",
                    CONNECTIONS, NODE_RATE, tookMs, roundTrips, slowestMs);
            // 20 at 5 per second: about 4 s (the first 5 at once); never all at once, nor stuck
            assertTrue(tookMs >= 2_500, "20 connections at 5 per second were all served within " + tookMs + " ms");
            assertTrue(tookMs < 30_000, "20 connections at 5 per second took " + tookMs + " ms");
            assertTrue(roundTrips >= 5, "the existing connection made only " + roundTrips + " round trips in "
                    + tookMs + " ms");
            assertTrue(slowestMs < 2_000, "the existing connection waited " + slowestMs + " ms for an answer");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
            for (RawConnection raw : opened) {
                raw.close();
            }
        }
    }

    /**
     * With {@code connection_creation_rate} {@value #IP_RATE} on {@code ip=127.0.0.1}, of {@value #IP_BURST}
     * connections opened at once only about {@value #IP_RATE} are served, the others are closed without an answer
     * (after at most one quota window); the admin client's own connection, opened before, keeps working. Once the
     * quota is removed they are all served again.
     */
    private static void ipQuotaRefusesConnectionsOverIt(Admin admin, String address) throws Exception {
        ClientQuotaEntity local = new ClientQuotaEntity(Map.of(ClientQuotaEntity.IP, "127.0.0.1"));
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(local, List.of(new ClientQuotaAlteration.Op(
                "connection_creation_rate", (double) IP_RATE))))).all().get(30, TimeUnit.SECONDS);
        awaitIpQuotas(admin, Map.of(local, Map.of("connection_creation_rate", (double) IP_RATE)));

        int[] outcome = burst(address);
        System.out.printf("connection rate test: with connection_creation_rate=%d on 127.0.0.1, %d of %d "
                + "connections served, %d closed unserved%n", IP_RATE, outcome[0], IP_BURST, outcome[1]);
        assertTrue(outcome[0] >= 1 && outcome[0] <= IP_RATE + 2, "served: " + outcome[0]);
        assertEquals(IP_BURST, outcome[0] + outcome[1], "every connection is served or closed");
        // the admin client's connection, opened before, still works
        assertEquals(1, admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get(30, TimeUnit.SECONDS)
                .size());

        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(local, List.of(new ClientQuotaAlteration.Op(
                "connection_creation_rate", null))))).all().get(30, TimeUnit.SECONDS);
        awaitIpQuotas(admin, Map.of());
        int[] freed = burst(address);
        assertEquals(IP_BURST, freed[0], "without the ip quota every connection is served: " + freed[1] + " closed");
    }

    /** Waits until the node describes the quotas of ip 127.0.0.1 as {@code expected} (its image has them). */
    private static void awaitIpQuotas(Admin admin, Map<ClientQuotaEntity, Map<String, Double>> expected)
            throws Exception {
        ClientQuotaFilter filter = ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity(
                ClientQuotaEntity.IP, "127.0.0.1")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<ClientQuotaEntity, Map<String, Double>> described;
        while (!(described = admin.describeClientQuotas(filter).entities().get(30, TimeUnit.SECONDS))
                .equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(expected, described);
    }

    /** Opens {@value #IP_BURST} connections at once; returns how many were served and how many closed unserved. */
    private static int[] burst(String address) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(IP_BURST);
        try {
            List<Future<Boolean>> served = new ArrayList<>();
            for (int i = 0; i < IP_BURST; i++) {
                served.add(pool.submit(() -> {
                    try (RawConnection raw = new RawConnection(address)) {
                        apiVersions(raw);
                        return true;
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("a connection was neither served nor closed within 10 s", e);
                    } catch (IOException closed) { // EOF or reset: closed by the node without an answer
                        return false;
                    }
                }));
            }
            int[] outcome = new int[2];
            for (Future<Boolean> f : served) {
                outcome[f.get(60, TimeUnit.SECONDS) ? 0 : 1]++;
            }
            return outcome;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    private static void apiVersions(RawConnection raw) throws IOException {
        ApiVersionsResponseData response = (ApiVersionsResponseData) raw.call(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
        assertEquals(Errors.NONE.code(), response.errorCode());
    }
}
