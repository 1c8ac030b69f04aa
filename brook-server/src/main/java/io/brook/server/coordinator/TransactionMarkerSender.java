package io.brook.server.coordinator;

import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.replication.BrokerLink;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The transaction coordinator's markers, sent to each partition's leader as Kafka's TransactionMarkerChannelManager
 * does: a partition this node leads gets its marker through {@link LocalMarkerWriter}; one another broker leads gets
 * a WriteTxnMarkers request over the inter-broker link to that broker. A partition whose leader cannot take it yet
 * (NOT_LEADER_OR_FOLLOWER, no leader, the connection lost, ...) is tried again, at its leader then, every
 * {@value #RETRY_BACKOFF_MS} ms, for at most {@code retryMs}; after that the write fails and the coordinator starts
 * it over. A partition that needs no marker (deleted, or past this transaction: see
 * {@link LocalMarkerWriter#needsRetry}) counts as done.
 *
 * <p>Threads: every attempt runs on {@code executor}, a dedicated thread (inter-broker sends block; never a Netty
 * event loop nor a request handler). Thread-safety: safe for concurrent use; links are made and used on that thread.
 */
public final class TransactionMarkerSender implements TransactionCoordinator.MarkerWriter {
    private static final Logger log = LoggerFactory.getLogger(TransactionMarkerSender.class);
    /** Wait before a partition whose marker failed is tried again. */
    static final long RETRY_BACKOFF_MS = 100;
    /** Longest one WriteTxnMarkers request to another broker waits for its answer (Kafka's request.timeout.ms). */
    static final long REQUEST_TIMEOUT_MS = 30_000;
    /** How long one write keeps retrying partitions before it fails (the coordinator then writes all again). */
    public static final long DEFAULT_RETRY_MS = 60_000;
    /** Longest {@link #closeLinks} waits for the sender's thread. */
    private static final long CLOSE_WAIT_MS = 5_000;

    private final int nodeId;
    private final Supplier<MetadataImage> image;
    private final LocalMarkerWriter local;
    private final IntFunction<BrokerLink> linkFactory;
    private final ScheduledExecutorService executor;
    private final long retryMs;
    /** Links to other brokers by id; touched on {@link #executor} only. */
    private final Map<Integer, BrokerLink> links = new HashMap<>();

    public TransactionMarkerSender(int nodeId, Supplier<MetadataImage> image, LocalMarkerWriter local,
                                   IntFunction<BrokerLink> linkFactory, ScheduledExecutorService executor,
                                   long retryMs) {
        this.nodeId = nodeId;
        this.image = image;
        this.local = local;
        this.linkFactory = linkFactory;
        this.executor = executor;
        this.retryMs = retryMs;
    }

    /** One coordinator write: the marker and the partitions still without it. */
    private record Marker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                          Set<TopicPartition> pending, long deadlineNs, CompletableFuture<Void> result) {
    }

    @Override
    public CompletableFuture<Void> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                         Set<TopicPartition> partitions) {
        Marker marker = new Marker(producerId, producerEpoch, coordinatorEpoch, commit,
                new LinkedHashSet<>(partitions), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retryMs),
                new CompletableFuture<>());
        schedule(marker, 0);
        return marker.result();
    }

    private void schedule(Marker marker, long delayMs) {
        try {
            executor.schedule(() -> attempt(marker), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // nothing more is written: a retriable failure, which the coordinator retries (if it still runs)
            marker.result().completeExceptionally(new NotEnoughReplicasException(
                    "The transaction marker sender is not accepting work (node stopping)."));
        }
    }

    /** Sends the marker to the current leader of every partition still without it; schedules the rest again. */
    private void attempt(Marker marker) {
        try {
            Map<Integer, Set<TopicPartition>> byLeader = new LinkedHashMap<>();
            MetadataImage current = image.get();
            for (TopicPartition tp : marker.pending()) {
                TopicImage topic = current.topic(tp.topic());
                PartitionImage p = topic == null ? null : topic.partitions().get(tp.partition());
                if (p == null) {
                    byLeader.computeIfAbsent(nodeId, id -> new LinkedHashSet<>()).add(tp); // answers UNKNOWN: done
                } else if (p.leader() >= 0) {
                    byLeader.computeIfAbsent(p.leader(), id -> new LinkedHashSet<>()).add(tp);
                } // no leader now: stays pending
            }
            for (Map.Entry<Integer, Set<TopicPartition>> e : byLeader.entrySet()) {
                Map<TopicPartition, Errors> errors = e.getKey() == nodeId
                        ? local.writeNow(marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(),
                                marker.commit(), e.getValue())
                        : sendTo(e.getKey(), marker, e.getValue());
                errors.forEach((tp, error) -> {
                    if (!LocalMarkerWriter.needsRetry(error)) {
                        marker.pending().remove(tp);
                    } else {
                        log.debug("Marker of producer {} to {} at broker {}: {}; retrying", marker.producerId(), tp,
                                e.getKey(), error);
                    }
                });
            }
        } catch (RuntimeException e) {
            log.warn("Sending the markers of producer {} failed; retrying", marker.producerId(), e);
        }
        if (marker.pending().isEmpty()) {
            marker.result().complete(null);
        } else if (System.nanoTime() - marker.deadlineNs() > 0) {
            marker.result().completeExceptionally(new TimeoutException("No leader took the " + (marker.commit()
                    ? "commit" : "abort") + " marker of producer " + marker.producerId() + " for "
                    + marker.pending() + " within " + retryMs + " ms"));
        } else {
            schedule(marker, RETRY_BACKOFF_MS);
        }
    }

    /** One WriteTxnMarkers request to broker {@code brokerId}; a lost connection leaves every partition to retry. */
    private Map<TopicPartition, Errors> sendTo(int brokerId, Marker marker, Set<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
        WritableTxnMarker entry = new WritableTxnMarker().setProducerId(marker.producerId())
                .setProducerEpoch(marker.producerEpoch()).setCoordinatorEpoch(marker.coordinatorEpoch())
                .setTransactionResult(marker.commit());
        byTopic.forEach((topic, indexes) -> entry.topics().add(new WritableTxnMarkerTopic().setName(topic)
                .setPartitionIndexes(indexes)));
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        BrokerLink link = links.computeIfAbsent(brokerId, linkFactory::apply);
        try {
            WriteTxnMarkersResponse response = link.send(new WriteTxnMarkersRequest.Builder(
                    new WriteTxnMarkersRequestData().setMarkers(List.of(entry))), REQUEST_TIMEOUT_MS);
            for (WriteTxnMarkersResponseData.WritableTxnMarkerResult result : response.data().markers()) {
                for (WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult topic : result.topics()) {
                    for (WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult p : topic.partitions()) {
                        errors.put(new TopicPartition(topic.name(), p.partitionIndex()),
                                Errors.forCode(p.errorCode()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.info("WriteTxnMarkers to broker {} failed ({}); retrying", brokerId, e.getMessage());
            partitions.forEach(tp -> errors.put(tp, Errors.NETWORK_EXCEPTION));
        }
        partitions.forEach(tp -> errors.putIfAbsent(tp, Errors.UNKNOWN_SERVER_ERROR)); // left out of the answer
        return errors;
    }

    /** Closes the links to other brokers, on the sender's thread (at shutdown, before it stops). */
    public void closeLinks() {
        try {
            executor.submit(() -> {
                links.values().forEach(BrokerLink::close);
                links.clear();
            }).get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RejectedExecutionException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            log.debug("Closing the marker links on the caller's thread: {}", e.toString());
            List.copyOf(links.values()).forEach(BrokerLink::close); // a send blocked in one of them fails now
        }
    }
}
