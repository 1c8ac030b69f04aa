package io.brook.server.quota;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Kafka's connection-creation rate limits, decided over a clock the caller passes (no I/O, no timers):
 * <ul>
 *   <li>{@code max.connection.creation.rate} for the whole node and {@code listener.name.<l>.max.connection.creation.rate}
 *       per listener (KIP-402): every accepted connection counts against both, and over either rate the acceptance
 *       of that connection, and of every later one on the listener, waits the longer of the two throttle times.
 *       As in Kafka the node-wide rate does not count the inter-broker listener when the node has more than one
 *       listener (the "protected" listener), so clients cannot starve replication.</li>
 *   <li>{@code connection_creation_rate} of an {@code ip} quota entity (KIP-612): a connection from an address over
 *       its rate is not served; the caller closes it after the returned throttle time. Such a connection is
 *       taken back out of the address's, the listener's and the node's rates (Kafka's "un-record"), since it was
 *       never served.</li>
 * </ul>
 * Each rate is a {@link QuotaRate} over {@code quota.window.num} samples of {@code quota.window.size.seconds}, and a
 * throttle time is at most one sample (Kafka bounds it by {@code quota.window.size.seconds}). A limit of
 * {@link #UNLIMITED} (Kafka's default for all three) is not tracked. Per-address rates idle for a whole window are
 * dropped (at most one sweep per window), so many one-off clients do not accumulate.
 *
 * <p>Thread-safety: thread-safe, every method synchronized: the node-wide rate is shared by every listener.
 */
public final class ConnectionRates {
    /** Kafka's default of every connection rate: no limit. */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    private final int brokerRate;
    private final Map<String, Integer> listenerRates;
    private final String protectedListener;
    private final int samples;
    private final long sampleMs;
    private final QuotaRate broker;
    private final Map<String, QuotaRate> listeners = new HashMap<>();
    private final Map<InetAddress, QuotaRate> addresses = new HashMap<>();
    private long nextSweepMs = Long.MIN_VALUE;

    /**
     * @param brokerRate        {@code max.connection.creation.rate}: connections per second on the node
     * @param listenerRates     {@code listener.name.<l>.max.connection.creation.rate} by listener name (absent: none)
     * @param protectedListener the listener the node-wide rate does not count (Kafka: the inter-broker listener
     *                          when there are several), or null
     * @param samples           {@code quota.window.num}
     * @param sampleMs          {@code quota.window.size.seconds} in ms, also the longest throttle time
     */
    public ConnectionRates(int brokerRate, Map<String, Integer> listenerRates, String protectedListener, int samples,
                           long sampleMs) {
        if (brokerRate < 0 || listenerRates.values().stream().anyMatch(r -> r < 0)) {
            throw new IllegalArgumentException("connection rates must not be negative: " + brokerRate + ", "
                    + listenerRates);
        }
        this.brokerRate = brokerRate;
        this.listenerRates = Map.copyOf(listenerRates);
        this.protectedListener = protectedListener;
        this.samples = samples;
        this.sampleMs = sampleMs;
        this.broker = new QuotaRate(samples, sampleMs);
        this.listenerRates.forEach((name, rate) -> listeners.put(name, new QuotaRate(samples, sampleMs)));
    }

    /** No limit at all (every rate {@link #UNLIMITED}). */
    public static ConnectionRates unlimited() {
        return new ConnectionRates(UNLIMITED, Map.of(), null, 11, 1000);
    }

    /**
     * Records a connection accepted on {@code listener} at {@code nowMs}; returns how long it (and so the listener's
     * next acceptance) must wait, in ms: 0 within both the node's and the listener's rate.
     */
    public synchronized long recordAccept(String listener, long nowMs) {
        long waitMs = 0;
        if (brokerRate != UNLIMITED && !listener.equals(protectedListener)) {
            waitMs = recordAndThrottle(broker, brokerRate, nowMs);
        }
        Integer listenerRate = listenerRates.get(listener);
        if (listenerRate != null && listenerRate != UNLIMITED) {
            waitMs = Math.max(waitMs, recordAndThrottle(listeners.get(listener), listenerRate, nowMs));
        }
        return waitMs;
    }

    /**
     * Records a connection on {@code listener} from {@code address}, whose {@code connection_creation_rate} is
     * {@code addressRate} ({@link #UNLIMITED} or more: none); returns 0 to serve it, or else the throttle time in ms
     * after which it is to be closed unserved (it is then taken back out of every rate it was counted in).
     */
    public synchronized long recordAddress(String listener, InetAddress address, double addressRate, long nowMs) {
        sweep(nowMs);
        if (addressRate >= UNLIMITED) {
            return 0;
        }
        QuotaRate rate = addresses.computeIfAbsent(address, a -> new QuotaRate(samples, sampleMs));
        long throttleMs = recordAndThrottle(rate, addressRate, nowMs);
        if (throttleMs > 0) {
            rate.record(-1, nowMs);
            if (brokerRate != UNLIMITED && !listener.equals(protectedListener)) {
                broker.record(-1, nowMs);
            }
            QuotaRate listenerRate = listeners.get(listener);
            if (listenerRate != null) {
                listenerRate.record(-1, nowMs);
            }
        }
        return throttleMs;
    }

    /** Addresses whose rate is tracked now (for tests). */
    synchronized int trackedAddresses() {
        return addresses.size();
    }

    private long recordAndThrottle(QuotaRate rate, double perSecond, long nowMs) {
        rate.record(1, nowMs);
        return Math.min(rate.throttleMs(perSecond, nowMs), sampleMs);
    }

    private void sweep(long nowMs) {
        if (nowMs < nextSweepMs) {
            return;
        }
        nextSweepMs = nowMs + samples * sampleMs;
        addresses.values().removeIf(rate -> rate.idle(nowMs));
    }
}
