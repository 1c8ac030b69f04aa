package io.brook.server.node;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.server.config.BrokerConfig;
import io.brook.server.config.DynamicBrokerConfig;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.replication.ReplicationThrottles;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Applies the dynamic broker configs of the metadata image on this broker: the replication throttle rates, the copy
 * rate of moves between log directories and the
 * topic-config defaults (every hosted partition without its own override takes the new value). Runs on the
 * metadata publisher thread, once per change of a broker config record (and once at start with the whole image).
 *
 * <p>Thread-safety: {@link #current()} may be read from any thread.
 */
final class BrokerConfigPublisher {
    private static final Logger log = LoggerFactory.getLogger(BrokerConfigPublisher.class);

    private final BrokerConfig staticConfig;
    private final int nodeId;
    private final ReplicaManager replicas;
    private final ReplicationThrottles throttles;
    private volatile BrokerConfig current;
    private Map<String, Map<String, String>> applied = Map.of();
    /** The offset of the newest image whose configs were applied or found unchanged. */
    private long appliedOffset = -1;

    BrokerConfigPublisher(BrokerConfig staticConfig, ReplicaManager replicas, ReplicationThrottles throttles) {
        this.staticConfig = staticConfig;
        this.nodeId = staticConfig.nodeId();
        this.replicas = replicas;
        this.throttles = throttles;
        this.current = staticConfig;
        // the static rates hold until a dynamic config says otherwise (an image without broker configs changes none)
        throttles.setRates(staticConfig.getLong(DynamicBrokerConfig.LEADER_THROTTLED_RATE),
                staticConfig.getLong(DynamicBrokerConfig.FOLLOWER_THROTTLED_RATE));
        throttles.setAlterLogDirsRate(staticConfig.getLong(DynamicBrokerConfig.ALTER_LOG_DIRS_RATE));
    }

    BrokerConfig current() {
        return current;
    }

    void onImage(MetadataImage image) {
        apply(image);
    }

    /**
     * Compares the image's broker configs with those applied (the same map object while no config record came,
     * so this costs nothing), not only the delta: a change committed between the image read at start and this
     * publisher's registration is applied all the same.
     */
    void onMetadataUpdate(MetadataDelta delta, MetadataImage image) {
        apply(image);
    }

    /** Applies the broker configs of {@code image} unless an image at least as new was applied already. */
    private synchronized void apply(MetadataImage image) {
        Map<String, Map<String, String>> brokerConfigs = image.brokerConfigs();
        if (image.offset() < appliedOffset) {
            return;
        }
        appliedOffset = image.offset();
        if (brokerConfigs.equals(applied)) {
            return;
        }
        BrokerConfig effective;
        try {
            effective = DynamicBrokerConfig.effective(staticConfig, brokerConfigs, nodeId);
        } catch (ConfigException | IllegalArgumentException e) {
            log.error("Dynamic broker configs {} are invalid for broker {} and are not applied: {}", brokerConfigs,
                    nodeId, e.getMessage());
            return;
        }
        applied = brokerConfigs;
        current = effective;
        throttles.setRates(effective.getLong(DynamicBrokerConfig.LEADER_THROTTLED_RATE),
                effective.getLong(DynamicBrokerConfig.FOLLOWER_THROTTLED_RATE));
        throttles.setAlterLogDirsRate(effective.getLong(DynamicBrokerConfig.ALTER_LOG_DIRS_RATE));
        replicas.updateTopicDefaults(effective.topicDefaults());
        log.info("Dynamic broker configs applied (cluster default {}, broker {} {})",
                brokerConfigs.getOrDefault(DynamicBrokerConfig.CLUSTER_DEFAULT, Map.of()), nodeId,
                brokerConfigs.getOrDefault(String.valueOf(nodeId), Map.of()));
    }
}
