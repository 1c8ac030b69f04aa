package io.brook.storage.log;

import io.brook.storage.producer.ProducerStateTable.ProducerSummary;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test helpers for follower logs: fetching from a leader log as the Fetch handler does (the raw bytes
 * of a read, a partial last batch included), feeding them to a follower, comparing two logs.
 */
final class Replication {
    private Replication() {
    }

    /**
     * What a follower's Fetch of {@code maxBytes} from {@code offset} carries: the bytes {@code read}
     * returns (at least one whole batch, as for the first partition of a fetch), copied from the segment
     * file as the zero-copy send does, so a last batch cut by {@code maxBytes} stays cut.
     */
    static MemoryRecords fetch(PartitionLog leader, long offset, int maxBytes) throws IOException {
        return MemoryRecords.readableRecords(ByteBuffer.wrap(bytesOf(
                leader.read(offset, maxBytes, leader.logEndOffset(), true))));
    }

    /** Fetches from the leader into the follower until the follower reaches the leader's end. */
    static int catchUp(PartitionLog leader, PartitionLog follower, int maxBytes) throws IOException {
        int fetches = 0;
        while (follower.logEndOffset() < leader.logEndOffset()) {
            AppendResult result = follower.appendAsFollower(fetch(leader, follower.logEndOffset(), maxBytes));
            assertTrue(result.firstOffset() >= 0, "a fetch with a whole batch appended nothing");
            if (++fetches > 100_000) {
                throw new AssertionError("the follower does not catch up");
            }
        }
        return fetches;
    }

    static byte[] bytesOf(Records records) throws IOException {
        if (records instanceof MemoryRecords memory) {
            ByteBuffer b = memory.buffer().duplicate();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        try (SegmentRecords.Lease lease = ((SegmentRecords) records).lease()) {
            while (buffer.hasRemaining()) {
                if (lease.channel().read(buffer, lease.position() + buffer.position()) < 0) {
                    throw new IOException("segment ended early");
                }
            }
        }
        return buffer.array();
    }

    /** Every file of a partition directory whose name passes {@code include}, by name. */
    static Map<String, byte[]> files(File dir, Predicate<String> include) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        File[] list = dir.listFiles();
        for (File f : list == null ? new File[0] : list) {
            if (include.test(f.getName())) {
                files.put(f.getName(), Files.readAllBytes(f.toPath()));
            }
        }
        return files;
    }

    /**
     * Asserts both directories hold the same files (names passing {@code include}) with the same bytes.
     * An empty index file counts as none: a flush creates the index files of a segment without entries
     * (so a restart need not rebuild them), and when a background flush runs is a matter of timing.
     */
    static void assertSameFiles(File leaderDir, File followerDir, Predicate<String> include) throws IOException {
        Map<String, byte[]> leader = files(leaderDir, include);
        Map<String, byte[]> follower = files(followerDir, include);
        for (Map<String, byte[]> files : List.of(leader, follower)) {
            files.entrySet().removeIf(e -> e.getValue().length == 0 && e.getKey().contains("index"));
        }
        assertEquals(leader.keySet(), follower.keySet(), "the follower's files are not the leader's");
        for (Map.Entry<String, byte[]> e : leader.entrySet()) {
            assertArrayEquals(e.getValue(), follower.get(e.getKey()), e.getKey() + " differs");
        }
    }

    /** Asserts the two logs agree on everything replication must keep equal, segment files included. */
    static void assertSameState(PartitionLog leader, PartitionLog follower) throws IOException {
        assertSameState(leader, follower, true);
    }

    /**
     * As above; without {@code sameSegments} only the concatenation of the segments must be the same:
     * after a truncation the follower's segments may roll at other offsets than the leader's (an empty
     * segment starting at the truncation point stays, as in Kafka).
     */
    static void assertSameState(PartitionLog leader, PartitionLog follower, boolean sameSegments) throws IOException {
        assertEquals(leader.logEndOffset(), follower.logEndOffset(), "log end");
        assertEquals(leader.epochCache().entries(), follower.epochCache().entries(), "leader epoch cache");
        assertEquals(producers(leader), producers(follower), "producer state");
        assertEquals(leader.producerLastOffsets(), follower.producerLastOffsets(), "producers' last offsets");
        assertEquals(leader.lastStableOffset(leader.logEndOffset()), follower.lastStableOffset(follower.logEndOffset()),
                "last stable offset");
        assertEquals(leader.abortedTransactions(leader.logStartOffset(), leader.logEndOffset()),
                follower.abortedTransactions(leader.logStartOffset(), follower.logEndOffset()), "aborted transactions");
        if (sameSegments) {
            assertSameFiles(leader.dir(), follower.dir(), name -> name.endsWith(".log"));
        } else {
            assertArrayEquals(logBytes(leader.dir()), logBytes(follower.dir()), "the follower's log differs");
        }
    }

    /** Every {@code .log} file of a partition directory, in offset order, one after the other. */
    static byte[] logBytes(File dir) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] bytes : files(dir, name -> name.endsWith(".log")).values()) {
            out.write(bytes);
        }
        return out.toByteArray();
    }

    static List<ProducerSummary> producers(PartitionLog log) {
        List<ProducerSummary> list = new ArrayList<>(log.activeProducers());
        list.sort(Comparator.comparingLong(ProducerSummary::producerId));
        return list;
    }
}
