package io.brook.server.delayed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that advances a {@link HierarchicalTimer}: it sleeps in the timer's delay queue
 * until a bucket comes due (or {@value #MAX_WAIT_MS} ms pass, to notice {@link #close}), so an
 * idle node with parked requests wakes only when a deadline is reached. The work of an expiry
 * goes to the timer's executor, not this thread.
 */
public final class ExpirationReaper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExpirationReaper.class);
    /** Longest sleep before looking whether the reaper was closed. */
    static final long MAX_WAIT_MS = 200;

    private final HierarchicalTimer timer;
    private final Thread thread;
    private volatile boolean running = true;

    public ExpirationReaper(HierarchicalTimer timer, String name) {
        this.timer = timer;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
    }

    public ExpirationReaper start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (running) {
            try {
                timer.advanceClock(MAX_WAIT_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("The expiration reaper failed to advance the timer", e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
