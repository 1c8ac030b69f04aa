package io.brook.server.quota;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class QuotaRateTest {
    private static final int SAMPLES = 11;
    private static final long SAMPLE_MS = 1000;

    @Test
    void theRateIsTheBytesOverTheRealElapsedTimeAtLeastOneSample() {
        QuotaRate rate = new QuotaRate(SAMPLES, SAMPLE_MS);
        rate.record(500, 10_000);
        assertEquals(500.0, rate.rate(10_000), 1e-9, "a young window counts as one sample long");
        rate.record(1500, 12_000);
        assertEquals(2000 * 1000.0 / 2000, rate.rate(12_000), 1e-9);
        assertEquals(2000 * 1000.0 / 5000, rate.rate(15_000), 1e-9);
    }

    @Test
    void samplesOlderThanTheWindowAreDropped() {
        QuotaRate rate = new QuotaRate(SAMPLES, SAMPLE_MS);
        rate.record(1_000_000, 0);
        rate.record(100, 5_000);
        // at 11 s the first sample (started at 0) is out of the 11 x 1 s window; the second started at 5 s
        assertEquals(100 * 1000.0 / 6000, rate.rate(11_000), 1e-9);
        assertEquals(0.0, rate.rate(16_000), 1e-9);
        assertTrue(rate.idle(16_001));
        assertFalse(rate.idle(15_999));
    }

    @Test
    void throttleTimeBringsTheRateBackToTheQuotaAndIsBounded() {
        QuotaRate rate = new QuotaRate(SAMPLES, SAMPLE_MS);
        rate.record(1000, 0);
        assertEquals(0, rate.throttleMs(1000, 0), "exactly at the quota");
        rate.record(1000, 0);
        // 2000 bytes at once against 1000 B/s: they are 2 s worth, so silent until the window is 2 s old
        assertEquals(2000, rate.throttleMs(1000, 0));
        assertEquals(1500, rate.throttleMs(1000, 500), "the one-sample floor of a young window does not grow");
        assertEquals(0, rate.throttleMs(1000, 2000));
        rate.record(1_000_000_000, 2000);
        assertEquals(SAMPLES * SAMPLE_MS, rate.throttleMs(1000, 2000), "at most the whole window");
    }

    @Test
    void aClientThatWaitsItsThrottleTimeIsHeldToTheQuota() {
        QuotaRate rate = new QuotaRate(SAMPLES, SAMPLE_MS);
        double quota = 200 * 1024;
        int request = 16 * 1024;
        long now = 0;
        long sent = 0;
        while (now < 30_000) { // 30 s of a client that sends a request whenever it is not throttled
            rate.record(request, now);
            sent += request;
            now += Math.max(1, rate.throttleMs(quota, now));
        }
        double achieved = sent * 1000.0 / now;
        assertTrue(achieved <= quota * 1.02 && achieved >= quota * 0.98, "held to " + achieved + " B/s");
    }
}
