package io.brook.storage.log;

import org.junit.jupiter.api.Test;

/** Replays the start-up fuzz seed that made a segment's close throw on a damaged time index. */
class StartupFuzzSeedTest {
    @Test
    void aDamagedTimeIndexDoesNotFailTheClose() throws Exception {
        new StartupFuzzTest().aDamagedPartitionNeverStopsTheStart(185164L);
    }
}
