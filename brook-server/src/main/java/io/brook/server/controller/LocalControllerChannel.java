package io.brook.server.controller;

import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NotControllerException;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The operations of {@link ControllerChannel} decided by the controller running in this process.
 * The defaults (partition count and replication factor of a topic that names none) are the
 * controller's own, as in Kafka.
 */
public final class LocalControllerChannel implements ControllerChannel {
    private final MetadataController controller;
    private final Supplier<List<Integer>> brokers;
    private final int defaultPartitions;
    private final short defaultReplicationFactor;
    private final int maxReplicationFactor;
    private final Supplier<QuorumDescription> quorum;

    /**
     * @param brokers              the ids of the brokers new partitions may be placed on
     * @param maxReplicationFactor the most replicas a partition may have on top of the broker count (1 in a
     *                             cluster until partitions are replicated between brokers)
     * @param quorum               the metadata quorum as this controller sees it
     */
    public LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers,
                                  int defaultPartitions, short defaultReplicationFactor, int maxReplicationFactor,
                                  Supplier<QuorumDescription> quorum) {
        this.controller = controller;
        this.brokers = brokers;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
        this.maxReplicationFactor = maxReplicationFactor;
        this.quorum = quorum;
    }

    @Override
    public CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly) {
        int replicationFactor = topic.replicationFactor() > 0 ? topic.replicationFactor()
                : topic.assignments() == null || topic.assignments().isEmpty() ? defaultReplicationFactor
                : topic.assignments().values().iterator().next().size();
        if (replicationFactor > maxReplicationFactor) {
            return CompletableFuture.failedFuture(new InvalidReplicationFactorException("Replication factor "
                    + replicationFactor + " for topic " + topic.name() + ": this build does not replicate partitions "
                    + "between brokers yet, so a cluster takes at most " + maxReplicationFactor
                    + " (set replication.factor 1, or default.replication.factor=1 on the controllers)"));
        }
        return controller.submit(image -> TopicControl.createTopic(image, topic, brokers.get(), defaultPartitions,
                defaultReplicationFactor, Uuid::randomUuid), validateOnly);
    }

    @Override
    public CompletableFuture<QuorumDescription> describeQuorum() {
        if (!controller.isActive()) {
            return CompletableFuture.failedFuture(new NotControllerException("node is not the active controller"));
        }
        return CompletableFuture.completedFuture(quorum.get());
    }

    @Override
    public CompletableFuture<DeletedTopic> deleteTopic(String name, Uuid id) {
        return controller.submit(image -> TopicControl.deleteTopic(image, name, id))
                .thenApply(topic -> new DeletedTopic(topic.name(), topic.id()));
    }

    @Override
    public CompletableFuture<Void> createPartitions(String topic, int newCount, List<List<Integer>> assignments,
                                                    boolean validateOnly) {
        return controller.submit(image -> TopicControl.createPartitions(image, topic, newCount, assignments,
                brokers.get()), validateOnly).thenApply(count -> null);
    }

    @Override
    public CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides,
                                                     boolean validateOnly) {
        return controller.submit(image -> TopicControl.alterConfigs(image, topic, overrides, true), validateOnly);
    }

    @Override
    public CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId) {
        return controller.submit(ProducerIdControl::allocateBlock)
                .thenApply(first -> new ProducerIdBlock(first, ProducerIdControl.BLOCK_SIZE));
    }
}
