package io.brook.metadata.log;

import io.brook.metadata.MetadataOps;
import io.brook.metadata.MetadataOps.Op;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataSnapshots.Snapshot;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.brook.metadata.MetadataOps.assertSameImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class MetadataSnapshotsTest {
    private static final long TIMESTAMP = 1_700_000_000_123L;

    @TempDir
    File dir;

    /** An image of many topics, partitions, configs and producer ids, from random controller decisions. */
    private static MetadataImage image() {
        Random random = new Random(7);
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ops.add(new Op(random.nextInt(6), random.nextInt(8), random.nextInt(1000), random.nextInt(1000)));
        }
        List<MetadataImage> images = MetadataOps.images(MetadataOps.batches(ops));
        return images.get(images.size() - 1);
    }

    /** Enough partitions that the snapshot spans several batches. */
    private static MetadataImage bigImage() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (int t = 0; t < 2000; t++) {
            Uuid id = new Uuid(t + 1, t + 1);
            records.add(MetadataRecords.topic("topic-" + t, id));
            for (int p = 0; p < 10; p++) {
                records.add(MetadataRecords.partition(id, p, List.of(1, 2, 3), List.of(1, 2), 1 + p % 3, p, p));
            }
            records.add(MetadataRecords.topicConfig("topic-" + t, "retention.ms", Integer.toString(t)));
        }
        records.add(MetadataRecords.producerIds(1, 1, 5000));
        return MetadataImage.EMPTY.apply(records, records.size() - 1);
    }

    @Test
    void aLargeImageRoundTripsThroughSeveralBatches() throws IOException {
        MetadataImage image = bigImage();
        SnapshotId id = new SnapshotId(image.offset() + 1, 1);
        MetadataSnapshots.write(dir, id, TIMESTAMP, image.records());
        assertSameImage(image, MetadataImage.EMPTY.apply(MetadataSnapshots.read(dir, id).records(),
                id.endOffset() - 1));
    }

    @Test
    void aSnapshotRebuildsTheImageItWasWrittenFrom() throws IOException {
        MetadataImage image = image();
        SnapshotId id = new SnapshotId(image.offset() + 1, 4);
        File file = MetadataSnapshots.write(dir, id, TIMESTAMP, image.records());
        assertEquals(String.format("%020d-%010d.checkpoint", image.offset() + 1, 4), file.getName());
        assertEquals(List.of(id), MetadataSnapshots.list(dir));
        Snapshot read = MetadataSnapshots.read(dir, id);
        assertEquals(TIMESTAMP, read.lastContainedLogTimestamp());
        assertEquals(image.records(), read.records());
        assertSameImage(image, MetadataImage.EMPTY.apply(read.records(), id.endOffset() - 1));
        assertFalse(new File(dir, id.fileName() + ".part").exists());
    }

    /** Kafka's layout: header control batch at offset 0, data batches, footer control batch; epoch in every batch. */
    @Test
    void theFileIsKafkasSnapshotLayout() throws IOException {
        MetadataImage image = bigImage();
        SnapshotId id = new SnapshotId(image.offset() + 1, 4);
        File file = MetadataSnapshots.write(dir, id, TIMESTAMP, image.records());
        List<MutableRecordBatch> batches = new ArrayList<>();
        MemoryRecords.readableRecords(ByteBuffer.wrap(Files.readAllBytes(file.toPath()))).batches()
                .forEach(batches::add);
        MutableRecordBatch header = batches.get(0);
        MutableRecordBatch footer = batches.get(batches.size() - 1);
        assertTrue(header.isControlBatch());
        assertEquals(0, header.baseOffset());
        Record headerRecord = header.iterator().next();
        assertEquals(ControlRecordType.SNAPSHOT_HEADER, ControlRecordType.parse(headerRecord.key()));
        assertEquals(TIMESTAMP, ControlRecordUtils.deserializeSnapshotHeaderRecord(headerRecord)
                .lastContainedLogTimestamp());
        assertTrue(footer.isControlBatch());
        assertEquals(ControlRecordType.SNAPSHOT_FOOTER, ControlRecordType.parse(footer.iterator().next().key()));
        assertEquals(image.records().size() + 1, footer.baseOffset());
        for (MutableRecordBatch batch : batches) {
            assertEquals(4, batch.partitionLeaderEpoch());
            assertTrue(batch.isValid());
        }
        assertTrue(batches.size() > 3, "the records span several batches: " + batches.size());
    }

    @Test
    void aSnapshotWithoutItsFooterIsRefused() throws IOException {
        MetadataImage image = image();
        SnapshotId id = new SnapshotId(image.offset() + 1, 1);
        File file = MetadataSnapshots.write(dir, id, TIMESTAMP, image.records());
        List<MutableRecordBatch> batches = new ArrayList<>();
        MemoryRecords.readableRecords(ByteBuffer.wrap(Files.readAllBytes(file.toPath()))).batches()
                .forEach(batches::add);
        try (RandomAccessFile raf = new RandomAccessFile(file, "rw")) {
            raf.setLength(raf.length() - batches.get(batches.size() - 1).sizeInBytes());
        }
        IOException e = assertThrows(IOException.class, () -> MetadataSnapshots.read(dir, id));
        assertEquals(file + ": no snapshot footer (the snapshot is incomplete)", e.getMessage());
    }

    @Test
    void aDamagedOrCutSnapshotIsRefused() throws IOException {
        MetadataImage image = image();
        SnapshotId id = new SnapshotId(image.offset() + 1, 1);
        File file = MetadataSnapshots.write(dir, id, TIMESTAMP, image.records());
        byte[] good = Files.readAllBytes(file.toPath());
        Random random = new Random(3);
        for (int i = 0; i < 200; i++) {
            byte[] bad = good.clone();
            int at = random.nextInt(bad.length);
            if (at % 100 >= 12 && at % 100 < 16) {
                continue; // not worth aiming: epochs are checked, but only at batch starts
            }
            bad[at] ^= (byte) (1 + random.nextInt(255));
            Files.write(file.toPath(), bad);
            try {
                Snapshot read = MetadataSnapshots.read(dir, id);
                assertEquals(image.records(), read.records(), "a damaged byte at " + at + " changed the records");
            } catch (IOException refused) {
                // refused: what a damaged snapshot must be
            }
        }
        Files.write(file.toPath(), java.util.Arrays.copyOf(good, good.length / 2));
        assertThrows(IOException.class, () -> MetadataSnapshots.read(dir, id));
    }

    @Test
    void aBatchOfAnotherEpochIsRefused() throws IOException {
        MetadataImage image = image();
        MetadataSnapshots.write(dir, new SnapshotId(image.offset() + 1, 2), TIMESTAMP, image.records());
        File written = new File(dir, new SnapshotId(image.offset() + 1, 2).fileName());
        SnapshotId renamed = new SnapshotId(image.offset() + 1, 3);
        assertTrue(written.renameTo(new File(dir, renamed.fileName())));
        IOException e = assertThrows(IOException.class, () -> MetadataSnapshots.read(dir, renamed));
        assertTrue(e.getMessage().contains("has epoch 2, the snapshot's is 3"), e.getMessage());
    }

    @Test
    void partialFilesAreDeletedAndNamesListedInOffsetOrder() throws IOException {
        List<ApiMessageAndVersion> records = image().records();
        MetadataSnapshots.write(dir, new SnapshotId(20, 1), TIMESTAMP, records);
        MetadataSnapshots.write(dir, new SnapshotId(9, 1), TIMESTAMP, records);
        MetadataSnapshots.write(dir, new SnapshotId(100, 2), TIMESTAMP, records);
        Files.writeString(new File(dir, new SnapshotId(200, 2).fileName() + ".part").toPath(), "cut");
        Files.writeString(new File(dir, "not-a-snapshot.checkpoint").toPath(), "x");
        assertEquals(List.of(new SnapshotId(9, 1), new SnapshotId(20, 1), new SnapshotId(100, 2)),
                MetadataSnapshots.list(dir));
        assertEquals(1, MetadataSnapshots.deletePartial(dir));
        assertFalse(new File(dir, new SnapshotId(200, 2).fileName() + ".part").exists());
    }
}
