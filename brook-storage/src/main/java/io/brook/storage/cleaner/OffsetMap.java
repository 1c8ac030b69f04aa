package io.brook.storage.cleaner;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The cleaner's fixed-size map from record key to the latest offset seen for it. Keys are stored
 * as their 16-byte MD5 digest next to an 8-byte offset, in one preallocated array, so its memory is
 * bounded by {@code log.cleaner.dedupe.buffer.size} whatever the keys are; two keys with the same
 * digest would be confused, which MD5's 128 bits make negligible (Kafka makes the same trade).
 *
 * <p>Open addressing with double hashing over a prime number of slots; a slot whose stored offset
 * is 0 is empty (offsets are stored plus one). Each cleaning uses only as many slots as its range
 * can have keys, and the array is only as large as the largest such range so far, so a node that
 * compacts only small logs never holds the whole buffer. Not thread-safe: each cleaner thread owns one.
 */
public final class OffsetMap {
    static final int HASH_BYTES = 16;
    static final int ENTRY_BYTES = HASH_BYTES + Long.BYTES;

    private byte[] table;
    private ByteBuffer view;
    private final int capacitySlots;
    private final double loadFactor;
    private int slots;
    private int maxEntries;
    private final MessageDigest digest;
    private final byte[] hash = new byte[HASH_BYTES];
    private int entries;
    private long latestOffset = -1;

    /**
     * @param memoryBytes most memory for the table
     * @param loadFactor  fraction of the slots that may be filled before {@link #isFull()}
     */
    public OffsetMap(int memoryBytes, double loadFactor) {
        int fitting = memoryBytes / ENTRY_BYTES;
        if (fitting < 2) {
            throw new IllegalArgumentException("a dedupe buffer of " + memoryBytes + " bytes holds no entry");
        }
        this.capacitySlots = fitting;
        this.loadFactor = loadFactor;
        try {
            this.digest = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JVM", e);
        }
        resize(fitting);
    }

    /** Uses only as many slots as {@code slotsWanted}, at most the capacity. */
    private void resize(int slotsWanted) {
        this.slots = largestPrimeAtMost(Math.min(capacitySlots, Math.max(3, slotsWanted)));
        this.maxEntries = Math.max(1, Math.min(slots - 1, (int) (slots * loadFactor))); // one slot stays empty
    }

    /**
     * Allocates the table when it is first used or too small for the slots in use (new arrays are
     * zeroed), so memory follows the largest range cleaned so far, not the configured maximum.
     */
    private void ensureTable() {
        if (table == null || table.length < slots * ENTRY_BYTES) {
            table = new byte[slots * ENTRY_BYTES];
            view = ByteBuffer.wrap(table);
        }
    }

    /** Records {@code offset} as the latest offset of {@code key}. */
    public void put(ByteBuffer key, long offset) {
        ensureTable();
        int slot = find(key);
        int at = slot * ENTRY_BYTES;
        if (view.getLong(at + HASH_BYTES) == 0) {
            if (entries >= maxEntries) {
                throw new IllegalStateException("the offset map is full");
            }
            System.arraycopy(hash, 0, table, at, HASH_BYTES);
            entries++;
        }
        view.putLong(at + HASH_BYTES, offset + 1);
        latestOffset = Math.max(latestOffset, offset);
    }

    /** The latest offset recorded for {@code key}, or -1. */
    public long get(ByteBuffer key) {
        ensureTable();
        return view.getLong(find(key) * ENTRY_BYTES + HASH_BYTES) - 1;
    }

    /** Whether a new key would not fit (keys already present can still be updated). */
    public boolean isFull() {
        return entries >= maxEntries;
    }

    public int size() {
        return entries;
    }

    public int maxEntries() {
        return maxEntries;
    }

    /** The largest offset put since the last {@link #clear()}, or -1. */
    public long latestOffset() {
        return latestOffset;
    }

    public void clear() {
        clear(Long.MAX_VALUE);
    }

    /**
     * Empties the map, sized for at most {@code maxKeys} keys (the offsets of the range to map are
     * a bound): a small log neither clears nor scatters its keys over the whole buffer.
     */
    public void clear(long maxKeys) {
        if (table != null) {
            Arrays.fill(table, 0, Math.min(table.length, slots * ENTRY_BYTES), (byte) 0); // only used slots are written
        }
        resize((int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(maxKeys / loadFactor) + 1));
        entries = 0;
        latestOffset = -1;
    }

    /** Hashes {@code key} into {@link #hash} and returns the slot holding it, or the empty slot where it goes. */
    private int find(ByteBuffer key) {
        digest.update(key.duplicate());
        try {
            digest.digest(hash, 0, HASH_BYTES);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer h = ByteBuffer.wrap(hash);
        int slot = Math.floorMod(h.getLong(0), slots);
        int step = 1 + Math.floorMod(h.getLong(8), slots - 1);
        while (true) {
            int at = slot * ENTRY_BYTES;
            if (view.getLong(at + HASH_BYTES) == 0 || Arrays.equals(table, at, at + HASH_BYTES, hash, 0, HASH_BYTES)) {
                return slot;
            }
            slot += step;
            if (slot >= slots) {
                slot -= slots;
            }
        }
    }

    static int largestPrimeAtMost(int n) {
        for (int candidate = n; candidate > 2; candidate--) {
            if (isPrime(candidate)) {
                return candidate;
            }
        }
        return 2;
    }

    private static boolean isPrime(int n) {
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
