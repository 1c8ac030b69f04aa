package io.brook.tests.replication;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker of the replication fault tests proves it can fail: a loss, a duplicate, a reorder, a wrong offset, a
 * wrong key and a foreign record, each planted in an otherwise clean log, move exactly their own counter; records
 * that were never acknowledged may be present (once, in order) or absent.
 */
class AckedRecordsTest {
    private static final int PARTITIONS = 3;

    /** A log as a consumer reads it: per partition, records in offset order. */
    private record Entry(int partition, long offset, String key, byte[] value) {
    }

    /**
     * A clean run: {@code perPartition} sequences per partition written in order at offsets from 0; every
     * {@code unackedEvery}-th one unacknowledged (present in the log), and every {@code missingEvery}-th
     * unacknowledged one absent (a failed delivery that never reached the log).
     */
    private static List<Entry> cleanRun(AckedRecords checker, int perPartition, int unackedEvery, int missingEvery) {
        List<Entry> log = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            long offset = 0;
            int unacked = 0;
            for (long seq = 0; seq < perPartition; seq++) {
                String key = AckedRecords.key(p, seq);
                boolean acknowledged = unackedEvery == 0 || seq % unackedEvery != unackedEvery - 1;
                if (!acknowledged && missingEvery > 0 && ++unacked % missingEvery == 0) {
                    continue; // failed and never written
                }
                if (acknowledged) {
                    checker.acknowledged(p, seq, key, offset);
                }
                log.add(new Entry(p, offset++, key, AckedRecords.value(seq)));
            }
        }
        return log;
    }

    private static AckedRecords.Report readBack(AckedRecords checker, List<Entry> log) {
        for (Entry e : log) {
            checker.read(e.partition, e.offset, e.key == null ? null : e.key.getBytes(StandardCharsets.UTF_8),
                    e.value);
        }
        return checker.check();
    }

    /** Position in {@code log} of the record of partition {@code p} at offset {@code offset}. */
    private static int indexOf(List<Entry> log, int p, long offset) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).partition == p && log.get(i).offset == offset) {
                return i;
            }
        }
        throw new AssertionError("no offset " + offset + " in partition " + p);
    }

    @Test
    void aCleanRunIsClean() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 100, 7, 2);
        AckedRecords.Report report = readBack(checker, log);
        assertTrue(report.clean(), report.toString());
        assertEquals(checker.acknowledgedCount(), report.acknowledged());
        assertEquals(3 * (100 - 100 / 7), report.acknowledged(), report.toString());
        assertEquals(log.size(), report.read());
    }

    @Test
    void aLostRecordIsReported() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 50, 0, 0);
        log.remove(indexOf(log, 1, 20)); // an acknowledged record truncated away
        AckedRecords.Report report = readBack(checker, log);
        assertEquals(new Counts(1, 0, 0, 0, 0), Counts.of(report), report.toString());
        assertTrue(report.examples().get(0).contains("sequence 20"), report.toString());
    }

    @Test
    void aLostTailIsReportedRecordByRecord() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 50, 0, 0);
        log.removeIf(e -> e.partition == 2 && e.offset >= 40); // a divergent leader's tail
        assertEquals(new Counts(10, 0, 0, 0, 0), Counts.of(readBack(checker, log)));
    }

    @Test
    void aDuplicateIsReported() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 50, 0, 0);
        // sequence 30 written again after itself (a retried batch appended twice): the later ones shift by one
        int at = indexOf(log, 0, 30);
        List<Entry> shifted = new ArrayList<>(log.subList(0, at + 1));
        shifted.add(new Entry(0, 31, AckedRecords.key(0, 30), AckedRecords.value(30)));
        for (Entry e : log.subList(at + 1, log.size())) {
            shifted.add(e.partition == 0 ? new Entry(0, e.offset + 1, e.key, e.value) : e);
        }
        // acknowledged at the offsets of the shifted log, so only the duplicate is wrong
        AckedRecords shiftedChecker = new AckedRecords();
        for (Entry e : shifted) {
            long seq = AckedRecords.sequenceOf(e.value);
            if (!(e.partition == 0 && e.offset == 31)) {
                shiftedChecker.acknowledged(e.partition, seq, e.key, e.offset);
            }
        }
        AckedRecords.Report report = readBack(shiftedChecker, shifted);
        assertEquals(new Counts(0, 0, 1, 0, 0), Counts.of(report), report.toString());
        assertTrue(report.examples().get(0).contains("sequence 30 read again at offset 31"), report.toString());
    }

    @Test
    void aDuplicateOfAnUnacknowledgedRecordIsReportedToo() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 10, 3, 0); // sequences 2, 5 and 8 are not acknowledged
        log.add(new Entry(0, 10, AckedRecords.key(0, 8), AckedRecords.value(8)));
        assertEquals(new Counts(0, 0, 1, 0, 0), Counts.of(readBack(checker, log)));
    }

    @Test
    void aReorderIsReported() {
        AckedRecords checker = new AckedRecords();
        // sequences 0..9 acknowledged at their offsets, but 5 and 6 were written swapped
        for (long seq = 0; seq < 10; seq++) {
            long offset = seq == 5 ? 6 : seq == 6 ? 5 : seq;
            checker.acknowledged(0, seq, AckedRecords.key(0, seq), offset);
        }
        List<Entry> log = new ArrayList<>();
        for (long offset = 0; offset < 10; offset++) {
            long seq = offset == 5 ? 6 : offset == 6 ? 5 : offset;
            log.add(new Entry(0, offset, AckedRecords.key(0, seq), AckedRecords.value(seq)));
        }
        AckedRecords.Report report = readBack(checker, log);
        assertEquals(new Counts(0, 0, 0, 1, 0), Counts.of(report), report.toString());
        assertTrue(report.examples().get(0).contains("sequence 5 at offset 6 after sequence 6"), report.toString());
    }

    @Test
    void aWrongOffsetIsReported() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 20, 0, 0);
        checker.acknowledged(1, 20, AckedRecords.key(1, 20), 25); // the acknowledgement names offset 25
        log.add(new Entry(1, 20, AckedRecords.key(1, 20), AckedRecords.value(20))); // it is at 20
        AckedRecords.Report report = readBack(checker, log);
        assertEquals(new Counts(0, 1, 0, 0, 0), Counts.of(report), report.toString());
        assertTrue(report.examples().get(0).contains("acknowledged at offset 25"), report.toString());
    }

    @Test
    void aWrongKeyIsReportedAsMisplaced() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 20, 0, 0);
        int at = indexOf(log, 2, 7);
        Entry e = log.get(at);
        log.set(at, new Entry(2, 7, AckedRecords.key(2, 8), e.value));
        assertEquals(new Counts(0, 1, 0, 0, 0), Counts.of(readBack(checker, log)));
    }

    @Test
    void aForeignRecordIsReportedAsCorrupt() {
        AckedRecords checker = new AckedRecords();
        List<Entry> log = cleanRun(checker, 20, 0, 0);
        log.add(new Entry(0, 20, null, "hello".getBytes(StandardCharsets.UTF_8)));
        log.add(new Entry(0, 21, null, null));
        AckedRecords.Report report = readBack(checker, log);
        assertEquals(2, report.corrupt());
        assertFalse(report.clean());
    }

    @Test
    void aSequenceAcknowledgedTwiceIsATestBug() {
        AckedRecords checker = new AckedRecords();
        checker.acknowledged(0, 1, "k", 1);
        assertThrows(IllegalStateException.class, () -> checker.acknowledged(0, 1, "k", 2));
        assertThrows(IllegalArgumentException.class, () -> checker.acknowledged(0, 2, "k", -1));
    }

    @Test
    void valuesRoundTrip() {
        assertEquals(123456789L, AckedRecords.sequenceOf(AckedRecords.value(123456789L)));
        assertEquals(-1, AckedRecords.sequenceOf("seq=-4".getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, AckedRecords.sequenceOf("seq=x".getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Any clean run stays clean, and one fault of each kind planted at a random place in it is found, each by its
     * own counter only.
     */
    @Property(tries = 200)
    void eachPlantedFaultMovesItsOwnCounter(@ForAll @IntRange(min = 5, max = 60) int perPartition,
                                            @ForAll @IntRange(min = 0, max = 5) int unackedEvery,
                                            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed) {
        AckedRecords clean = new AckedRecords();
        AckedRecords.Report report = readBack(clean, cleanRun(clean, perPartition, unackedEvery, 2));
        assertTrue(report.clean(), report.toString());

        Random random = new Random(seed);
        // loss: an acknowledged record missing
        AckedRecords lossy = new AckedRecords();
        List<Entry> log = cleanRun(lossy, perPartition, 0, 0);
        log.remove(random.nextInt(log.size()));
        assertEquals(new Counts(1, 0, 0, 0, 0), Counts.of(readBack(lossy, log)));
        // duplicate: the partition's last record read again after itself
        AckedRecords doubled = new AckedRecords();
        log = cleanRun(doubled, perPartition, unackedEvery, 0);
        int p = random.nextInt(PARTITIONS);
        Entry last = log.stream().filter(e -> e.partition == p).reduce((a, b) -> b).orElseThrow();
        log.add(new Entry(p, last.offset + 1, last.key, last.value));
        assertEquals(new Counts(0, 0, 1, 0, 0), Counts.of(readBack(doubled, log)));
        // reorder: two neighbours of one partition swapped in the log, their acknowledgements naming where they are
        AckedRecords swapped = new AckedRecords();
        int q = random.nextInt(PARTITIONS);
        int first = random.nextInt(perPartition - 1);
        log = new ArrayList<>();
        for (int part = 0; part < PARTITIONS; part++) {
            for (long offset = 0; offset < perPartition; offset++) {
                long seq = part != q ? offset : offset == first ? first + 1 : offset == first + 1 ? first : offset;
                swapped.acknowledged(part, seq, AckedRecords.key(part, seq), offset);
                log.add(new Entry(part, offset, AckedRecords.key(part, seq), AckedRecords.value(seq)));
            }
        }
        assertEquals(new Counts(0, 0, 0, 1, 0), Counts.of(readBack(swapped, log)));
        // wrong offset: an acknowledgement one off
        AckedRecords shifted = new AckedRecords();
        int r = random.nextInt(PARTITIONS);
        log = cleanRun(shifted, perPartition, 0, 0);
        shifted.acknowledged(r, perPartition, AckedRecords.key(r, perPartition), perPartition + 1);
        log.add(new Entry(r, perPartition, AckedRecords.key(r, perPartition), AckedRecords.value(perPartition)));
        assertEquals(new Counts(0, 1, 0, 0, 0), Counts.of(readBack(shifted, log)));
    }

    /** The problem counters of a report, to compare in one assertion. */
    private record Counts(long lost, long misplaced, long duplicated, long reordered, long corrupt) {
        static Counts of(AckedRecords.Report report) {
            return new Counts(report.lost(), report.misplaced(), report.duplicated(), report.reordered(),
                    report.corrupt());
        }
    }
}
