package io.brook.metadata.image;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * An immutable hash map whose {@link #plus} and {@link #minus} return a new map sharing every
 * untouched part with this one (a hash array mapped trie: 32-way nodes indexed by 5 bits of the
 * key's hash per level). A change costs O(log32 n) new nodes instead of a copy of the whole map,
 * so a metadata image with 10,000 topics gets its next version without copying 10,000 entries.
 *
 * <p>As a {@link Map} it is read-only: mutators throw {@link UnsupportedOperationException}.
 * Iteration order is the trie's (by hash), not insertion order. Null keys and values are refused.
 *
 * <p>Thread-safety: immutable, shared freely between threads.
 */
public final class PersistentMap<K, V> extends AbstractMap<K, V> {
    private static final int BITS = 5;
    private static final int MASK = (1 << BITS) - 1;
    private static final PersistentMap<?, ?> EMPTY = new PersistentMap<>(null, 0);

    /** A node: {@code bitmap} says which of the 32 slots are present; slots are Leaf, Node or Collision. */
    private record Node(int bitmap, Object[] slots) {
    }

    /** Keys whose whole hashes are equal. */
    private record Collision(int hash, Leaf<?, ?>[] leaves) {
    }

    private record Leaf<K, V>(int hash, K key, V value) implements Map.Entry<K, V> {
        @Override
        public K getKey() {
            return key;
        }

        @Override
        public V getValue() {
            return value;
        }

        @Override
        public V setValue(V v) {
            throw new UnsupportedOperationException("persistent map entries are read-only");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map.Entry<?, ?> e && key.equals(e.getKey()) && value.equals(e.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ value.hashCode();
        }
    }

    private final Node root;
    private final int size;

    private PersistentMap(Node root, int size) {
        this.root = root;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <K, V> PersistentMap<K, V> empty() {
        return (PersistentMap<K, V>) EMPTY;
    }

    /** A persistent copy of {@code map}. */
    public static <K, V> PersistentMap<K, V> copyOf(Map<K, V> map) {
        PersistentMap<K, V> result = empty();
        for (Map.Entry<K, V> e : map.entrySet()) {
            result = result.plus(e.getKey(), e.getValue());
        }
        return result;
    }

    private static int hash(Object key) {
        int h = key.hashCode();
        return h ^ (h >>> 16);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public V get(Object key) {
        if (key == null || root == null) {
            return null;
        }
        int hash = hash(key);
        Object slot = root;
        for (int shift = 0; ; shift += BITS) {
            if (slot instanceof Node node) {
                int bit = 1 << ((hash >>> shift) & MASK);
                if ((node.bitmap & bit) == 0) {
                    return null;
                }
                slot = node.slots[Integer.bitCount(node.bitmap & (bit - 1))];
            } else if (slot instanceof Leaf<?, ?> leaf) {
                return leaf.hash == hash && leaf.key.equals(key) ? value(leaf) : null;
            } else {
                for (Leaf<?, ?> leaf : ((Collision) slot).leaves) {
                    if (leaf.key.equals(key)) {
                        return value(leaf);
                    }
                }
                return null;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private V value(Leaf<?, ?> leaf) {
        return (V) leaf.value;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    /** This map with {@code key} mapped to {@code value}; this map itself is unchanged. */
    public PersistentMap<K, V> plus(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Leaf<K, V> leaf = new Leaf<>(hash(key), key, value);
        boolean[] added = new boolean[1];
        Node newRoot = (Node) put(root == null ? new Node(0, new Object[0]) : root, 0, leaf, added);
        return new PersistentMap<>(newRoot, added[0] ? size + 1 : size);
    }

    /** This map without {@code key}; this map itself is unchanged. */
    public PersistentMap<K, V> minus(Object key) {
        if (key == null || !containsKey(key)) {
            return this;
        }
        Object newRoot = remove(root, 0, hash(key), key);
        if (newRoot == null) {
            return empty();
        }
        if (!(newRoot instanceof Node)) {
            newRoot = new Node(1 << ((((Leaf<?, ?>) first(newRoot)).hash) & MASK), new Object[]{newRoot});
        }
        return new PersistentMap<>((Node) newRoot, size - 1);
    }

    private static Object first(Object slot) {
        return slot instanceof Collision c ? c.leaves[0] : slot;
    }

    private static Object put(Object slot, int shift, Leaf<?, ?> leaf, boolean[] added) {
        if (slot instanceof Node node) {
            int bit = 1 << ((leaf.hash >>> shift) & MASK);
            int index = Integer.bitCount(node.bitmap & (bit - 1));
            if ((node.bitmap & bit) == 0) {
                Object[] slots = new Object[node.slots.length + 1];
                System.arraycopy(node.slots, 0, slots, 0, index);
                slots[index] = leaf;
                System.arraycopy(node.slots, index, slots, index + 1, node.slots.length - index);
                added[0] = true;
                return new Node(node.bitmap | bit, slots);
            }
            Object[] slots = node.slots.clone();
            slots[index] = put(node.slots[index], shift + BITS, leaf, added);
            return new Node(node.bitmap, slots);
        }
        if (slot instanceof Leaf<?, ?> existing) {
            if (existing.hash == leaf.hash && existing.key.equals(leaf.key)) {
                return leaf;
            }
            added[0] = true;
            if (existing.hash == leaf.hash) {
                return new Collision(leaf.hash, new Leaf<?, ?>[]{existing, leaf});
            }
            return split(shift, existing, existing.hash, leaf);
        }
        Collision collision = (Collision) slot;
        if (collision.hash != leaf.hash) {
            added[0] = true;
            return split(shift, collision, collision.hash, leaf);
        }
        Leaf<?, ?>[] leaves = collision.leaves;
        for (int i = 0; i < leaves.length; i++) {
            if (leaves[i].key.equals(leaf.key)) {
                Leaf<?, ?>[] copy = leaves.clone();
                copy[i] = leaf;
                return new Collision(collision.hash, copy);
            }
        }
        Leaf<?, ?>[] grown = Arrays.copyOf(leaves, leaves.length + 1);
        grown[leaves.length] = leaf;
        added[0] = true;
        return new Collision(collision.hash, grown);
    }

    /** A node at {@code shift} holding {@code slot} (whose keys hash to {@code hash}) and {@code leaf}. */
    private static Object split(int shift, Object slot, int hash, Leaf<?, ?> leaf) {
        int a = (hash >>> shift) & MASK;
        int b = (leaf.hash >>> shift) & MASK;
        if (a == b) {
            return new Node(1 << a, new Object[]{split(shift + BITS, slot, hash, leaf)});
        }
        return new Node((1 << a) | (1 << b), a < b ? new Object[]{slot, leaf} : new Object[]{leaf, slot});
    }

    /** The slot without {@code key} (which is present): null when nothing is left in it. */
    private static Object remove(Object slot, int shift, int hash, Object key) {
        if (slot instanceof Node node) {
            int bit = 1 << ((hash >>> shift) & MASK);
            int index = Integer.bitCount(node.bitmap & (bit - 1));
            Object child = remove(node.slots[index], shift + BITS, hash, key);
            if (child != null) {
                if (node.slots.length == 1 && !(child instanceof Node)) {
                    return child; // a lone leaf moves up, so the trie stays as shallow as a fresh one
                }
                Object[] slots = node.slots.clone();
                slots[index] = child;
                return new Node(node.bitmap, slots);
            }
            if (node.slots.length == 1) {
                return null;
            }
            Object[] slots = new Object[node.slots.length - 1];
            System.arraycopy(node.slots, 0, slots, 0, index);
            System.arraycopy(node.slots, index + 1, slots, index, slots.length - index);
            if (slots.length == 1 && !(slots[0] instanceof Node) && shift > 0) {
                return slots[0];
            }
            return new Node(node.bitmap & ~bit, slots);
        }
        if (slot instanceof Leaf<?, ?>) {
            return null;
        }
        Collision collision = (Collision) slot;
        Leaf<?, ?>[] leaves = collision.leaves;
        Leaf<?, ?>[] kept = new Leaf<?, ?>[leaves.length - 1];
        int n = 0;
        for (Leaf<?, ?> leaf : leaves) {
            if (!leaf.key.equals(key)) {
                kept[n++] = leaf;
            }
        }
        return kept.length == 1 ? kept[0] : new Collision(collision.hash, kept);
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return new EntryIterator<>(root);
            }

            @Override
            public int size() {
                return size;
            }

            @Override
            public boolean contains(Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getValue() != null && e.getValue().equals(get(e.getKey()));
            }
        };
    }

    /** Depth-first walk over the trie, one entry at a time. */
    private static final class EntryIterator<K, V> implements Iterator<Map.Entry<K, V>> {
        private final Deque<Object[]> arrays = new ArrayDeque<>();
        private final Deque<int[]> positions = new ArrayDeque<>();
        private Leaf<?, ?> next;

        EntryIterator(Node root) {
            if (root != null) {
                push(root.slots);
            }
            advance();
        }

        private void push(Object[] slots) {
            arrays.push(slots);
            positions.push(new int[1]);
        }

        private void advance() {
            next = null;
            while (!arrays.isEmpty()) {
                Object[] slots = arrays.peek();
                int[] position = positions.peek();
                if (position[0] == slots.length) {
                    arrays.pop();
                    positions.pop();
                    continue;
                }
                Object slot = slots[position[0]++];
                if (slot instanceof Leaf<?, ?> leaf) {
                    next = leaf;
                    return;
                }
                push(slot instanceof Node node ? node.slots : ((Collision) slot).leaves);
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map.Entry<K, V> next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Map.Entry<K, V> result = (Map.Entry<K, V>) next;
            advance();
            return result;
        }
    }

    @Override
    public V put(K key, V value) {
        throw readOnly();
    }

    @Override
    public V remove(Object key) {
        throw readOnly();
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> m) {
        throw readOnly();
    }

    @Override
    public void clear() {
        throw readOnly();
    }

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> f) {
        throw readOnly();
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> f) {
        throw readOnly();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a persistent map is changed with plus/minus, which return a new map");
    }
}
