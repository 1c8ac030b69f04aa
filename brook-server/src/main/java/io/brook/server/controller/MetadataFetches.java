package io.brook.server.controller;

import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.runtime.MetadataLogSource;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchSnapshotRequestData;
import org.apache.kafka.common.message.FetchSnapshotResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.UnalignedMemoryRecords;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A broker-only node's reads of the committed metadata log, in Kafka's own requests: Fetch for
 * {@code __cluster_metadata-0} (the replica id the broker's, as Kafka's observers send it) and FetchSnapshot,
 * forwarded over the quorum's transport to the active controller like every other controller request
 * ({@link ForwardingControllerChannel}), and answered there from its {@link MetadataLogSource}
 * ({@link #serveFetch}, {@link #serveFetchSnapshot}, called by {@link ForwardedRequestServer}).
 *
 * <p>Refusals travel as the partition's error code (NOT_CONTROLLER on a voter that does not lead,
 * OFFSET_OUT_OF_RANGE, SNAPSHOT_NOT_FOUND) and come back as Kafka's exception of that code.
 *
 * <p>Thread-safety: stateless apart from its fields; any thread.
 */
public final class MetadataFetches implements MetadataLogSource {
    /** The metadata log's topic id, as KRaft names it in Fetch v13+. */
    static final Uuid METADATA_TOPIC_ID = Uuid.METADATA_TOPIC_ID;

    private final int nodeId;
    private final Function<ByteBuffer, CompletableFuture<ByteBuffer>> transport;

    /**
     * @param nodeId    this broker's id (the Fetch's replica id)
     * @param transport sends a forwarded frame to the active controller and completes with its answer
     */
    public MetadataFetches(int nodeId, Function<ByteBuffer, CompletableFuture<ByteBuffer>> transport) {
        this.nodeId = nodeId;
        this.transport = transport;
    }

    @Override
    public CompletableFuture<LogChunk> fetch(long fromOffset, int maxBytes, long maxWaitMs) {
        FetchRequestData request = new FetchRequestData()
                .setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(nodeId))
                .setMaxWaitMs((int) maxWaitMs).setMinBytes(1).setMaxBytes(maxBytes);
        request.topics().add(new FetchRequestData.FetchTopic().setTopic(ForwardedRequests.METADATA_TOPIC)
                .setTopicId(METADATA_TOPIC_ID).setPartitions(new ArrayList<>(List.of(new FetchRequestData
                        .FetchPartition().setPartition(0).setFetchOffset(fromOffset).setPartitionMaxBytes(maxBytes)))));
        short version = ApiKeys.FETCH.latestVersion();
        return transport.apply(ForwardedRequests.encode(ApiKeys.FETCH, request)).thenApply(bytes -> {
            FetchResponseData response = new FetchResponseData(ForwardedRequests.response(bytes), version);
            if (response.errorCode() != Errors.NONE.code()) {
                throw Errors.forCode(response.errorCode()).exception();
            }
            FetchResponseData.PartitionData partition = response.responses().get(0).partitions().get(0);
            if (partition.errorCode() != Errors.NONE.code()) {
                throw Errors.forCode(partition.errorCode()).exception();
            }
            SnapshotId snapshot = partition.snapshotId().endOffset() < 0 ? null
                    : new SnapshotId(partition.snapshotId().endOffset(), partition.snapshotId().epoch());
            List<ByteBuffer> batches = new ArrayList<>();
            if (partition.records() instanceof MemoryRecords records) {
                for (MutableRecordBatch batch : records.batches()) {
                    ByteBuffer one = ByteBuffer.allocate(batch.sizeInBytes());
                    batch.writeTo(one);
                    batches.add(one.flip());
                }
            }
            return new LogChunk(partition.currentLeader().leaderId(), batches, partition.highWatermark(), snapshot);
        });
    }

    @Override
    public CompletableFuture<SnapshotChunk> fetchSnapshot(SnapshotId id, long position, int maxBytes) {
        FetchSnapshotRequestData request = new FetchSnapshotRequestData().setReplicaId(nodeId).setMaxBytes(maxBytes);
        request.topics().add(new FetchSnapshotRequestData.TopicSnapshot().setName(ForwardedRequests.METADATA_TOPIC)
                .setPartitions(new ArrayList<>(List.of(new FetchSnapshotRequestData.PartitionSnapshot().setPartition(0)
                        .setSnapshotId(new FetchSnapshotRequestData.SnapshotId().setEndOffset(id.endOffset())
                                .setEpoch(id.epoch())).setPosition(position)))));
        short version = ApiKeys.FETCH_SNAPSHOT.latestVersion();
        return transport.apply(ForwardedRequests.encode(ApiKeys.FETCH_SNAPSHOT, request)).thenApply(bytes -> {
            FetchSnapshotResponseData response = new FetchSnapshotResponseData(ForwardedRequests.response(bytes),
                    version);
            if (response.errorCode() != Errors.NONE.code()) {
                throw Errors.forCode(response.errorCode()).exception();
            }
            FetchSnapshotResponseData.PartitionSnapshot partition = response.topics().get(0).partitions().get(0);
            if (partition.errorCode() != Errors.NONE.code()) {
                throw Errors.forCode(partition.errorCode()).exception();
            }
            ByteBuffer chunk = partition.unalignedRecords() instanceof MemoryRecords records ? records.buffer()
                    : partition.unalignedRecords() instanceof UnalignedMemoryRecords unaligned ? unaligned.buffer()
                    : ByteBuffer.allocate(0);
            return new SnapshotChunk(chunk, partition.size());
        });
    }

    /**
     * The active controller's answer to a forwarded Fetch of the metadata log; each answered fetch of a replica id
     * is recorded in {@code observers} (with whether the answer brought it to the committed end).
     */
    static CompletableFuture<FetchResponseData> serveFetch(MetadataLogSource source, FetchRequestData request,
                                                           MetadataObservers observers) {
        FetchRequestData.FetchPartition asked = request.topics().isEmpty()
                || request.topics().get(0).partitions().isEmpty() ? null
                : request.topics().get(0).partitions().get(0);
        if (asked == null) {
            return CompletableFuture.completedFuture(new FetchResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        int maxBytes = asked.partitionMaxBytes() > 0 ? asked.partitionMaxBytes() : request.maxBytes();
        return source.fetch(asked.fetchOffset(), maxBytes, request.maxWaitMs()).handle((chunk, error) -> {
            FetchResponseData.PartitionData partition = new FetchResponseData.PartitionData().setPartitionIndex(0);
            if (error != null) {
                partition.setErrorCode(Errors.forException(unwrap(error)).code()).setRecords(MemoryRecords.EMPTY);
            } else {
                if (observers != null) {
                    observers.fetched(request.replicaState().replicaId(), chunk.snapshot() == null
                            && endAfter(asked.fetchOffset(), chunk.batches()) >= chunk.endOffset(),
                            System.currentTimeMillis());
                }
                int size = chunk.batches().stream().mapToInt(ByteBuffer::remaining).sum();
                ByteBuffer all = ByteBuffer.allocate(size);
                chunk.batches().forEach(b -> all.put(b.duplicate()));
                partition.setHighWatermark(chunk.endOffset())
                        .setCurrentLeader(new FetchResponseData.LeaderIdAndEpoch().setLeaderId(chunk.leaderId()))
                        .setRecords(MemoryRecords.readableRecords(all.flip()));
                if (chunk.snapshot() != null) {
                    partition.setSnapshotId(new FetchResponseData.SnapshotId()
                            .setEndOffset(chunk.snapshot().endOffset()).setEpoch(chunk.snapshot().epoch()));
                }
            }
            FetchResponseData response = new FetchResponseData();
            response.responses().add(new FetchResponseData.FetchableTopicResponse()
                    .setTopic(ForwardedRequests.METADATA_TOPIC).setTopicId(METADATA_TOPIC_ID)
                    .setPartitions(new ArrayList<>(List.of(partition))));
            return response;
        });
    }

    /** The active controller's answer to a forwarded FetchSnapshot of the metadata log. */
    static CompletableFuture<FetchSnapshotResponseData> serveFetchSnapshot(MetadataLogSource source,
                                                                          FetchSnapshotRequestData request) {
        FetchSnapshotRequestData.PartitionSnapshot asked = request.topics().isEmpty()
                || request.topics().get(0).partitions().isEmpty() ? null
                : request.topics().get(0).partitions().get(0);
        if (asked == null) {
            return CompletableFuture.completedFuture(new FetchSnapshotResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        SnapshotId id = new SnapshotId(asked.snapshotId().endOffset(), asked.snapshotId().epoch());
        return source.fetchSnapshot(id, asked.position(), request.maxBytes()).handle((chunk, error) -> {
            FetchSnapshotResponseData.PartitionSnapshot partition = new FetchSnapshotResponseData.PartitionSnapshot()
                    .setIndex(0).setPosition(asked.position()).setSnapshotId(new FetchSnapshotResponseData.SnapshotId()
                            .setEndOffset(id.endOffset()).setEpoch(id.epoch()));
            if (error != null) {
                partition.setErrorCode(Errors.forException(unwrap(error)).code())
                        .setUnalignedRecords(MemoryRecords.EMPTY);
            } else {
                partition.setSize(chunk.size()).setUnalignedRecords(new UnalignedMemoryRecords(chunk.bytes()));
            }
            FetchSnapshotResponseData response = new FetchSnapshotResponseData();
            response.topics().add(new FetchSnapshotResponseData.TopicSnapshot()
                    .setName(ForwardedRequests.METADATA_TOPIC).setPartitions(new ArrayList<>(List.of(partition))));
            return response;
        });
    }

    /** The offset after the last of {@code batches}, or {@code fromOffset} when there are none. */
    static long endAfter(long fromOffset, List<ByteBuffer> batches) {
        if (batches.isEmpty()) {
            return fromOffset;
        }
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.get(batches.size() - 1).duplicate())
                .batches()) {
            return batch.lastOffset() + 1;
        }
        return fromOffset;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
