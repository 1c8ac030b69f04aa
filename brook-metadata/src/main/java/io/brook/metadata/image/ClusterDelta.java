package io.brook.metadata.image;

import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.FenceBrokerRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.UnfenceBrokerRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The changes a run of broker records makes to a base {@link ClusterImage} (KRaft's
 * {@code ClusterDelta}): {@code RegisterBrokerRecord} (a new registration replaces any registration
 * of the same id), {@code FenceBrokerRecord}, {@code UnfenceBrokerRecord},
 * {@code BrokerRegistrationChangeRecord} (fence / unfence / enter controlled shutdown, with Kafka's
 * byte encoding: fenced 1 = fence, -1 = unfence, 0 = no change; inControlledShutdown 1 = enter,
 * 0 = no change; a non-empty {@code LogDirs} replaces the online log directories) and {@code UnregisterBrokerRecord}.
 *
 * <p>A change record must name a registered broker and its current epoch (a record for an older
 * incarnation would otherwise fence the new one); one that does not throws
 * {@link IllegalStateException} and leaves the delta unusable, as {@link MetadataDelta} does.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied.
 */
public final class ClusterDelta {
    /** Kafka's {@code BrokerRegistrationFencingChange} byte values. */
    public static final byte FENCE = 1;
    public static final byte UNFENCE = -1;
    /** Kafka's {@code BrokerRegistrationInControlledShutdownChange} value for entering controlled shutdown. */
    public static final byte IN_CONTROLLED_SHUTDOWN = 1;

    private final ClusterImage base;
    /** Brokers the delta registered or changed (a value) or unregistered (empty), in order of first change. */
    private final Map<Integer, Optional<BrokerRegistration>> changed = new LinkedHashMap<>();

    public ClusterDelta(ClusterImage base) {
        this.base = base;
    }

    public ClusterImage base() {
        return base;
    }

    /**
     * Adds one record to the delta when it is one of the five broker records.
     *
     * @return whether {@code message} was a broker record (other records are left to their own deltas)
     */
    public boolean replay(ApiMessage message) {
        if (message instanceof RegisterBrokerRecord r) {
            changed.put(r.brokerId(), Optional.of(BrokerRegistration.fromRecord(r)));
        } else if (message instanceof FenceBrokerRecord r) {
            changed.put(r.id(), Optional.of(require(r.id(), r.epoch(), "fence").withFenced(true)));
        } else if (message instanceof UnfenceBrokerRecord r) {
            changed.put(r.id(), Optional.of(require(r.id(), r.epoch(), "unfence").withFenced(false)));
        } else if (message instanceof BrokerRegistrationChangeRecord r) {
            replayChange(r);
        } else if (message instanceof UnregisterBrokerRecord r) {
            require(r.brokerId(), r.brokerEpoch(), "unregister");
            changed.put(r.brokerId(), Optional.empty());
        } else {
            return false;
        }
        return true;
    }

    private void replayChange(BrokerRegistrationChangeRecord r) {
        BrokerRegistration broker = require(r.brokerId(), r.brokerEpoch(), "change");
        switch (r.fenced()) {
            case FENCE -> broker = broker.withFenced(true);
            case UNFENCE -> broker = broker.withFenced(false);
            case 0 -> { }
            default -> throw new IllegalStateException("broker registration change for broker " + r.brokerId()
                    + " with unknown fencing change " + r.fenced());
        }
        switch (r.inControlledShutdown()) {
            case IN_CONTROLLED_SHUTDOWN -> broker = broker.withInControlledShutdown(true);
            case 0 -> { }
            default -> throw new IllegalStateException("broker registration change for broker " + r.brokerId()
                    + " with unknown controlled shutdown change " + r.inControlledShutdown());
        }
        if (!r.logDirs().isEmpty()) { // empty: unchanged (Kafka's tagged field left out)
            broker = broker.withLogDirs(r.logDirs());
        }
        changed.put(r.brokerId(), Optional.of(broker));
    }

    /** The live registration of {@code id}, which must have epoch {@code epoch}. */
    private BrokerRegistration require(int id, long epoch, String what) {
        BrokerRegistration broker = broker(id);
        if (broker == null) {
            throw new IllegalStateException("cannot " + what + " broker " + id + ": it is not registered");
        }
        if (broker.epoch() != epoch) {
            throw new IllegalStateException("cannot " + what + " broker " + id + " at epoch " + epoch
                    + ": its registration has epoch " + broker.epoch());
        }
        return broker;
    }

    /** Broker {@code id} as of the records replayed so far, or null when it is not registered. */
    public BrokerRegistration broker(int id) {
        Optional<BrokerRegistration> change = changed.get(id);
        if (change != null) {
            return change.orElse(null);
        }
        return base.broker(id);
    }

    /**
     * Brokers the delta registered or changed (mapped to their registration) or unregistered
     * (mapped to empty), in order of first change (read-only).
     */
    public Map<Integer, Optional<BrokerRegistration>> changedBrokers() {
        return Collections.unmodifiableMap(changed);
    }

    /** The image after this delta. */
    public ClusterImage apply() {
        if (changed.isEmpty()) {
            return base;
        }
        PersistentMap<Integer, BrokerRegistration> brokers = base.brokers();
        for (Map.Entry<Integer, Optional<BrokerRegistration>> e : changed.entrySet()) {
            brokers = e.getValue().isPresent() ? brokers.plus(e.getKey(), e.getValue().get())
                    : brokers.minus(e.getKey());
        }
        return new ClusterImage(brokers);
    }
}
