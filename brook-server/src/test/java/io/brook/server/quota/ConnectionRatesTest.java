package io.brook.server.quota;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ConnectionRatesTest {
    private static final long START = 1_000_000;
    private static final InetAddress A = address(10, 0, 0, 1);
    private static final InetAddress B = address(10, 0, 0, 2);

    private static InetAddress address(int... bytes) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) bytes[0], (byte) bytes[1], (byte) bytes[2],
                    (byte) bytes[3]});
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** When the listener has accepted {@code count} connections arriving all at once at START, as the network does. */
    private static long acceptAll(ConnectionRates rates, String listener, int count) {
        long now = START;
        for (int i = 0; i < count; i++) {
            now += rates.recordAccept(listener, now);
        }
        return now;
    }

    @Test
    void overTheNodeRateAcceptingWaitsSoConnectionsComeAtTheRate() {
        ConnectionRates rates = new ConnectionRates(5, Map.of(), null, 11, 1000);
        // five at once are within 5 per second; from the sixth on, each waits its turn: 20 take 20 / 5 = 4 s
        long now = START;
        for (int i = 0; i < 5; i++) {
            assertEquals(0, rates.recordAccept("PLAINTEXT", now));
        }
        assertEquals(1000, rates.recordAccept("PLAINTEXT", now), "the sixth waits, at most one sample");
        assertEquals(START + 4000, acceptAll(new ConnectionRates(5, Map.of(), null, 11, 1000), "PLAINTEXT", 20));
        // once the window has passed, the rate is free again
        long later = START + 12_000;
        for (int i = 0; i < 5; i++) {
            assertEquals(0, rates.recordAccept("PLAINTEXT", later));
        }
    }

    @Test
    void aListenerRateLimitsThatListenerOnlyAndTheNodeRateSparesTheProtectedListener() {
        ConnectionRates rates = new ConnectionRates(ConnectionRates.UNLIMITED, Map.of("CLIENTS", 2), null, 11, 1000);
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        assertTrue(rates.recordAccept("CLIENTS", START) > 0);
        for (int i = 0; i < 50; i++) {
            assertEquals(0, rates.recordAccept("OTHER", START), "no rate on OTHER");
        }

        ConnectionRates node = new ConnectionRates(1, Map.of(), "REPLICATION", 11, 1000);
        for (int i = 0; i < 5; i++) {
            assertEquals(0, node.recordAccept("REPLICATION", START), "the inter-broker listener is not counted");
        }
        assertEquals(0, node.recordAccept("CLIENTS", START));
        assertEquals(1000, node.recordAccept("CLIENTS", START));
        // the longer of the node's and the listener's throttle applies
        ConnectionRates both = new ConnectionRates(10, Map.of("CLIENTS", 1), null, 11, 1000);
        assertEquals(0, both.recordAccept("CLIENTS", START));
        assertEquals(1000, both.recordAccept("CLIENTS", START));
    }

    @Test
    void anAddressOverItsRateIsRefusedAndTakenBackOutOfEveryRate() {
        ConnectionRates rates = new ConnectionRates(3, Map.of("CLIENTS", 3), null, 11, 1000);
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        assertEquals(0, rates.recordAddress("CLIENTS", A, 1, START));
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        long throttle = rates.recordAddress("CLIENTS", A, 1, START);
        assertTrue(throttle > 0 && throttle <= 1000, "throttle " + throttle);
        // the refused one was taken back out of the node's and the listener's rate: two more fit in 3 per second
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        assertEquals(0, rates.recordAddress("CLIENTS", B, 1, START), "B has its own rate");
        assertEquals(0, rates.recordAccept("CLIENTS", START));
        assertEquals(0, rates.recordAddress("CLIENTS", address(10, 0, 0, 3), ConnectionRates.UNLIMITED, START));
        assertTrue(rates.recordAccept("CLIENTS", START) > 0, "the fourth served connection is over 3 per second");
        // and out of the address's own: two seconds on, A is within one per second again (else 3 in 2 s)
        assertEquals(0, rates.recordAddress("CLIENTS", A, 1, START + 2000));
    }

    @Test
    void addressRatesAreNotTrackedWithoutAQuotaAndDroppedWhenIdle() {
        ConnectionRates rates = new ConnectionRates(ConnectionRates.UNLIMITED, Map.of(), null, 11, 1000);
        for (int i = 0; i < 100; i++) {
            assertEquals(0, rates.recordAddress("L", A, ConnectionRates.UNLIMITED, START));
        }
        assertEquals(0, rates.trackedAddresses());
        rates.recordAddress("L", A, 10, START);
        rates.recordAddress("L", B, 10, START);
        assertEquals(2, rates.trackedAddresses());
        rates.recordAddress("L", B, 10, START + 5000);
        rates.recordAddress("L", B, 10, START + 11_500);
        assertEquals(1, rates.trackedAddresses(), "A was idle for a whole window");
    }
}
