package io.brook.server.fetch;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fetch sessions of a node, bounded by {@code max.incremental.fetch.session.cache.slots}. A
 * new session may evict the least recently used one only when that one has been idle for
 * {@code min.incremental.fetch.session.eviction.ms}; otherwise the client gets no session and
 * keeps sending full requests, which is always correct.
 *
 * <p>Thread-safety: synchronized.
 */
public final class FetchSessionCache {
    private final int maxSessions;
    private final long minEvictionMs;
    private final Map<Integer, FetchSession> sessions = new HashMap<>();

    public FetchSessionCache(int maxSessions, long minEvictionMs) {
        this.maxSessions = maxSessions;
        this.minEvictionMs = minEvictionMs;
    }

    /** Creates a session, or returns null when the cache is full of recently used sessions. */
    public synchronized FetchSession create(boolean usesTopicIds, long nowMs) {
        if (sessions.size() >= maxSessions && !evictOne(nowMs)) {
            return null;
        }
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        } while (sessions.containsKey(id));
        FetchSession session = new FetchSession(id, usesTopicIds, nowMs);
        sessions.put(id, session);
        return session;
    }

    private boolean evictOne(long nowMs) {
        FetchSession oldest = null;
        for (FetchSession s : sessions.values()) {
            if (oldest == null || s.lastUsedMs() < oldest.lastUsedMs()) {
                oldest = s;
            }
        }
        if (oldest != null && nowMs - oldest.lastUsedMs() >= minEvictionMs) {
            sessions.remove(oldest.id());
            return true;
        }
        return false;
    }

    public synchronized FetchSession get(int id) {
        return sessions.get(id);
    }

    public synchronized void remove(int id) {
        sessions.remove(id);
    }

    /** Drops sessions idle for longer than {@code idleMs}. */
    public synchronized void expire(long nowMs, long idleMs) {
        Iterator<FetchSession> it = sessions.values().iterator();
        while (it.hasNext()) {
            if (nowMs - it.next().lastUsedMs() > idleMs) {
                it.remove();
            }
        }
    }

    public synchronized int size() {
        return sessions.size();
    }
}
