package io.brook.metadata.image;

import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The registered brokers at one point of the metadata log (KRaft's {@code ClusterImage}), by id.
 * Made only by {@link ClusterDelta#apply()}; an image shares every broker the delta did not touch
 * with the image it came from ({@link PersistentMap}), so a heartbeat that unfences one broker of
 * a hundred copies one registration, not a hundred.
 *
 * <p>Thread-safety: immutable, shared freely between threads.
 */
public final class ClusterImage {
    public static final ClusterImage EMPTY = new ClusterImage(PersistentMap.empty());

    private final PersistentMap<Integer, BrokerRegistration> brokers;

    ClusterImage(PersistentMap<Integer, BrokerRegistration> brokers) {
        this.brokers = brokers;
    }

    /** The registration of broker {@code id}, or null when it is not registered. */
    public BrokerRegistration broker(int id) {
        return brokers.get(id);
    }

    /** Every registered broker by id (read-only). */
    public PersistentMap<Integer, BrokerRegistration> brokers() {
        return brokers;
    }

    /** Whether broker {@code id} is registered, unfenced and not in controlled shutdown. */
    public boolean usable(int id) {
        BrokerRegistration broker = brokers.get(id);
        return broker != null && broker.usable();
    }

    /**
     * Whether broker {@code id} may lead {@code partition}: usable, and the log directory holding its replica online
     * (KIP-858; Kafka's controller's {@code LeaderAcceptor}).
     */
    public boolean usable(int id, PartitionImage partition) {
        return usable(id) && hasOnlineReplica(id, partition);
    }

    /**
     * Whether the log directory holding broker {@code id}'s replica of {@code partition} is online; true for a broker
     * that is not registered (a single node has no registrations: whether it may lead is the caller's other test).
     */
    public boolean hasOnlineReplica(int id, PartitionImage partition) {
        BrokerRegistration broker = brokers.get(id);
        return broker == null || broker.hasOnlineDir(partition.directory(id));
    }

    /** The directory a new replica on broker {@code id} starts in ({@link BrokerRegistration#defaultDir}). */
    public Uuid defaultDir(int id) {
        BrokerRegistration broker = brokers.get(id);
        return broker == null ? DirectoryId.UNASSIGNED : broker.defaultDir();
    }

    /** The records that rebuild this image from an empty one (for snapshots), by broker id. */
    public List<ApiMessageAndVersion> toRecords() {
        List<BrokerRegistration> sorted = new ArrayList<>(brokers.values());
        sorted.sort(Comparator.comparingInt(BrokerRegistration::id));
        List<ApiMessageAndVersion> records = new ArrayList<>(sorted.size());
        for (BrokerRegistration broker : sorted) {
            records.add(broker.toRecord());
        }
        return records;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClusterImage other && brokers.equals(other.brokers);
    }

    @Override
    public int hashCode() {
        return brokers.hashCode();
    }

    @Override
    public String toString() {
        return "ClusterImage" + brokers.values();
    }
}
