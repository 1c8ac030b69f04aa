package io.brook.storage.log;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DueQueueTest {
    @Test
    void returnsOnlyTheKeysDueEarliestFirstAndEachOnce() {
        DueQueue<String> queue = new DueQueue<>();
        queue.schedule("c", 30);
        queue.schedule("a", 10);
        queue.schedule("b", 20);
        queue.schedule("never", DueQueue.NEVER);
        assertEquals(List.of(), queue.pollDue(9));
        assertEquals(List.of("a", "b"), queue.pollDue(20));
        assertEquals(List.of(), queue.pollDue(20), "taken keys are gone until scheduled again");
        assertEquals(1, queue.size());
        assertEquals(List.of("c"), queue.pollDue(Long.MAX_VALUE - 1));
    }

    @Test
    void reschedulingReplacesTheTimeAndRemovingForgetsTheKey() {
        DueQueue<String> queue = new DueQueue<>();
        queue.schedule("a", 10);
        queue.schedule("a", 50); // later
        queue.schedule("b", 40);
        queue.schedule("b", 5); // earlier
        queue.schedule("c", 7);
        queue.remove("c");
        assertEquals(List.of("b"), queue.pollDue(20));
        assertEquals(50, queue.dueMs("a"));
        queue.schedule("a", DueQueue.NEVER);
        assertEquals(List.of(), queue.pollDue(100));
        assertEquals(0, queue.size());
    }

    @Test
    void matchesASortedMapUnderRandomOperationsAndKeepsFewStaleEntries() {
        Random random = new Random(17);
        DueQueue<Integer> queue = new DueQueue<>();
        java.util.Map<Integer, Long> model = new java.util.HashMap<>();
        long now = 0;
        for (int step = 0; step < 200_000; step++) {
            int key = random.nextInt(500);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    long due = now + random.nextInt(1000);
                    queue.schedule(key, due);
                    model.put(key, due);
                }
                case 2 -> {
                    queue.remove(key);
                    model.remove(key);
                }
                default -> {
                    now += random.nextInt(50);
                    long at = now;
                    TreeMap<Long, List<Integer>> expectedByTime = new TreeMap<>();
                    model.forEach((k, due) -> {
                        if (due <= at) {
                            expectedByTime.computeIfAbsent(due, t -> new ArrayList<>()).add(k);
                        }
                    });
                    List<Integer> polled = queue.pollDue(now);
                    List<Integer> expected = new ArrayList<>();
                    expectedByTime.values().forEach(expected::addAll);
                    assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(polled), "step " + step);
                    assertEquals(expected.size(), polled.size());
                    for (int i = 1; i < polled.size(); i++) {
                        assertTrue(model.get(polled.get(i - 1)) <= model.get(polled.get(i)), "earliest first");
                    }
                    polled.forEach(model::remove);
                }
            }
            assertEquals(model.size(), queue.size());
            assertTrue(queue.entriesHeld() <= 2 * queue.size() + 65, queue.entriesHeld() + " entries held");
        }
    }
}
