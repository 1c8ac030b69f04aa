package io.brook.server.coordinator;

import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the coordinators' internal topics share: creation at first start and replay at every start. */
final class InternalTopics {
    /** Bytes read per step when replaying. */
    private static final int REPLAY_CHUNK_BYTES = 1024 * 1024;
    /** Longest a start waits for an internal topic to be created and to show in the image. */
    private static final long CREATE_TIMEOUT_MS = 60_000;
    private static final long IMAGE_POLL_MS = 10;

    private InternalTopics() {
    }

    /**
     * Creates {@code topic} through the active controller unless it exists, and waits until this node's
     * image shows it.
     */
    static void createIfAbsent(ControllerChannel channel, MetadataController controller, TopicControl.NewTopic topic)
            throws IOException {
        String name = topic.name();
        if (controller.image().topic(name) == null) {
            try {
                channel.createTopic(topic, false).get(CREATE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while creating " + name, e);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) { // created by another node meanwhile
                    throw new IOException("could not create " + name + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IOException("could not create " + name + ": the controller did not answer within "
                        + CREATE_TIMEOUT_MS + " ms", e);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CREATE_TIMEOUT_MS);
        while (controller.image().topic(name) == null) { // committed, not yet applied here
            if (System.nanoTime() > deadline) {
                throw new IOException(name + " was created but this node's metadata did not show it within "
                        + CREATE_TIMEOUT_MS + " ms");
            }
            try {
                Thread.sleep(IMAGE_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name, e);
            }
        }
    }

    /** Something that takes each batch of a partition in offset order. */
    interface BatchConsumer {
        void accept(int partition, RecordBatch batch) throws IOException;
    }

    /** Reads every hosted partition of {@code name} from its start and hands each batch over. */
    static void replay(ReplicaManager replicas, String name, int partitions, BatchConsumer consumer)
            throws IOException {
        for (int p = 0; p < partitions; p++) {
            replayPartition(replicas, name, p, consumer);
        }
    }

    /**
     * Reads partition {@code p} of {@code name}, if hosted here, from its start to its log end as it is now and
     * hands each batch over; returns how many batches. A new leader reads its whole log: what it has beyond the
     * high watermark is what it, as leader, will replicate.
     */
    static int replayPartition(ReplicaManager replicas, String name, int p, BatchConsumer consumer)
            throws IOException {
        Partition partition = replicas.partition(new TopicPartition(name, p));
        if (partition == null) {
            return 0;
        }
        int batches = 0;
        long offset = partition.log().logStartOffset();
        long end = partition.log().logEndOffset();
        while (offset < end) {
            Records chunk = partition.log().read(offset, REPLAY_CHUNK_BYTES, end, true);
            if (chunk.sizeInBytes() == 0) {
                break;
            }
            for (RecordBatch batch : chunk.batches()) {
                consumer.accept(p, batch);
                offset = batch.nextOffset();
                batches++;
            }
        }
        return batches;
    }
}
