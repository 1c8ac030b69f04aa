package io.brook.metadata.controller;

import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A controller's proposed state for the cluster decisions: the cluster image and the metadata
 * image, with the offset the next record gets, and the decisions' records applied to both as the
 * metadata log would (each record takes the next offset).
 *
 * <p>The metadata image replays the broker records too ({@link MetadataImage#cluster()}); {@link #cluster}
 * is kept as a field for the tests' brevity.
 */
final class ClusterHarness {
    static final String CLUSTER_ID = "brook-test-cluster";

    ClusterImage cluster = ClusterImage.EMPTY;
    MetadataImage image = MetadataImage.EMPTY;

    /** The offset the next record written gets. */
    long nextOffset() {
        return image.offset() + 1;
    }

    <T> T apply(ClusterResult<T> result) {
        apply(result.records());
        return result.response();
    }

    void apply(List<ApiMessageAndVersion> records) {
        if (records.isEmpty()) {
            return;
        }
        image = image.apply(records, image.offset() + records.size());
        cluster = image.cluster();
    }

    /** Creates a topic with the given replica lists (leader = first replica, ISR = all replicas). */
    Uuid createTopic(String name, List<List<Integer>> assignment) {
        Uuid id = new Uuid(name.hashCode() + 1L, assignment.size() + 1L);
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.topic(name, id));
        for (int p = 0; p < assignment.size(); p++) {
            List<Integer> replicas = assignment.get(p);
            records.add(MetadataRecords.partition(id, p, replicas, replicas, replicas.get(0), 0, 0));
        }
        image = image.apply(records, image.offset() + records.size());
        return id;
    }

    PartitionImage partition(Uuid topic, int partition) {
        return image.topic(topic).partitions().get(partition);
    }

    static BrokerRegistrationRequestData registration(int id, Uuid incarnation, String rack) {
        BrokerRegistrationRequestData request = new BrokerRegistrationRequestData().setBrokerId(id)
                .setClusterId(CLUSTER_ID).setIncarnationId(incarnation).setRack(rack);
        request.listeners().add(new BrokerRegistrationRequestData.Listener().setName("PLAINTEXT")
                .setHost("localhost").setPort(9090 + id).setSecurityProtocol((short) 0));
        return request;
    }

    /** Registers broker {@code id} with {@code incarnation}; returns its epoch. */
    long register(ClusterControl control, int id, Uuid incarnation, String rack, long nowMs) {
        long epoch = nextOffset();
        apply(control.register(cluster, image, registration(id, incarnation, rack), epoch, Map.of(), nowMs));
        return epoch;
    }

    /** A heartbeat from broker {@code id} at its current epoch, reporting the latest offset. */
    BrokerHeartbeatResponseData heartbeat(ClusterControl control, int id, boolean wantShutDown, long nowMs) {
        return apply(control.heartbeat(cluster, image, new BrokerHeartbeatRequestData().setBrokerId(id)
                .setBrokerEpoch(cluster.broker(id).epoch()).setCurrentMetadataOffset(image.offset())
                .setWantShutDown(wantShutDown), nowMs));
    }

    /** Registers broker {@code id} and unfences it with a caught-up heartbeat. */
    void registerUnfenced(ClusterControl control, int id, String rack, long nowMs) {
        register(control, id, Uuid.randomUuid(), rack, nowMs);
        heartbeat(control, id, false, nowMs);
    }
}
