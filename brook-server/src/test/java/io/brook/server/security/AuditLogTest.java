package io.brook.server.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class AuditLogTest {
    @Test
    void eachSourceGetsItsLinesPerIntervalThenASummary() {
        AuditLimiter limiter = new AuditLimiter(3, 1000, 100);
        for (int i = 0; i < 3; i++) {
            assertEquals(new AuditLimiter.Decision(true, 0), limiter.admit("10.0.0.1", 100 + i));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(new AuditLimiter.Decision(false, 0), limiter.admit("10.0.0.1", 200 + i));
        }
        assertEquals(new AuditLimiter.Decision(true, 0), limiter.admit("10.0.0.2", 300),
                "another address has its own limit");
        assertEquals(new AuditLimiter.Decision(false, 0), limiter.admit("10.0.0.1", 1099), "the interval is not over");
        assertEquals(List.of(), limiter.expired(1099));
        assertEquals(new AuditLimiter.Decision(true, 6), limiter.admit("10.0.0.1", 1100),
                "the next interval's first event is logged, after a summary of the six left out");
        assertEquals(new AuditLimiter.Decision(true, 0), limiter.admit("10.0.0.1", 1101));
    }

    @Test
    void aSourceThatStopsStillHasItsSuppressedEventsSummarized() {
        AuditLimiter limiter = new AuditLimiter(1, 1000, 100);
        assertTrue(limiter.admit("a", 0).log());
        assertFalse(limiter.admit("a", 1).log());
        assertFalse(limiter.admit("a", 2).log());
        assertTrue(limiter.admit("b", 500).log());
        assertEquals(List.of(new AuditLimiter.Summary("a", 2)), limiter.expired(1000),
                "a's interval is over: its count is reported; b logged all it had and its interval is still on");
        assertEquals(1, limiter.trackedSources(), "a is forgotten");
        assertEquals(List.of(), limiter.expired(1500), "b had nothing left out: no summary");
        assertEquals(0, limiter.trackedSources());
    }

    @Test
    void pastTheMostSourcesNewAddressesAreCountedTogether() {
        AuditLimiter limiter = new AuditLimiter(5, 1000, 2);
        assertTrue(limiter.admit("a", 0).log());
        assertTrue(limiter.admit("b", 0).log());
        assertFalse(limiter.admit("c", 0).log());
        assertFalse(limiter.admit("d", 0).log());
        assertEquals(List.of(new AuditLimiter.Summary(AuditLimiter.OTHER_SOURCES, 2)), limiter.expired(1000));
        assertTrue(limiter.admit("c", 1000).log(), "with room again, an address is tracked on its own");
    }

    @Test
    void linesAreStructuredAndOneLineEach() {
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        List<String> lines = new ArrayList<>();
        AuditLog audit = new AuditLog(now::get, new AuditLimiter(2, 10_000, 100), lines::add);
        audit.authenticationFailed("SASL_SSL", "127.0.0.1", 5555, "alice", "SCRAM-SHA-512",
                "bad \"password\"\nsecond line");
        audit.denied("PLAINTEXT", "127.0.0.1", "User:bob", null, "READ on TOPIC t (FETCH)");
        audit.authenticationFailed("SASL_SSL", "127.0.0.1", 5556, null, null, "x");
        assertEquals(List.of(
                "time=2023-11-14T22:13:20Z event=authentication outcome=FAILED listener=SASL_SSL client=127.0.0.1:5555"
                        + " principal=\"alice\" mechanism=SCRAM-SHA-512 reason=\"bad \\\"password\\\"\\nsecond line\"",
                "time=2023-11-14T22:13:20Z event=authorization outcome=DENIED listener=PLAINTEXT client=127.0.0.1"
                        + " principal=\"User:bob\" mechanism=- reason=\"READ on TOPIC t (FETCH)\""), lines);
        now.addAndGet(10_000);
        audit.flushSummaries();
        assertEquals("time=2023-11-14T22:13:30Z event=suppressed source=127.0.0.1 suppressed=1 intervalMs=10000"
                + " limit=2", lines.get(2));
    }
}
