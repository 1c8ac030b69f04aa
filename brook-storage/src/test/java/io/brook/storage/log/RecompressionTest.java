package io.brook.storage.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A topic's compression.type re-encodes batches of other codecs and keeps everything else. */
class RecompressionTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    private static MemoryRecords idempotentBatch(Compression codec, int records) {
        SimpleRecord[] simple = new SimpleRecord[records];
        for (int i = 0; i < records; i++) {
            simple[i] = new SimpleRecord(1_700_000_000_000L + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("value-" + i + "-" + "x".repeat(100)).getBytes(StandardCharsets.UTF_8),
                    new RecordHeader[] {new RecordHeader("h", ("hv" + i).getBytes(StandardCharsets.UTF_8))});
        }
        return MemoryRecords.withIdempotentRecords(codec, 42L, (short) 3, 7, simple);
    }

    @Test
    void everyCodecBecomesTheTopicsAndRecordsStayTheSame() throws IOException {
        for (String target : List.of("zstd", "gzip", "lz4", "snappy", "uncompressed")) {
            for (Compression source : List.of(Compression.NONE, Compression.gzip().build(), Compression.zstd().build())) {
                File logDir = new File(dir, target + "-" + source.type().name);
                try (PartitionLog log = LogFixtures.open(logDir, config(Map.of("compression.type", target)), time)) {
                    // a partition that has never held a record takes a producer's first batch only at sequence 0
                    log.appendAsLeader(LogFixtures.batch(1_700_000_000_000L, "first"), 0);
                    log.appendAsLeader(idempotentBatch(source, 20), 0);
                    MemoryRecords read = LogFixtures.readAll(log, 1, 21);
                    List<Record> records = new ArrayList<>();
                    for (RecordBatch batch : read.batches()) {
                        batch.ensureValid();
                        String expected = target.equals("uncompressed") ? "none" : target;
                        assertEquals(CompressionType.forName(expected), batch.compressionType(), target + " from " + source.type());
                        assertEquals(42L, batch.producerId());
                        assertEquals(3, batch.producerEpoch());
                        assertEquals(7, batch.baseSequence());
                        batch.forEach(records::add);
                    }
                    assertEquals(20, records.size());
                    for (int i = 0; i < 20; i++) {
                        Record r = records.get(i);
                        assertEquals(i + 1, r.offset());
                        assertEquals(1_700_000_000_000L + i, r.timestamp());
                        assertEquals("k" + i, StandardCharsets.UTF_8.decode(r.key()).toString());
                        assertArrayEquals(("hv" + i).getBytes(StandardCharsets.UTF_8), r.headers()[0].value());
                    }
                    // the producer's retry of the same batch is still recognised as a duplicate
                    assertEquals(1, log.appendAsLeader(idempotentBatch(source, 20), 0).firstOffset());
                    assertEquals(21, log.logEndOffset());
                }
            }
        }
    }

    @Test
    void batchesAlreadyInTheTopicsCodecAndProducerTopicsAreKeptAsReceived() {
        MemoryRecords zstd = idempotentBatch(Compression.zstd().build(), 5);
        assertSame(zstd, Recompression.apply(zstd, Compression.zstd().build(), Integer.MAX_VALUE));
        MemoryRecords none = idempotentBatch(Compression.NONE, 5);
        assertSame(none, Recompression.apply(none, null, Integer.MAX_VALUE));
    }

    @Test
    void aBatchTooLargeOnceReencodedIsRefused() {
        MemoryRecords small = idempotentBatch(Compression.zstd().build(), 200);
        RecordTooLargeException e = assertThrows(RecordTooLargeException.class,
                () -> Recompression.apply(small, Compression.NONE, small.sizeInBytes() + 100));
        assertTrue(e.getMessage().contains("compression.type"), e.getMessage());
    }
}
