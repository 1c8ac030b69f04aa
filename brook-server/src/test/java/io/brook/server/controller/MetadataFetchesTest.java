package io.brook.server.controller;

import io.brook.metadata.log.MetadataBatches;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.runtime.MetadataLogSource;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.SnapshotNotFoundException;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A broker's metadata fetches as Kafka's Fetch / FetchSnapshot request data, through {@link ForwardedRequestServer}
 * to a {@link MetadataLogSource} and back ({@link MetadataFetches} on both sides, the bytes in between): batches
 * arrive whole and in order, a snapshot id and its chunks travel, refusals come back as Kafka's exceptions, and the
 * fetching broker is recorded as an observer (caught up or not).
 */
class MetadataFetchesTest {
    private final List<Object[]> asked = new ArrayList<>();
    private MetadataLogSource.LogChunk answer;
    private Throwable refusal;
    private final MetadataObservers observers = new MetadataObservers();

    private final MetadataLogSource source = new MetadataLogSource() {
        @Override
        public CompletableFuture<LogChunk> fetch(long fromOffset, int maxBytes, long maxWaitMs) {
            asked.add(new Object[] {fromOffset, maxBytes, maxWaitMs});
            return refusal != null ? CompletableFuture.failedFuture(refusal) : CompletableFuture.completedFuture(answer);
        }

        @Override
        public CompletableFuture<SnapshotChunk> fetchSnapshot(SnapshotId id, long position, int maxBytes) {
            if (refusal != null) {
                return CompletableFuture.failedFuture(refusal);
            }
            byte[] file = new byte[10];
            for (int i = 0; i < file.length; i++) {
                file[i] = (byte) (id.endOffset() + i);
            }
            int n = (int) Math.min(maxBytes, file.length - position);
            return CompletableFuture.completedFuture(new SnapshotChunk(ByteBuffer.wrap(file, (int) position, n).slice(),
                    file.length));
        }
    };

    private final MetadataFetches broker = new MetadataFetches(7,
            new ForwardedRequestServer(null, source, observers, null)::serve);

    private static ByteBuffer batch(long baseOffset, String... topics) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (String t : topics) {
            records.add(new ApiMessageAndVersion(new TopicRecord().setName(t).setTopicId(Uuid.randomUuid()), (short) 0));
        }
        return MetadataBatches.encode(records, baseOffset, 3, 1_000L);
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    @Test
    void batchesTravelWholeAndInOrderAndTheBrokerIsAnObserver() throws Exception {
        answer = new MetadataLogSource.LogChunk(2, List.of(batch(5, "a", "b"), batch(7, "c")), 8, null);
        MetadataLogSource.LogChunk got = get(broker.fetch(5, 4096, 500));
        assertEquals(5L, asked.get(0)[0]);
        assertEquals(4096, asked.get(0)[1]);
        assertEquals(500L, asked.get(0)[2]);
        assertEquals(2, got.leaderId());
        assertEquals(8, got.endOffset());
        assertNull(got.snapshot());
        assertEquals(2, got.batches().size());
        MetadataBatches.Batch first = MetadataBatches.decode(got.batches().get(0));
        MetadataBatches.Batch second = MetadataBatches.decode(got.batches().get(1));
        assertEquals(5, first.baseOffset());
        assertEquals(6, first.lastOffset());
        assertEquals("a", ((TopicRecord) first.records().get(0).message()).name());
        assertEquals(7, second.baseOffset());
        assertEquals(3, second.epoch());
        List<QuorumDescription.Replica> seen = observers.replicas(42, System.currentTimeMillis());
        assertEquals(1, seen.size());
        assertEquals(7, seen.get(0).id());
        assertEquals(42, seen.get(0).logEndOffset(), "caught up: reported at the quorum's high watermark");

        answer = new MetadataLogSource.LogChunk(2, List.of(batch(8, "d")), 20, null); // still behind after it
        get(broker.fetch(8, 4096, 500));
        assertEquals(-1, observers.replicas(42, System.currentTimeMillis()).get(0).logEndOffset());
    }

    @Test
    void aSnapshotIsNamedAndFetchedInChunks() throws Exception {
        answer = new MetadataLogSource.LogChunk(1, List.of(), 30, new SnapshotId(30, 4));
        MetadataLogSource.LogChunk got = get(broker.fetch(0, 4096, 500));
        assertEquals(new SnapshotId(30, 4), got.snapshot());
        assertEquals(List.of(), got.batches());
        MetadataLogSource.SnapshotChunk part = get(broker.fetchSnapshot(got.snapshot(), 4, 3));
        assertEquals(10, part.size());
        assertEquals(3, part.bytes().remaining());
        assertEquals(34, part.bytes().get(0));
        assertEquals(36, part.bytes().get(2));
    }

    @Test
    void refusalsComeBackAsKafkasExceptions() {
        refusal = new NotControllerException("node 2 is not the active controller");
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(broker.fetch(0, 4096, 500)));
        assertInstanceOf(NotControllerException.class, e.getCause());
        refusal = new SnapshotNotFoundException("gone");
        e = assertThrows(ExecutionException.class, () -> get(broker.fetchSnapshot(new SnapshotId(3, 1), 0, 10)));
        assertInstanceOf(SnapshotNotFoundException.class, e.getCause());
        assertEquals(List.of(), observers.replicas(0, System.currentTimeMillis()), "a refused fetch is not counted");
    }
}
