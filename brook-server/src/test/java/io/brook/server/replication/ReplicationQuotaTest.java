package io.brook.server.replication;

import io.brook.storage.log.ThrottledReplicaList;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replication throttle's rate over a sliding window (on a fake clock) and the throttled replica lists. */
class ReplicationQuotaTest {

    @Test
    void unlimitedNeverExceeds() {
        ReplicationQuota quota = new ReplicationQuota(11, 1000, ReplicationQuota.UNLIMITED);
        quota.record(Long.MAX_VALUE / 4, 0);
        assertFalse(quota.isExceeded(0));
    }

    @Test
    void rateIsBytesOverAtLeastTheWindowSpan() {
        ReplicationQuota quota = new ReplicationQuota(11, 1000, 1000);
        quota.record(5_000, 0);
        // one sample only: divided by (samples - 1) windows = 10 s, not by the 0 ms since it began
        assertEquals(500.0, quota.rate(0), 0.001);
        assertFalse(quota.isExceeded(0));
        quota.record(6_000, 500);
        assertEquals(1100.0, quota.rate(500), 0.001);
        assertTrue(quota.isExceeded(500));
    }

    @Test
    void aBurstIsAllowedOnlyUpToTheLimitTimesTheWindow() {
        // 2 samples of 1 s: a new burst counts over at least 1 s
        ReplicationQuota quota = new ReplicationQuota(2, 1000, 100_000);
        quota.record(100_000, 0);
        assertFalse(quota.isExceeded(0), "exactly the limit is not above it");
        quota.record(1, 10);
        assertTrue(quota.isExceeded(10));
        // the rate falls as time passes with nothing recorded...
        assertTrue(quota.isExceeded(1000));
        assertFalse(quota.isExceeded(1100));
        // ...and samples older than the whole window (2 s) are forgotten
        assertEquals(0.0, quota.rate(2000), 0.001);
    }

    @Test
    void theLimitHoldsOnAverageForAThrottledCopy() {
        // a follower that copies 64 KiB chunks whenever the quota allows: ~limit bytes per second over a minute
        long limit = 200_000;
        ReplicationQuota quota = new ReplicationQuota(11, 1000, limit);
        long copied = 0;
        for (long now = 0; now < 60_000; now += 10) {
            if (!quota.isExceeded(now)) {
                quota.record(65_536, now);
                copied += 65_536;
            }
        }
        double perSecond = copied / 60.0;
        assertTrue(perSecond <= limit * 1.25, "copied " + perSecond + " B/s against a limit of " + limit);
        assertTrue(perSecond >= limit * 0.75, "copied " + perSecond + " B/s against a limit of " + limit);
    }

    @Test
    void aNewLimitAppliesToTheMeasuredHistory() {
        ReplicationQuota quota = new ReplicationQuota(11, 1000, 1000);
        quota.record(50_000, 0);
        assertTrue(quota.isExceeded(0));
        quota.setLimit(ReplicationQuota.UNLIMITED);
        assertFalse(quota.isExceeded(0));
        quota.setLimit(10_000);
        assertFalse(quota.isExceeded(0));
    }

    @Test
    void refusesAnEmptyWindow() {
        assertThrows(IllegalArgumentException.class, () -> new ReplicationQuota(0, 1000, 1));
        assertThrows(IllegalArgumentException.class, () -> new ReplicationQuota(1, 0, 1));
    }

    @Test
    void throttledReplicaListsNameThisBrokersReplicas() {
        assertTrue(ThrottledReplicaList.contains("*", 3, 7));
        assertTrue(ThrottledReplicaList.contains("0:1, 3:7", 3, 7));
        assertFalse(ThrottledReplicaList.contains("0:1,3:7", 3, 1));
        assertFalse(ThrottledReplicaList.contains("", 0, 1));
        assertFalse(ThrottledReplicaList.contains(null, 0, 1));

        ReplicationThrottles throttles = new ReplicationThrottles(2, 11, 1000, () -> 0);
        Map<String, String> topic = Map.of(ThrottledReplicaList.LEADER_CONFIG, "0:1,1:2",
                ThrottledReplicaList.FOLLOWER_CONFIG, "0:2");
        assertFalse(throttles.leaderThrottled(topic, 0));
        assertTrue(throttles.leaderThrottled(topic, 1));
        assertTrue(throttles.followerThrottled(topic, 0));
        assertFalse(throttles.followerThrottled(topic, 1));
        assertFalse(throttles.followerThrottled(Map.of(), 0));
    }

    @Test
    void theLeaderHoldsBackOnlyThrottledReplicasOutsideTheIsrWhileTheQuotaIsUsedUp() {
        long[] now = {0};
        ReplicationThrottles throttles = new ReplicationThrottles(1, 2, 1000, () -> now[0]);
        Map<String, String> topic = Map.of(ThrottledReplicaList.LEADER_CONFIG, "0:1");
        throttles.setRates(1000, ReplicationQuota.UNLIMITED);
        assertFalse(throttles.leaderHoldsBack(topic, 0, false), "nothing sent yet");
        throttles.leader().record(5000, now[0]);
        assertTrue(throttles.leaderHoldsBack(topic, 0, false));
        assertFalse(throttles.leaderHoldsBack(topic, 0, true), "an in-sync replica is never held back");
        assertFalse(throttles.leaderHoldsBack(topic, 1, false), "partition 1 is not throttled");
        assertFalse(throttles.leaderHoldsBack(Map.of(), 0, false), "the topic throttles nothing");
        assertTrue(throttles.follower().bytesPerWindow() == ReplicationQuota.UNLIMITED);
        now[0] = 2000; // the window has passed
        assertFalse(throttles.leaderHoldsBack(topic, 0, false));
        assertEquals(1000, throttles.leader().bytesPerWindow());
    }

    @Test
    void throttledReplicaListsAreValidatedAsKafkaDoes() {
        ConfigDef.Validator v = ThrottledReplicaList.VALIDATOR;
        assertDoesNotThrow(() -> v.ensureValid("x", List.of("*")));
        assertDoesNotThrow(() -> v.ensureValid("x", List.of("0:1", "12:3")));
        assertDoesNotThrow(() -> v.ensureValid("x", List.of()));
        assertThrows(ConfigException.class, () -> v.ensureValid("x", List.of("*", "0:1")));
        assertThrows(ConfigException.class, () -> v.ensureValid("x", List.of("0-1")));
        assertThrows(ConfigException.class, () -> v.ensureValid("x", List.of("a:1")));
    }
}
