package io.brook.metadata.image;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link PersistentMap} against {@link HashMap}: random puts and removes over keys whose hashes
 * collide in part (same low bits) and in full, checking every version after every step, and at
 * the end that no later change altered an earlier version.
 */
class PersistentMapPropertyTest {

    /** A key whose hash the test chooses, so tries share trie paths and whole hashes. */
    record Key(int id, int hash) {
        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** put (value >= 0) or remove (value < 0). */
    record Op(Key key, int value) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Key> keys = Arbitraries.integers().between(0, 300).flatMap(id -> Arbitraries.oneOf(
                Arbitraries.just(new Key(id, id)), // distinct hashes
                Arbitraries.just(new Key(id, id % 5)), // full collisions
                Arbitraries.just(new Key(id, (id % 3) << 20 | 7)), // same low bits, differ high
                Arbitraries.just(new Key(id, Integer.MIN_VALUE | id % 2))));
        return Combinators.combine(keys, Arbitraries.integers().between(-3, 9)).as(Op::new).list().ofMaxSize(400);
    }

    @Property(tries = 200)
    void behavesAsAHashMapAndKeepsEveryVersion(@ForAll("ops") List<Op> ops) {
        PersistentMap<Key, Integer> map = PersistentMap.empty();
        Map<Key, Integer> model = new HashMap<>();
        List<PersistentMap<Key, Integer>> versions = new ArrayList<>();
        List<Map<Key, Integer>> snapshots = new ArrayList<>();
        for (Op op : ops) {
            if (op.value() >= 0) {
                map = map.plus(op.key(), op.value());
                model.put(op.key(), op.value());
            } else {
                map = map.minus(op.key());
                model.remove(op.key());
            }
            assertSameContent(model, map);
            assertEquals(op.value() >= 0 ? op.value() : null, map.get(op.key()));
            versions.add(map);
            snapshots.add(new HashMap<>(model));
        }
        for (int i = 0; i < versions.size(); i++) {
            assertSameContent(snapshots.get(i), versions.get(i));
        }
        for (Key key : new HashSet<>(model.keySet())) {
            map = map.minus(key);
        }
        assertEquals(0, map.size());
        assertEquals(List.of(), new ArrayList<>(map.entrySet()));
    }

    private static void assertSameContent(Map<Key, Integer> expected, PersistentMap<Key, Integer> actual) {
        assertEquals(expected.size(), actual.size());
        assertEquals(expected, actual);
        assertEquals(actual, expected);
        assertEquals(expected.hashCode(), actual.hashCode());
        int iterated = 0;
        for (Map.Entry<Key, Integer> e : actual.entrySet()) {
            assertEquals(expected.get(e.getKey()), e.getValue());
            iterated++;
        }
        assertEquals(expected.size(), iterated, "iteration visits every entry once");
        for (Key key : expected.keySet()) {
            assertEquals(expected.get(key), actual.get(key));
        }
        assertNull(actual.get(new Key(-1, 3)));
    }

    @Property(tries = 5)
    void isReadOnlyAsAMap() {
        PersistentMap<String, Integer> map = PersistentMap.<String, Integer>empty().plus("a", 1);
        assertThrows(UnsupportedOperationException.class, () -> map.put("b", 2));
        assertThrows(UnsupportedOperationException.class, () -> map.remove("a"));
        assertThrows(UnsupportedOperationException.class, map::clear);
        assertThrows(UnsupportedOperationException.class, () -> map.entrySet().iterator().next().setValue(3));
        assertThrows(UnsupportedOperationException.class, () -> PersistentMap.empty().clear());
    }
}
