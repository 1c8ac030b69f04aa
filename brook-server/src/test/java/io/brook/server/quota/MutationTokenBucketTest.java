package io.brook.server.quota;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class MutationTokenBucketTest {
    /** 10 partitions per second. */
    private static final double RATE = 10;

    @Test
    void startsFullWithTheWholeWindowOfTheRate() {
        MutationTokenBucket bucket = new MutationTokenBucket(11, 1000);
        assertEquals(110, bucket.tokens(RATE, 5_000), 1e-9, "11 samples of 1 s at 10/s");
        assertTrue(bucket.full(5_000));
    }

    @Test
    void strictTakesAWholeTopicWhileNotBelowZeroThenRefusesUntilRefilled() {
        MutationTokenBucket bucket = new MutationTokenBucket(2, 1000); // a burst of 20
        long now = 1_000;
        assertEquals(0, bucket.tryTake(15, RATE, now));
        assertEquals(0, bucket.tryTake(35, RATE, now), "5 tokens left: a topic of 35 is taken whole");
        assertEquals(-30, bucket.tokens(RATE, now), 1e-9);
        assertEquals(3000, bucket.tryTake(1, RATE, now), "30 tokens short at 10/s: 3 s");
        assertEquals(-30, bucket.tokens(RATE, now), 1e-9, "a refusal takes nothing");
        assertEquals(1000, bucket.tryTake(1, RATE, now + 2_000), "1 s left");
        assertEquals(0, bucket.tryTake(1, RATE, now + 3_000), "back at zero: taken");
        assertEquals(100, bucket.throttleMs(RATE, now + 3_000), "and below zero again by one partition");
    }

    @Test
    void permissiveAlwaysTakesAndTellsHowLongToWait() {
        MutationTokenBucket bucket = new MutationTokenBucket(1, 1000); // a burst of 10
        assertEquals(0, bucket.take(10, RATE, 0), "the burst");
        assertEquals(500, bucket.take(5, RATE, 0));
        assertEquals(1500, bucket.take(10, RATE, 0), "taken although exhausted");
        assertEquals(-15, bucket.tokens(RATE, 0), 1e-9);
        assertEquals(500, bucket.throttleMs(RATE, 1_000));
    }

    @Test
    void refillStopsAtTheBurstAndGivenBackTokensToo() {
        MutationTokenBucket bucket = new MutationTokenBucket(1, 1000);
        bucket.take(4, RATE, 0);
        assertEquals(10, bucket.tokens(RATE, 60_000), 1e-9, "never more than the burst");
        bucket.take(4, RATE, 60_000);
        bucket.giveBack(4, RATE, 60_000);
        assertEquals(10, bucket.tokens(RATE, 60_000), 1e-9);
        bucket.giveBack(4, RATE, 60_000);
        assertEquals(10, bucket.tokens(RATE, 60_000), 1e-9, "a refund beyond the burst is capped");
    }

    @Test
    void aChangedRateAppliesToTheNextRefillAndTheBurst() {
        MutationTokenBucket bucket = new MutationTokenBucket(1, 1000);
        bucket.take(20, RATE, 0); // -10
        assertEquals(0, bucket.tokens(100, 100), 1e-9, "refilled at the new 100/s for 100 ms");
        assertEquals(1, bucket.tokens(1, 10_000), 1e-9, "the burst of a lowered quota is lower at once");
    }

    @Test
    void fullOnlyOnceEverythingLentIsBack() {
        MutationTokenBucket bucket = new MutationTokenBucket(1, 1000);
        bucket.take(30, RATE, 0); // -20: 3 s to refill
        assertFalse(bucket.full(2_000));
        assertTrue(bucket.full(3_000));
    }

    @Test
    void refusesAnEmptyWindow() {
        assertThrows(IllegalArgumentException.class, () -> new MutationTokenBucket(0, 1000));
        assertThrows(IllegalArgumentException.class, () -> new MutationTokenBucket(11, 0));
    }
}
