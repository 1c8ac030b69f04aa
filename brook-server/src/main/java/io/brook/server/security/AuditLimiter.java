package io.brook.server.security;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The rate limit of the security audit log ({@link AuditLog}), as pure decisions on a given clock: each source
 * address gets at most {@code linesPerInterval} lines in an interval of {@code intervalMs} that starts with its first
 * event; later events of that interval are only counted. The count comes back as a summary, either with the first
 * event of the source's next interval or from {@link #expired} once the interval is over, so a client that stops
 * hammering still has its suppressed events reported. At most {@code maxSources} addresses are tracked: past that,
 * events of new addresses are counted together (source {@link #OTHER_SOURCES}) until intervals end.
 *
 * <p>Thread-safety: thread-safe (every method synchronizes on the limiter; each call is a few map operations).
 */
public final class AuditLimiter {
    /** The source of the events counted together when {@code maxSources} addresses are already tracked. */
    public static final String OTHER_SOURCES = "other-sources";

    /** What to do with one event: log it or not, and first report {@code suppressed} events of the last interval. */
    public record Decision(boolean log, long suppressed) {
    }

    /** Events of a source that were not logged in an interval that is over. */
    public record Summary(String source, long suppressed) {
    }

    private static final class Window {
        final long startMs;
        int logged;
        long suppressed;

        Window(long startMs) {
            this.startMs = startMs;
        }
    }

    private final int linesPerInterval;
    private final long intervalMs;
    private final int maxSources;
    private final Map<String, Window> windows = new HashMap<>();

    public AuditLimiter(int linesPerInterval, long intervalMs, int maxSources) {
        if (linesPerInterval < 1 || intervalMs < 1 || maxSources < 1) {
            throw new IllegalArgumentException("limits must be positive: " + linesPerInterval + ", " + intervalMs
                    + ", " + maxSources);
        }
        this.linesPerInterval = linesPerInterval;
        this.intervalMs = intervalMs;
        this.maxSources = maxSources;
    }

    /** Decides about one event of {@code source} at {@code nowMs}. */
    public synchronized Decision admit(String source, long nowMs) {
        Window window = windows.get(source);
        long summary = 0;
        if (window != null && nowMs - window.startMs >= intervalMs) {
            summary = window.suppressed;
            windows.remove(source);
            window = null;
        }
        if (window == null) {
            if (windows.size() >= maxSources) {
                Window others = windows.computeIfAbsent(OTHER_SOURCES, k -> new Window(nowMs));
                others.suppressed++;
                return new Decision(false, summary);
            }
            window = new Window(nowMs);
            windows.put(source, window);
        }
        if (window.logged < linesPerInterval) {
            window.logged++;
            return new Decision(true, summary);
        }
        window.suppressed++;
        return new Decision(false, summary);
    }

    /** The sources whose interval is over at {@code nowMs} with events not logged; they are forgotten. */
    public synchronized List<Summary> expired(long nowMs) {
        List<Summary> summaries = new ArrayList<>();
        for (Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Window> e = it.next();
            if (nowMs - e.getValue().startMs >= intervalMs) {
                if (e.getValue().suppressed > 0) {
                    summaries.add(new Summary(e.getKey(), e.getValue().suppressed));
                }
                it.remove();
            }
        }
        return summaries;
    }

    /** Most lines a source gets per interval. */
    public int linesPerInterval() {
        return linesPerInterval;
    }

    /** The length of an interval, in ms. */
    public long intervalMs() {
        return intervalMs;
    }

    /** The sources tracked (for tests). */
    synchronized int trackedSources() {
        return windows.size();
    }
}
