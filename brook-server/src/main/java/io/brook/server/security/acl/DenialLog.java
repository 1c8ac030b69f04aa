package io.brook.server.security.acl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The audit line of a denied operation: one structured INFO line on the {@value #LOGGER} logger (Kafka's
 * authorizer logger name) naming the principal, host, operation, resource and API. Rate-limited so a client
 * retrying a refused call cannot flood the log: the same (principal, host, operation, resource) is logged at
 * most once per {@link #INTERVAL_MS}, and the next line says how many denials were not logged in between.
 *
 * <p>Thread-safety: safe for concurrent use by request handlers.
 */
public final class DenialLog {
    public static final String LOGGER = "kafka.authorizer.logger";
    /** Shortest time between two lines for the same denial. */
    public static final long INTERVAL_MS = 10_000;
    /** Most distinct denials remembered; past it the memory starts afresh (a burst of distinct denials is logged). */
    static final int MAX_KEYS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    /** What was last logged for a denial: when, and how many have been left out since. */
    private static final class Seen {
        long loggedAtMs;
        long suppressed;
    }

    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final LongSupplier clockMs;
    private final Sink sink;

    /** Where lines go (the logger, or a test's list). */
    public interface Sink {
        void line(String line);
    }

    public DenialLog(LongSupplier clockMs) {
        this(clockMs, log::info);
    }

    DenialLog(LongSupplier clockMs, Sink sink) {
        this.clockMs = clockMs;
        this.sink = sink;
    }

    /** Records one denial; logs it unless the same denial was logged within the interval. */
    public void denied(String principal, String host, String operation, String resourceType, String resourceName,
                       String api) {
        String key = principal + '\u0000' + host + '\u0000' + operation + '\u0000' + resourceType + '\u0000'
                + resourceName;
        if (seen.size() >= MAX_KEYS && !seen.containsKey(key)) {
            seen.clear();
        }
        long now = clockMs.getAsLong();
        Seen entry = seen.computeIfAbsent(key, k -> {
            Seen s = new Seen();
            s.loggedAtMs = Long.MIN_VALUE;
            return s;
        });
        long suppressed;
        synchronized (entry) {
            if (entry.loggedAtMs != Long.MIN_VALUE && now - entry.loggedAtMs < INTERVAL_MS) {
                entry.suppressed++;
                return;
            }
            suppressed = entry.suppressed;
            entry.suppressed = 0;
            entry.loggedAtMs = now;
        }
        sink.line("Denied operation: principal=\"" + principal + "\" host=\"" + host + "\" operation=" + operation
                + " resourceType=" + resourceType + " resourceName=\"" + resourceName + "\" api=" + api
                + (suppressed > 0 ? " suppressedSinceLastLine=" + suppressed : ""));
    }
}
