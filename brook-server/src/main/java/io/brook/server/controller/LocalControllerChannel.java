package io.brook.server.controller;

import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.ScramControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;

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

    /**
     * @param brokers the ids of the brokers new partitions may be placed on
     */
    public LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers,
                                  int defaultPartitions, short defaultReplicationFactor) {
        this.controller = controller;
        this.brokers = brokers;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    @Override
    public CompletableFuture<CreatedTopic> createTopic(NewTopic topic, boolean validateOnly) {
        return controller.submit(image -> TopicControl.createTopic(image, topic, brokers.get(), defaultPartitions,
                defaultReplicationFactor, Uuid::randomUuid), validateOnly);
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

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request) {
        return controller.submit(image -> ScramControl.alter(image, request));
    }
}
