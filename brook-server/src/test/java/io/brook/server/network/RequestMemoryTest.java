package io.brook.server.network;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestMemoryTest {
    @Test
    void reservesWhileAnyBudgetIsLeftAndWakesWaitersWhenSomeComesBack() {
        RequestMemory memory = new RequestMemory(100);
        assertTrue(memory.tryReserve(60));
        assertTrue(memory.tryReserve(60), "40 left: a larger request still gets through (Kafka's non-strict pool)");
        assertEquals(120, memory.used());
        assertFalse(memory.tryReserve(1), "nothing left");

        List<String> woken = new ArrayList<>();
        memory.awaitMemory(() -> woken.add("a"));
        memory.awaitMemory(() -> woken.add("b"));
        assertEquals(2, memory.waiting());
        memory.release(10);
        assertEquals(List.of(), woken, "still over the budget");
        memory.release(60);
        assertEquals(List.of("a", "b"), woken);
        assertEquals(0, memory.waiting());
        assertEquals(50, memory.used());
    }

    @Test
    void aWaiterRegisteredAfterMemoryCameBackIsWokenAtOnce() {
        RequestMemory memory = new RequestMemory(10);
        assertTrue(memory.tryReserve(10));
        assertFalse(memory.tryReserve(5));
        memory.release(10); // between the refusal and the registration
        List<String> woken = new ArrayList<>();
        memory.awaitMemory(() -> woken.add("late"));
        assertEquals(List.of("late"), woken);
    }

    @Test
    void zeroOrLessIsUnbounded() {
        RequestMemory memory = new RequestMemory(-1);
        for (int i = 0; i < 1000; i++) {
            assertTrue(memory.tryReserve(100 * 1024 * 1024));
        }
        assertEquals(0, memory.used());
    }
}
