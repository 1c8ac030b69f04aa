package io.brook.server.coordinator;

import io.brook.server.coordinator.CoordinatorLoads.Action;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator's view of one internal topic's partitions: loading, loaded and unloaded, per leader epoch. */
class CoordinatorLoadsTest {
    @Test
    void aLeadershipLoadsThenServesAndALostOneUnloads() {
        CoordinatorLoads loads = new CoordinatorLoads();
        assertEquals(Errors.NOT_COORDINATOR, loads.status(3, false, 0));
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, loads.status(3, true, 0), "the metadata runs ahead");
        assertEquals(Action.LOAD, loads.onRole(3, true, 0));
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, loads.status(3, true, 0));
        assertEquals(Action.NONE, loads.onRole(3, true, 0), "an ISR change in the same epoch");
        assertTrue(loads.loaded(3, 0));
        assertEquals(Errors.NONE, loads.status(3, true, 0));
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, loads.status(3, true, 1), "a newer epoch is not loaded");
        assertEquals(Action.UNLOAD, loads.onRole(3, false, 1));
        assertEquals(Errors.NOT_COORDINATOR, loads.status(3, false, 1));
        assertEquals(Action.NONE, loads.onRole(3, false, 2), "nothing to unload twice");
    }

    @Test
    void aLoadOvertakenByANewerEpochDoesNotServe() {
        CoordinatorLoads loads = new CoordinatorLoads();
        assertEquals(Action.LOAD, loads.onRole(0, true, 4));
        assertEquals(Action.LOAD, loads.onRole(0, true, 6), "led again in a newer epoch: read again");
        assertFalse(loads.loaded(0, 4), "the older load finished late");
        assertEquals(Errors.COORDINATOR_LOAD_IN_PROGRESS, loads.status(0, true, 6));
        assertTrue(loads.loaded(0, 6));
        assertEquals(Errors.NONE, loads.status(0, true, 6));
        assertEquals(Action.UNLOAD, loads.onRole(0, false, 7));
        assertFalse(loads.loaded(0, 6), "an unloaded partition is not served by a late load");
        assertEquals(Errors.NOT_COORDINATOR, loads.status(0, false, 7));
    }
}
