package io.brook.server.network;

import io.brook.server.quota.ConnectionRates;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The accepting side of the connection limits on an embedded "server channel" whose messages are new connections,
 * over a fake clock: what is handed on to be served, when, and whether the listener keeps accepting.
 */
@Timeout(30)
class AcceptGateTest {
    private static final String LISTENER = "PLAINTEXT";

    /** A new connection from {@code address}. */
    private static final class Child extends EmbeddedChannel {
        private final InetSocketAddress remote;

        Child(String address) throws Exception {
            this.remote = new InetSocketAddress(InetAddress.getByName(address), 40000);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return remote;
        }
    }

    private final AtomicLong clock = new AtomicLong(1_000_000);

    private EmbeddedChannel server(ConnectionRates rates, int maxConnections, double addressRate) {
        EmbeddedChannel server = new EmbeddedChannel(new AcceptGate(LISTENER, rates, maxConnections,
                address -> address.getHostAddress().equals("10.0.0.9") ? addressRate : ConnectionRates.UNLIMITED,
                clock::get));
        server.freezeTime();
        return server;
    }

    private void advance(EmbeddedChannel server, long ms) {
        clock.addAndGet(ms);
        server.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        server.runScheduledPendingTasks();
        server.runPendingTasks();
    }

    @Test
    void overTheRateAConnectionWaitsItsThrottleTimeAndTheListenerStopsAccepting() throws Exception {
        EmbeddedChannel server = server(new ConnectionRates(2, Map.of(), null, 11, 1000), Integer.MAX_VALUE,
                ConnectionRates.UNLIMITED);
        Child[] children = new Child[4];
        for (int i = 0; i < children.length; i++) {
            children[i] = new Child("10.0.0.1");
            server.writeInbound(children[i]);
        }
        assertSame(children[0], server.readInbound());
        assertSame(children[1], server.readInbound());
        assertNull(server.readInbound(), "the third is over 2 per second: it waits");
        assertFalse(server.config().isAutoRead(), "and the listener accepts nothing meanwhile");
        assertTrue(children[2].isOpen(), "waiting, not refused");
        advance(server, 999);
        assertNull(server.readInbound());
        advance(server, 1);
        assertSame(children[2], server.readInbound(), "served after its throttle time (at most one sample)");
        assertNull(server.readInbound(), "the fourth waits its own turn");
        advance(server, 2000);
        assertSame(children[3], server.readInbound());
        assertTrue(server.config().isAutoRead(), "nothing waits any more: accepting again");
    }

    @Test
    void aFullListenerWaitsForOneOfItsConnectionsToClose() throws Exception {
        EmbeddedChannel server = server(ConnectionRates.unlimited(), 2, ConnectionRates.UNLIMITED);
        Child first = new Child("10.0.0.1");
        Child second = new Child("10.0.0.2");
        Child third = new Child("10.0.0.3");
        server.writeInbound(first);
        server.writeInbound(second);
        server.writeInbound(third);
        assertSame(first, server.readInbound());
        assertSame(second, server.readInbound());
        assertNull(server.readInbound());
        assertFalse(server.config().isAutoRead());
        assertTrue(third.isOpen());
        first.close();
        server.runPendingTasks();
        assertSame(third, server.readInbound(), "a slot came free");
        assertTrue(server.config().isAutoRead());
    }

    @Test
    void aConnectionOverItsAddressRateIsClosedUnservedAfterItsThrottleTime() throws Exception {
        EmbeddedChannel server = server(ConnectionRates.unlimited(), Integer.MAX_VALUE, 1);
        Child first = new Child("10.0.0.9");
        Child second = new Child("10.0.0.9");
        Child other = new Child("10.0.0.1");
        server.writeInbound(first);
        server.writeInbound(second);
        server.writeInbound(other);
        assertSame(first, server.readInbound());
        assertSame(other, server.readInbound(), "another address is not held up");
        assertNull(server.readInbound(), "the second from 10.0.0.9 is not served");
        assertTrue(server.config().isAutoRead(), "the listener keeps accepting");
        assertTrue(second.isOpen(), "closed only after its throttle time, as Kafka does");
        advance(server, 1000);
        assertFalse(second.isOpen());
        assertNull(server.readInbound());
    }

    @Test
    void aStoppedListenerClosesWhatWaits() throws Exception {
        EmbeddedChannel server = server(new ConnectionRates(1, Map.of(), null, 11, 1000), Integer.MAX_VALUE,
                ConnectionRates.UNLIMITED);
        Channel first = new Child("10.0.0.1");
        Child waiting = new Child("10.0.0.1");
        Child queued = new Child("10.0.0.1");
        server.writeInbound(first);
        server.writeInbound(waiting);
        server.writeInbound(queued);
        assertSame(first, server.readInbound());
        server.close();
        assertFalse(queued.isOpen());
        assertFalse(waiting.isOpen(), "the connection held for its throttle time is closed, not served");
        assertEquals(0, server.inboundMessages().size());
    }
}
