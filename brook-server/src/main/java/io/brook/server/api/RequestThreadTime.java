package io.brook.server.api;

/**
 * The time one request holds a request-handler thread, which counts against {@code request_percentage}: from when
 * its handler starts until it returns (a request answered later, a long-polled fetch say, holds no thread while it
 * waits), or until now while the handler still runs, as Kafka's {@code requestThreadTimeNanos}. A handler that counts
 * it against the quota itself (a consumer's fetch, which is answered empty when over it) marks it counted so that the
 * network layer does not count it again.
 *
 * <p>Thread-safety: thread-safe; started and stopped by the request-handler thread, read by whichever thread answers.
 */
public final class RequestThreadTime {
    private volatile long startNs;
    private volatile long stopNs;
    private volatile boolean started;
    private volatile boolean stopped;
    private volatile boolean counted;

    /** The handler starts on a request-handler thread. */
    public void start() {
        startNs = System.nanoTime();
        started = true;
    }

    /** The handler returned: the thread is released, whether or not the request is answered yet. */
    public void stop() {
        stopNs = System.nanoTime();
        stopped = true;
    }

    /** The nanoseconds the request held its thread so far (0 before its handler started). */
    public long nanos() {
        if (!started) {
            return 0;
        }
        return Math.max(0, (stopped ? stopNs : System.nanoTime()) - startNs);
    }

    /** Marks the time counted against the request quota (by the handler). */
    public void markCounted() {
        counted = true;
    }

    /** Whether the handler already counted the time against the request quota. */
    public boolean counted() {
        return counted;
    }
}
