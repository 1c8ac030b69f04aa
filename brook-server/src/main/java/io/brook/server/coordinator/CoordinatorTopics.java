package io.brook.server.coordinator;

import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.server.controller.ControllerChannel;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates the coordinators' internal topics in a cluster when first needed, as Kafka does: the first
 * FindCoordinator for a group (or transactional id) finds {@code __consumer_offsets} (or
 * {@code __transaction_state}) missing, asks the active controller to create it and answers
 * COORDINATOR_NOT_AVAILABLE; the client's retry finds it placed over the brokers registered by then.
 * (A single node creates both at start instead.) At most one creation per topic is in flight.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class CoordinatorTopics {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorTopics.class);

    private final ControllerChannel controller;
    private final NewTopic offsets;
    private final NewTopic transactions;
    private final AtomicBoolean creatingOffsets = new AtomicBoolean();
    private final AtomicBoolean creatingTransactions = new AtomicBoolean();

    public CoordinatorTopics(ControllerChannel controller, NewTopic offsets, NewTopic transactions) {
        this.controller = controller;
        this.offsets = offsets;
        this.transactions = transactions;
    }

    /** Starts creating the internal topic of {@code type} unless {@code image} has it or a creation is in flight. */
    public void createIfAbsent(CoordinatorType type, MetadataImage image) {
        NewTopic topic = type == CoordinatorType.GROUP ? offsets : transactions;
        AtomicBoolean creating = type == CoordinatorType.GROUP ? creatingOffsets : creatingTransactions;
        if (image.topic(topic.name()) != null || !creating.compareAndSet(false, true)) {
            return;
        }
        controller.createTopic(topic, false).whenComplete((created, error) -> {
            creating.set(false);
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            if (cause == null) {
                log.info("Created {} with {} partitions for its first coordinator lookup", topic.name(),
                        created.numPartitions());
            } else if (!(cause instanceof TopicExistsException)) {
                log.warn("Creating {} failed (the next coordinator lookup retries): {}", topic.name(),
                        cause.getMessage());
            }
        });
    }
}
