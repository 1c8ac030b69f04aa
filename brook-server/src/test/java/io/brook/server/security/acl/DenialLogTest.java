package io.brook.server.security.acl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One audit line per denial, rate-limited per (principal, host, operation, resource), counting what it left out. */
@Timeout(30)
class DenialLogTest {
    @Test
    void theSameDenialIsLoggedOncePerIntervalWithTheCountLeftOut() {
        AtomicLong now = new AtomicLong(1_000);
        List<String> lines = new ArrayList<>();
        DenialLog log = new DenialLog(now::get, lines::add);
        log.denied("User:alice", "10.0.0.1", "READ", "TOPIC", "orders", "FETCH");
        for (int i = 0; i < 50; i++) {
            log.denied("User:alice", "10.0.0.1", "READ", "TOPIC", "orders", "FETCH");
        }
        log.denied("User:alice", "10.0.0.1", "WRITE", "TOPIC", "orders", "PRODUCE");
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("Denied operation: principal=\"User:alice\" host=\"10.0.0.1\" operation=READ resourceType=TOPIC "
                + "resourceName=\"orders\" api=FETCH", lines.get(0));
        now.addAndGet(DenialLog.INTERVAL_MS);
        log.denied("User:alice", "10.0.0.1", "READ", "TOPIC", "orders", "FETCH");
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).endsWith("suppressedSinceLastLine=50"), lines.get(2));
    }
}
