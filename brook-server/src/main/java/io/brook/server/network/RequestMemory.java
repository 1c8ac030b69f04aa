package io.brook.server.network;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of bytes held by requests in flight ({@code queued.max.request.bytes}):
 * a connection reserves a request's size when it reads the request's size prefix, before reading
 * its body, and gives it back once the request has been answered. A connection whose reservation
 * is refused stops reading ({@link #awaitMemory}) until memory is given back; nothing is dropped
 * or failed.
 *
 * <p>Kafka's rule (its non-strict {@code SimpleMemoryPool}): a reservation succeeds while any of
 * the budget is left, even if it is larger than what is left, so a request of up to
 * {@code socket.request.max.bytes} always gets through eventually; the bytes held therefore stay
 * below the budget plus one request. A budget of 0 or less is unbounded, as in Kafka.
 *
 * <p>Thread-safety: safe for any thread; reservations are lock-free, and waiters are woken on the
 * thread that gives memory back (they must only hop to their own event loop).
 */
final class RequestMemory {
    private final long capacity;
    private final AtomicLong available;
    private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    RequestMemory(long capacity) {
        this.capacity = capacity;
        this.available = new AtomicLong(capacity);
    }

    boolean bounded() {
        return capacity > 0;
    }

    /** Reserves {@code bytes} if any of the budget is left; false means: wait with {@link #awaitMemory}. */
    boolean tryReserve(long bytes) {
        if (!bounded()) {
            return true;
        }
        while (true) {
            long left = available.get();
            if (left <= 0) {
                return false;
            }
            if (available.compareAndSet(left, left - bytes)) {
                return true;
            }
        }
    }

    /** Gives back a reservation; wakes the waiters once some budget is left. */
    void release(long bytes) {
        if (!bounded()) {
            return;
        }
        if (available.addAndGet(bytes) > 0) {
            wakeWaiters();
        }
    }

    /**
     * Runs {@code retry} once some budget is left (at once if there already is): a connection whose
     * {@link #tryReserve} failed tries again from it. It must not block (it hops to an event loop).
     */
    void awaitMemory(Runnable retry) {
        waiters.add(retry);
        if (available.get() > 0) { // given back between the failed reservation and now
            wakeWaiters();
        }
    }

    private void wakeWaiters() {
        Runnable waiter;
        while (available.get() > 0 && (waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }

    /** Bytes reserved now (0 when unbounded). */
    long used() {
        return bounded() ? capacity - available.get() : 0;
    }

    long capacity() {
        return capacity;
    }

    /** Connections waiting for memory. */
    int waiting() {
        return waiters.size();
    }
}
