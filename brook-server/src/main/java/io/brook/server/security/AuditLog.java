package io.brook.server.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The security audit log: one structured line per failed authentication and per denied operation on the
 * {@value #LOGGER} logger (INFO, into {@code server.log} with the default Log4j2 configuration; a deployment can give
 * it its own appender), with the fields {@code time}, {@code event}, {@code outcome}, {@code listener},
 * {@code client} (address and port), {@code principal} (the user name a client claimed, if any, for a failed
 * authentication), {@code mechanism} and {@code reason}, as {@code key=value} with quoted free text.
 *
 * <p>Rate-limited per source address ({@link AuditLimiter}): at most {@link #LINES_PER_SOURCE} lines per
 * {@link #INTERVAL_MS}, so a client hammering with bad passwords cannot flood the log; a summary line
 * ({@code event=suppressed}) says how many events of that address were left out, with its next event after the
 * interval or from {@link #flushSummaries()}, which the node calls every interval.
 *
 * <p>Thread-safety: thread-safe (network event loops and request threads log through one instance).
 */
public final class AuditLog {
    /** The dedicated logger. */
    public static final String LOGGER = "brook.security.audit";
    /** Most lines one source address gets per interval. */
    public static final int LINES_PER_SOURCE = 10;
    /** The length of an interval of the per-source limit. */
    public static final long INTERVAL_MS = 10_000;
    /** Most source addresses tracked at once (past it, new addresses' events are counted together). */
    public static final int MAX_SOURCES = 10_000;

    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    /** Where lines go (the logger, or a test's list). */
    public interface Sink {
        void line(String line);
    }

    private final LongSupplier clockMs;
    private final AuditLimiter limiter;
    private final Sink sink;

    public AuditLog(LongSupplier clockMs) {
        this(clockMs, new AuditLimiter(LINES_PER_SOURCE, INTERVAL_MS, MAX_SOURCES), log::info);
    }

    AuditLog(LongSupplier clockMs, AuditLimiter limiter, Sink sink) {
        this.clockMs = clockMs;
        this.limiter = limiter;
        this.sink = sink;
    }

    /**
     * A failed authentication (SASL or TLS) from {@code clientHost}:{@code clientPort} on {@code listener};
     * {@code user} is the name the client claimed (null if it got that far), {@code mechanism} the SASL mechanism
     * (null if none was chosen), or {@code TLS} for a failed TLS handshake.
     */
    public void authenticationFailed(String listener, String clientHost, int clientPort, String user,
                                     String mechanism, String reason) {
        event("authentication", "FAILED", listener, clientHost, clientPort, user, mechanism, reason);
    }

    /** A denied operation: {@code principal} as Kafka prints it ({@code User:alice}). */
    public void denied(String listener, String clientHost, String principal, String mechanism, String reason) {
        event("authorization", "DENIED", listener, clientHost, -1, principal, mechanism, reason);
    }

    /** Writes the summary lines of the sources whose interval is over. */
    public void flushSummaries() {
        long now = clockMs.getAsLong();
        for (AuditLimiter.Summary summary : limiter.expired(now)) {
            summary(now, summary.source(), summary.suppressed());
        }
    }

    private void event(String event, String outcome, String listener, String clientHost, int clientPort,
                       String principal, String mechanism, String reason) {
        long now = clockMs.getAsLong();
        AuditLimiter.Decision decision = limiter.admit(clientHost, now);
        if (decision.suppressed() > 0) {
            summary(now, clientHost, decision.suppressed());
        }
        if (!decision.log()) {
            return;
        }
        sink.line("time=" + Instant.ofEpochMilli(now) + " event=" + event + " outcome=" + outcome
                + " listener=" + bare(listener) + " client=" + bare(clientPort < 0 ? clientHost
                        : clientHost + ":" + clientPort)
                + " principal=" + quoted(principal) + " mechanism=" + bare(mechanism) + " reason=" + quoted(reason));
    }

    private void summary(long now, String source, long suppressed) {
        sink.line("time=" + Instant.ofEpochMilli(now) + " event=suppressed source=" + bare(source) + " suppressed="
                + suppressed + " intervalMs=" + limiter.intervalMs() + " limit=" + limiter.linesPerInterval());
    }

    /** A value without spaces or quotes ({@code -} when absent); anything else is quoted. */
    private static String bare(String value) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        return value.matches("[A-Za-z0-9_.:/\\[\\]%-]+") ? value : quoted(value);
    }

    /** {@code "value"} with quotes, backslashes and line breaks escaped, so one event stays one line. */
    static String quoted(String value) {
        if (value == null) {
            return "-";
        }
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                + '"';
    }
}
