package io.brook.storage.log;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Keys (partition logs) each with the time some background work next falls due for it, so that a
 * pass of that work visits only the keys whose time has come instead of walking all of them:
 * scheduling and taking a due key cost O(log n). A key is in the queue at most once; scheduling it
 * again replaces its time. Pure (times are given by the caller).
 *
 * <p>Implementation: a heap of (time, key) entries; an entry whose time is no longer its key's
 * (rescheduled or removed) is skipped when it reaches the top, and the heap is rebuilt when such
 * stale entries outnumber the live ones, so memory stays proportional to the keys.
 *
 * <p>Thread-safety: safe for concurrent use (every method is synchronized).
 */
final class DueQueue<K> {
    /** Scheduling at this time removes the key: nothing is due for it until it is scheduled again. */
    static final long NEVER = Long.MAX_VALUE;
    /** Stale heap entries tolerated before a rebuild, beyond the live ones. */
    private static final int STALE_SLACK = 64;

    private record Entry<K>(long dueMs, long seq, K key) {
    }

    private final Map<K, Entry<K>> live = new HashMap<>();
    private final PriorityQueue<Entry<K>> heap = new PriorityQueue<>((a, b) -> a.dueMs != b.dueMs
            ? Long.compare(a.dueMs, b.dueMs) : Long.compare(a.seq, b.seq));
    private long seq;

    /** Sets {@code key}'s due time ({@link #NEVER} removes it). */
    synchronized void schedule(K key, long dueMs) {
        Entry<K> current = live.get(key);
        if (current != null && current.dueMs == dueMs) {
            return;
        }
        if (dueMs == NEVER) {
            live.remove(key);
        } else {
            Entry<K> entry = new Entry<>(dueMs, seq++, key);
            live.put(key, entry);
            heap.add(entry);
        }
        compactIfStale();
    }

    synchronized void remove(K key) {
        live.remove(key);
        compactIfStale();
    }

    /** Removes and returns, earliest first, every key due at or before {@code nowMs}. */
    synchronized List<K> pollDue(long nowMs) {
        List<K> due = new ArrayList<>();
        while (!heap.isEmpty() && heap.peek().dueMs <= nowMs) {
            Entry<K> entry = heap.poll();
            if (live.get(entry.key) == entry) {
                live.remove(entry.key);
                due.add(entry.key);
            }
        }
        return due;
    }

    /** The key's due time, or {@link #NEVER} when it is not scheduled. */
    synchronized long dueMs(K key) {
        Entry<K> entry = live.get(key);
        return entry == null ? NEVER : entry.dueMs;
    }

    /** How many keys are scheduled. */
    synchronized int size() {
        return live.size();
    }

    /** Heap entries held, live and stale (for tests: stays proportional to {@link #size()}). */
    synchronized int entriesHeld() {
        return heap.size();
    }

    private void compactIfStale() {
        if (heap.size() > 2 * live.size() + STALE_SLACK) {
            heap.clear();
            heap.addAll(live.values());
        }
    }
}
