package io.brook.tests.replication;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durability checker of the replication fault tests: what a producer was told (each acknowledged record of a
 * partition: its sequence number, key and the offset the acknowledgement gave) against what a consumer read back
 * afterwards (every record of every partition, from the beginning to the end). Pure: no clients, no clock.
 *
 * <p>A producer writes, per partition, sequence numbers 0, 1, 2, ... in the record values ({@link #value}) with a
 * key derived from both ({@link #key}). Records that were never acknowledged (a delivery that failed or timed
 * out) may or may not be in the log, but the log as read must still hold every sequence at most once and in
 * increasing order. {@link #check()} counts:
 * <ul>
 *   <li><b>lost</b>: acknowledged, and its sequence not read back at all;</li>
 *   <li><b>misplaced</b>: acknowledged and read back, but not at the acknowledged offset or not with its key
 *       (the acknowledgement lied about where the record is);</li>
 *   <li><b>duplicated</b>: each read of a sequence beyond its first (an idempotent producer's retry written
 *       twice);</li>
 *   <li><b>reordered</b>: the first read of a sequence lower than one read before it in the same partition;</li>
 *   <li><b>corrupt</b>: a record read whose value is no sequence number of this scheme.</li>
 * </ul>
 * All must be 0. Each category counts independently of the others: one planted fault moves one counter.
 *
 * <p>Thread-safe: a producer's callbacks (its I/O thread) record acknowledgements while the test thread may read;
 * every method holds the instance's lock.
 */
public final class AckedRecords {
    /** How many problems {@link Report#examples()} lists (the counts are complete). */
    static final int EXAMPLES = 10;
    private static final String VALUE_PREFIX = "seq=";

    private record Ack(String key, long offset) {
    }

    private record Read(long offset, String key, long sequence) {
    }

    /** Per partition: sequence -> what its acknowledgement said. */
    private final Map<Integer, Map<Long, Ack>> acks = new TreeMap<>();
    /** Per partition: every record read, in the order read (which is offset order for one consumer). */
    private final Map<Integer, List<Read>> reads = new TreeMap<>();
    /** Per partition: records read that carry no sequence number. */
    private final Map<Integer, List<Long>> corrupt = new TreeMap<>();

    /** The value of the record with {@code sequence}. */
    public static byte[] value(long sequence) {
        return (VALUE_PREFIX + sequence).getBytes(StandardCharsets.UTF_8);
    }

    /** The key of the record with {@code sequence} in {@code partition}. */
    public static String key(int partition, long sequence) {
        return "p" + partition + "-k" + sequence;
    }

    /** The sequence a record value carries, or -1 when it is not a value of {@link #value}. */
    public static long sequenceOf(byte[] value) {
        if (value == null) {
            return -1;
        }
        String text = new String(value, StandardCharsets.UTF_8);
        if (!text.startsWith(VALUE_PREFIX)) {
            return -1;
        }
        try {
            long sequence = Long.parseLong(text.substring(VALUE_PREFIX.length()));
            return sequence >= 0 ? sequence : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The producer side: the record {@code sequence} of {@code partition} was acknowledged at {@code offset}. */
    public synchronized void acknowledged(int partition, long sequence, String key, long offset) {
        if (sequence < 0 || offset < 0) {
            throw new IllegalArgumentException("sequence " + sequence + " at offset " + offset);
        }
        Ack previous = acks.computeIfAbsent(partition, p -> new HashMap<>()).putIfAbsent(sequence,
                new Ack(key, offset));
        if (previous != null) {
            throw new IllegalStateException("sequence " + sequence + " of partition " + partition
                    + " acknowledged twice: at " + previous.offset + " and " + offset + " (each is sent once)");
        }
    }

    /** The consumer side: a record read from {@code partition} at {@code offset}. */
    public synchronized void read(int partition, long offset, byte[] key, byte[] value) {
        long sequence = sequenceOf(value);
        if (sequence < 0) {
            corrupt.computeIfAbsent(partition, p -> new ArrayList<>()).add(offset);
            return;
        }
        reads.computeIfAbsent(partition, p -> new ArrayList<>()).add(new Read(offset,
                key == null ? null : new String(key, StandardCharsets.UTF_8), sequence));
    }

    /** How many acknowledgements were recorded so far. */
    public synchronized long acknowledgedCount() {
        return acks.values().stream().mapToLong(Map::size).sum();
    }

    /** Compares what was acknowledged with what was read. */
    public synchronized Report check() {
        long acknowledged = 0;
        long readCount = 0;
        long lost = 0;
        long misplaced = 0;
        long duplicated = 0;
        long reordered = 0;
        long corruptCount = 0;
        List<String> examples = new ArrayList<>();
        java.util.Set<Integer> partitions = new java.util.TreeSet<>(acks.keySet());
        partitions.addAll(reads.keySet());
        partitions.addAll(corrupt.keySet());
        for (int p : partitions) {
            Map<Long, Ack> acked = acks.getOrDefault(p, Map.of());
            List<Read> read = reads.getOrDefault(p, List.of());
            List<Long> garbled = corrupt.getOrDefault(p, List.of());
            acknowledged += acked.size();
            readCount += read.size() + garbled.size();
            corruptCount += garbled.size();
            for (long offset : garbled) {
                example(examples, "partition " + p + " offset " + offset + ": not a sequence record");
            }
            // the read order: duplicates and reorders
            Map<Long, List<Read>> bySequence = new HashMap<>();
            long highest = -1;
            for (Read r : read) {
                List<Read> copies = bySequence.computeIfAbsent(r.sequence, s -> new ArrayList<>(1));
                copies.add(r);
                if (copies.size() > 1) {
                    duplicated++;
                    example(examples, "partition " + p + ": sequence " + r.sequence + " read again at offset "
                            + r.offset + " (first at " + copies.get(0).offset + ")");
                    continue;
                }
                if (r.sequence < highest) {
                    reordered++;
                    example(examples, "partition " + p + ": sequence " + r.sequence + " at offset " + r.offset
                            + " after sequence " + highest);
                }
                highest = Math.max(highest, r.sequence);
            }
            // every acknowledgement: read back, at its offset, with its key
            for (Map.Entry<Long, Ack> e : new TreeMap<>(acked).entrySet()) {
                long sequence = e.getKey();
                Ack ack = e.getValue();
                List<Read> copies = bySequence.get(sequence);
                if (copies == null) {
                    lost++;
                    example(examples, "partition " + p + ": sequence " + sequence + " acknowledged at offset "
                            + ack.offset + " was not read back");
                    continue;
                }
                boolean inPlace = copies.stream().anyMatch(r -> r.offset == ack.offset
                        && java.util.Objects.equals(r.key, ack.key));
                if (!inPlace) {
                    misplaced++;
                    Read first = copies.get(0);
                    example(examples, "partition " + p + ": sequence " + sequence + " acknowledged at offset "
                            + ack.offset + " with key " + ack.key + ", read at offset " + first.offset + " with key "
                            + first.key);
                }
            }
        }
        return new Report(acknowledged, readCount, lost, misplaced, duplicated, reordered, corruptCount,
                List.copyOf(examples));
    }

    private static void example(List<String> examples, String problem) {
        if (examples.size() < EXAMPLES) {
            examples.add(problem);
        }
    }

    /**
     * What {@link #check()} found: {@code acknowledged} records were acknowledged, {@code read} records read back;
     * the problem counts (see {@link AckedRecords}) and the first few problems as text.
     */
    public record Report(long acknowledged, long read, long lost, long misplaced, long duplicated, long reordered,
                         long corrupt, List<String> examples) {
        /** True when no acknowledged record was lost or misplaced and the log holds no duplicate, reorder or junk. */
        public boolean clean() {
            return lost == 0 && misplaced == 0 && duplicated == 0 && reordered == 0 && corrupt == 0;
        }

        /** One line: the counts, then the first problems if any. */
        @Override
        public String toString() {
            return "acknowledged=" + acknowledged + " read=" + read + " lost=" + lost + " misplaced=" + misplaced
                    + " duplicated=" + duplicated + " reordered=" + reordered + " corrupt=" + corrupt
                    + (examples.isEmpty() ? "" : " first problems: " + examples);
        }
    }
}
