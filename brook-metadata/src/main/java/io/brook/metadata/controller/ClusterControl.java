package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.BrokerRegistration.FeatureRange;
import io.brook.metadata.image.ClusterDelta;
import io.brook.metadata.image.ClusterImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.InconsistentClusterIdException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.FenceBrokerRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.UnfenceBrokerRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The active controller's decisions about brokers (KRaft's {@code ClusterControlManager} with its
 * {@code BrokerHeartbeatManager}): registration, heartbeats, fencing, controlled shutdown and
 * unregistration. Each decision takes the current (proposed) {@link ClusterImage} and
 * {@link MetadataImage}, the request and the time, and returns the records to write with the
 * answer to give once they are committed; a refused request throws the Kafka
 * {@link org.apache.kafka.common.errors.ApiException} for its error code and writes nothing.
 *
 * <p>Hard state (registrations, fenced, in controlled shutdown) lives only in the image, so every
 * controller that replays the log agrees on it. Soft state lives here and is never written: when
 * each broker last made contact, the metadata offset it last reported, and the offset its
 * controlled shutdown waits for. A controller that becomes active calls {@link #activate} so every
 * registered broker gets a full session before it can be fenced; a standby keeps no soft state.
 *
 * <p>Rules:
 * <ul>
 *   <li>A registration gets epoch = the offset of its {@code RegisterBrokerRecord} (supplied by the
 *       caller) and starts fenced. A registration of an id whose current incarnation still has a live
 *       session is refused with DUPLICATE_BROKER_REGISTRATION; otherwise it replaces the old one, whose
 *       leaderships and ISR places are given up in the same batch. The same incarnation registering
 *       again (a retry whose answer was lost) gets a new epoch and keeps its fenced and controlled
 *       shutdown state, as Kafka amends such a registration.</li>
 *   <li>A heartbeat with another epoch is refused with STALE_BROKER_EPOCH (unknown id:
 *       BROKER_ID_NOT_REGISTERED). It renews the session. A fenced broker is unfenced once the metadata
 *       offset it reports has reached its registration (it has seen itself registered), unless it asks
 *       to stay fenced or is in controlled shutdown; leaderless partitions it can lead get it as leader.</li>
 *   <li>{@code wantShutDown} from an unfenced broker starts a controlled shutdown: the broker is marked,
 *       its leaderships move to other usable ISR replicas (or -1) and it leaves the ISRs. It is told
 *       {@code shouldShutDown} at once when nothing had to move, else once it leads nothing and every
 *       other usable broker has reported a metadata offset at or past the image that shows the moves
 *       (so no client is sent to it by a broker that has not heard); it is fenced with that answer, as Kafka's
 *       {@code SHUTDOWN_NOW}, so that it is listed no more. A fenced broker may shut down at once.</li>
 *   <li>{@link #fenceStaleBrokers} fences every unfenced broker silent for longer than
 *       {@code broker.session.timeout.ms} and moves its leaderships the same way; a broker silent for
 *       the timeout or less is never fenced by it.</li>
 *   <li>Where a partition is left with no usable ISR replica, {@code unclean.leader.election.enable}
 *       (topic override, else the cluster's dynamic default, else this controller's static one) decides
 *       between no leader and an unclean election ({@link PartitionMoves}).</li>
 *   <li>Log directories (KIP-858): a heartbeat that names online directories of the broker as offline writes its
 *       registration without them and takes its replicas there out of their leadership and ISR (its other replicas
 *       stay); one that leaves it no online directory fences it. Such a heartbeat changes nothing else (no unfencing,
 *       no shutdown step): the next one does. AssignReplicasToDirs ({@link #assignReplicasToDirs}) records which
 *       directory holds each replica; a replica in no online directory never leads ({@link PartitionMoves}).</li>
 *   <li>With eligible leader replicas on (the image's {@code eligible.leader.replicas.version} at 1), a broker that
 *       leaves (fenced, in controlled shutdown, re-registered, unregistered) enters the ELR of every partition whose
 *       ISR it leaves below the minimum ISR; an unregistered one stays in the ELRs it is in, unelectable.</li>
 * </ul>
 *
 * <p>Thread-safety: not thread-safe; the controller calls it from its single decision thread.
 */
public final class ClusterControl {
    /** Kafka's default {@code broker.session.timeout.ms}. */
    public static final long DEFAULT_SESSION_TIMEOUT_MS = 9_000;

    /** One broker's soft state: last contact, last reported metadata offset, controlled shutdown target. */
    private static final class Session {
        long lastContactMs;
        long metadataOffset = -1;
        /** The image offset that must reach every other usable broker before it may stop; -1 until known. */
        long shutdownOffset = -1;

        Session(long lastContactMs) {
            this.lastContactMs = lastContactMs;
        }
    }

    /** The {@code BrokerRegistrationChangeRecord} version that carries {@code LogDirs} (Kafka's 2). */
    private static final short BROKER_REGISTRATION_CHANGE_VERSION = 2;

    private final String clusterId;
    private final long sessionTimeoutMs;
    /** The controller's static {@code unclean.leader.election.enable} (topic and dynamic cluster configs win). */
    private final boolean uncleanLeaderElectionDefault;
    private final Map<Integer, Session> sessions = new HashMap<>();

    /**
     * A controller that never elects an unclean leader unless a topic or the cluster's dynamic config asks.
     *
     * @param clusterId        the cluster id registrations must carry
     * @param sessionTimeoutMs {@code broker.session.timeout.ms}: silence longer than this fences a broker
     */
    public ClusterControl(String clusterId, long sessionTimeoutMs) {
        this(clusterId, sessionTimeoutMs, false);
    }

    /**
     * @param uncleanLeaderElectionDefault the controller's {@code unclean.leader.election.enable}: whether a
     *                                     partition with no usable ISR replica may be led by another replica
     *                                     (a topic override or the cluster's dynamic broker config wins)
     */
    public ClusterControl(String clusterId, long sessionTimeoutMs, boolean uncleanLeaderElectionDefault) {
        if (sessionTimeoutMs <= 0) {
            throw new IllegalArgumentException("session timeout must be positive, was " + sessionTimeoutMs);
        }
        this.clusterId = clusterId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.uncleanLeaderElectionDefault = uncleanLeaderElectionDefault;
    }

    /** The leadership moves taking {@code leaving} out, with this controller's unclean election rule. */
    private List<ApiMessageAndVersion> awayFrom(ClusterImage cluster, MetadataImage image, Set<Integer> leaving) {
        return awayFrom(cluster, image, leaving, false, Set.of());
    }

    /**
     * As above; {@code alsoElr}: the partitions whose ELR holds a leaving broker are visited too;
     * {@code uncleanShutdown}: leaving brokers that leave every ELR too (see {@link PartitionMoves#awayFrom}).
     */
    private List<ApiMessageAndVersion> awayFrom(ClusterImage cluster, MetadataImage image, Set<Integer> leaving,
                                                boolean alsoElr, Set<Integer> uncleanShutdown) {
        return PartitionMoves.awayFrom(image, leaving, b -> !leaving.contains(b) && cluster.usable(b),
                PartitionMoves.uncleanAllowed(image, uncleanLeaderElectionDefault), uncleanShutdown, alsoElr);
    }

    /** Becoming the active controller: every registered broker starts a fresh session at {@code nowMs}. */
    public void activate(ClusterImage cluster, long nowMs) {
        sessions.clear();
        for (int id : cluster.brokers().keySet()) {
            sessions.put(id, new Session(nowMs));
        }
    }

    /** Whether broker {@code id} has made contact within the session timeout before {@code nowMs}. */
    public boolean hasLiveSession(int id, long nowMs) {
        Session session = sessions.get(id);
        return session != null && !expired(session, nowMs);
    }

    private boolean expired(Session session, long nowMs) {
        return nowMs - session.lastContactMs > sessionTimeoutMs;
    }

    /**
     * Decides a BrokerRegistration request.
     *
     * @param brokerEpoch       the offset its {@code RegisterBrokerRecord} (the batch's first record) will get
     * @param finalizedFeatures finalized feature levels the broker must support (a feature it does not
     *                          list counts as supported at level 0 only)
     */
    public ClusterResult<BrokerRegistrationResponseData> register(ClusterImage cluster, MetadataImage image,
                                                                 BrokerRegistrationRequestData request,
                                                                 long brokerEpoch,
                                                                 Map<String, Short> finalizedFeatures,
                                                                 long nowMs) {
        if (!clusterId.equals(request.clusterId())) {
            throw new InconsistentClusterIdException("Expected cluster ID " + clusterId + ", but the broker sent "
                    + request.clusterId() + ".");
        }
        int id = request.brokerId();
        BrokerRegistration existing = cluster.broker(id);
        // a fenced registration (a broker that finished its controlled shutdown, or never caught up) may be
        // replaced at once: only a live, unfenced one means another process has this id
        if (existing != null && !existing.incarnationId().equals(request.incarnationId()) && !existing.fenced()
                && hasLiveSession(id, nowMs)) {
            throw new DuplicateBrokerRegistrationException("Another broker is registered with broker id " + id
                    + " (incarnation " + existing.incarnationId() + ") and its session is still alive.");
        }
        // the same incarnation again (its answer was lost) amends its registration and keeps its state;
        // a new one starts fenced
        boolean amend = existing != null && existing.incarnationId().equals(request.incarnationId());
        RegisterBrokerRecord record = new RegisterBrokerRecord().setBrokerId(id)
                .setIncarnationId(request.incarnationId()).setBrokerEpoch(brokerEpoch).setRack(request.rack())
                .setFenced(!amend || existing.fenced())
                .setInControlledShutdown(amend && existing.inControlledShutdown())
                .setLogDirs(new ArrayList<>(request.logDirs()));
        for (BrokerRegistrationRequestData.Listener l : request.listeners()) {
            record.endPoints().add(new RegisterBrokerRecord.BrokerEndpoint().setName(l.name()).setHost(l.host())
                    .setPort(l.port()).setSecurityProtocol(l.securityProtocol()));
        }
        for (BrokerRegistrationRequestData.Feature f : request.features()) {
            record.features().add(new RegisterBrokerRecord.BrokerFeature().setName(f.name())
                    .setMinSupportedVersion(f.minSupportedVersion()).setMaxSupportedVersion(f.maxSupportedVersion()));
        }
        BrokerRegistration registered = BrokerRegistration.fromRecord(record);
        checkFeatures(registered, finalizedFeatures);

        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(registered.toRecord());
        // a new incarnation after a clean shutdown names the epoch it closed with (KIP-966); any other may have lost
        // records the high watermark covered, so with eligible leader replicas on it leaves every ISR and ELR
        boolean cleanShutdown = existing != null && existing.epoch() == request.previousBrokerEpoch();
        if (!amend && (existing != null || image.elrEnabled())) {
            // the old incarnation is gone: its leaderships and ISR places go with it
            records.addAll(awayFrom(cluster, image, Set.of(id), false,
                    image.elrEnabled() && !cleanShutdown ? Set.of(id) : Set.of()));
        }
        sessions.put(id, new Session(nowMs));
        return ClusterResult.of(records, new BrokerRegistrationResponseData().setBrokerEpoch(brokerEpoch));
    }

    private static void checkFeatures(BrokerRegistration broker, Map<String, Short> finalizedFeatures) {
        for (Map.Entry<String, Short> finalized : finalizedFeatures.entrySet()) {
            FeatureRange supported = broker.supportedFeatures().getOrDefault(finalized.getKey(),
                    new FeatureRange((short) 0, (short) 0));
            if (!supported.contains(finalized.getValue())) {
                throw new UnsupportedVersionException("Broker " + broker.id() + " cannot register: the cluster's "
                        + finalized.getKey() + " is at level " + finalized.getValue() + ", and the broker supports "
                        + "levels " + supported.min() + " to " + supported.max() + ".");
            }
        }
    }

    /** Decides a BrokerHeartbeat request (see the class comment for the rules). */
    public ClusterResult<BrokerHeartbeatResponseData> heartbeat(ClusterImage cluster, MetadataImage image,
                                                               BrokerHeartbeatRequestData request, long nowMs) {
        int id = request.brokerId();
        BrokerRegistration broker = requireEpoch(cluster, id, request.brokerEpoch());
        Session session = sessions.computeIfAbsent(id, k -> new Session(nowMs));
        session.lastContactMs = nowMs;
        session.metadataOffset = request.currentMetadataOffset();
        boolean caughtUp = request.currentMetadataOffset() >= broker.epoch();

        List<ApiMessageAndVersion> records = new ArrayList<>();
        boolean fenced = broker.fenced();
        boolean shouldShutDown = false;
        Set<Uuid> newlyOffline = new HashSet<>(request.offlineLogDirs());
        newlyOffline.retainAll(broker.logDirs());
        if (!newlyOffline.isEmpty()) {
            List<Uuid> online = broker.logDirs().stream().filter(dir -> !newlyOffline.contains(dir)).toList();
            if (online.isEmpty() && !broker.fenced()) {
                // nothing left to serve from: out of every partition, as a fenced broker (it stops by itself)
                records.add(fenceRecord(broker));
                records.addAll(awayFrom(cluster, image, Set.of(id)));
                fenced = true;
            } else if (!online.isEmpty()) {
                records.add(new ApiMessageAndVersion(new BrokerRegistrationChangeRecord().setBrokerId(id)
                        .setBrokerEpoch(broker.epoch()).setLogDirs(new ArrayList<>(online)),
                        BROKER_REGISTRATION_CHANGE_VERSION));
                records.addAll(PartitionMoves.awayFromDirectories(image, id, newlyOffline, cluster::usable,
                        PartitionMoves.uncleanAllowed(image, uncleanLeaderElectionDefault)));
            }
            // the rest waits for the next heartbeat, which sees the directories gone (an unfencing now could elect
            // this broker where its directory just failed)
            return ClusterResult.of(records, new BrokerHeartbeatResponseData().setIsCaughtUp(caughtUp)
                    .setIsFenced(fenced).setShouldShutDown(fenced && request.wantShutDown()));
        }
        if (broker.fenced()) {
            if (request.wantShutDown()) {
                shouldShutDown = true; // leads nothing, in no ISR that needs it: may go at once
            } else if (!request.wantFence() && caughtUp && !broker.inControlledShutdown()) {
                records.add(new ApiMessageAndVersion(new UnfenceBrokerRecord().setId(id).setEpoch(broker.epoch()),
                        (short) 0));
                records.addAll(PartitionMoves.electLeaderless(image, b -> b == id || cluster.usable(b),
                        PartitionMoves.uncleanAllowed(image, uncleanLeaderElectionDefault)));
                fenced = false;
            }
        } else if (broker.inControlledShutdown()) {
            if (PartitionMoves.leadsAny(image, id)) {
                // led something again (or the moves were lost with a leader change): move it again
                records.addAll(awayFrom(cluster, image, Set.of(id)));
                session.shutdownOffset = -1;
            } else {
                if (session.shutdownOffset < 0) {
                    session.shutdownOffset = image.offset();
                }
                shouldShutDown = othersReached(cluster, id, session.shutdownOffset);
            }
        } else if (request.wantFence()) {
            records.add(fenceRecord(broker));
            records.addAll(awayFrom(cluster, image, Set.of(id)));
            fenced = true;
            shouldShutDown = request.wantShutDown();
        } else if (request.wantShutDown()) {
            records.add(new ApiMessageAndVersion(new BrokerRegistrationChangeRecord().setBrokerId(id)
                    .setBrokerEpoch(broker.epoch()).setInControlledShutdown(ClusterDelta.IN_CONTROLLED_SHUTDOWN),
                    (short) 1));
            List<ApiMessageAndVersion> moves = awayFrom(cluster, image, Set.of(id));
            records.addAll(moves);
            shouldShutDown = moves.isEmpty(); // nothing moved: nobody has anything to learn first
        }
        if (shouldShutDown && !fenced) {
            // a controlled shutdown granted: fenced at once, as Kafka's SHUTDOWN_NOW, so that no client is sent to it
            records.add(fenceRecord(broker));
            fenced = true;
        }
        return ClusterResult.of(records, new BrokerHeartbeatResponseData().setIsCaughtUp(caughtUp)
                .setIsFenced(fenced).setShouldShutDown(shouldShutDown));
    }

    /**
     * Decides an AssignReplicasToDirs request (KIP-858): broker {@code request.brokerId()} names the log directory
     * holding each of its replicas listed. A changed directory is written into the partition; a replica in a directory
     * that is not online (it failed before the assignment arrived) also leaves the partition's leadership and ISR, as
     * in a heartbeat that reports the directory offline. Per partition: UNKNOWN_TOPIC_ID,
     * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (the broker holds no replica of it). Refusal of the whole
     * request: BROKER_ID_NOT_REGISTERED, STALE_BROKER_EPOCH.
     */
    public ClusterResult<AssignReplicasToDirsResponseData> assignReplicasToDirs(ClusterImage cluster,
                                                                               MetadataImage image,
                                                                               AssignReplicasToDirsRequestData request) {
        int id = request.brokerId();
        BrokerRegistration broker = requireEpoch(cluster, id, request.brokerEpoch());
        List<ApiMessageAndVersion> records = new ArrayList<>();
        Set<Uuid> offline = new HashSet<>();
        AssignReplicasToDirsResponseData response = new AssignReplicasToDirsResponseData();
        for (AssignReplicasToDirsRequestData.DirectoryData dir : request.directories()) {
            AssignReplicasToDirsResponseData.DirectoryData dirAnswer =
                    new AssignReplicasToDirsResponseData.DirectoryData().setId(dir.id());
            response.directories().add(dirAnswer);
            for (AssignReplicasToDirsRequestData.TopicData topic : dir.topics()) {
                AssignReplicasToDirsResponseData.TopicData topicAnswer =
                        new AssignReplicasToDirsResponseData.TopicData().setTopicId(topic.topicId());
                dirAnswer.topics().add(topicAnswer);
                TopicImage topicImage = image.topicsById().get(topic.topicId());
                for (AssignReplicasToDirsRequestData.PartitionData partition : topic.partitions()) {
                    Errors error = Errors.NONE;
                    PartitionImage p = topicImage == null ? null : topicImage.partitions().get(partition.partitionIndex());
                    if (topicImage == null) {
                        error = Errors.UNKNOWN_TOPIC_ID;
                    } else if (p == null) {
                        error = Errors.UNKNOWN_TOPIC_OR_PARTITION;
                    } else if (!p.replicas().contains(id)) {
                        error = Errors.NOT_LEADER_OR_FOLLOWER;
                    } else if (!p.directory(id).equals(dir.id())) {
                        records.add(new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(topic.topicId())
                                .setPartitionId(p.partition()).setDirectories(p.directoriesWith(id, dir.id())),
                                MetadataVersion.LATEST_PRODUCTION.partitionChangeRecordVersion()));
                        if (!broker.hasOnlineDir(dir.id())) {
                            offline.add(dir.id());
                        }
                    }
                    topicAnswer.partitions().add(new AssignReplicasToDirsResponseData.PartitionData()
                            .setPartitionIndex(partition.partitionIndex()).setErrorCode(error.code()));
                }
            }
        }
        if (!offline.isEmpty()) {
            // decided on the image with the new directories, so the moves find these replicas where they are
            MetadataDelta delta = new MetadataDelta(image);
            records.forEach(delta::replay);
            MetadataImage assigned = delta.apply(image.offset());
            records.addAll(PartitionMoves.awayFromDirectories(assigned, id, offline, cluster::usable,
                    PartitionMoves.uncleanAllowed(image, uncleanLeaderElectionDefault)));
        }
        return ClusterResult.of(records, response);
    }

    /** Whether every usable broker but {@code self} has reported a metadata offset of at least {@code offset}. */
    private boolean othersReached(ClusterImage cluster, int self, long offset) {
        for (BrokerRegistration other : cluster.brokers().values()) {
            if (other.id() == self || !other.usable()) {
                continue;
            }
            Session session = sessions.get(other.id());
            if (session == null || session.metadataOffset < offset) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fences every unfenced broker silent for longer than the session timeout at {@code nowMs}, and
     * moves its leaderships. A registered broker this controller has no session for (registered by an
     * earlier active controller after this one activated) gets a fresh session instead.
     *
     * @return the records and the ids of the brokers fenced, ascending
     */
    public ClusterResult<List<Integer>> fenceStaleBrokers(ClusterImage cluster, MetadataImage image, long nowMs) {
        Set<Integer> stale = new TreeSet<>();
        for (BrokerRegistration broker : cluster.brokers().values()) {
            if (broker.fenced()) {
                continue;
            }
            Session session = sessions.get(broker.id());
            if (session == null) {
                sessions.put(broker.id(), new Session(nowMs));
            } else if (expired(session, nowMs)) {
                stale.add(broker.id());
            }
        }
        if (stale.isEmpty()) {
            return ClusterResult.of(List.of(), List.of());
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (int id : stale) {
            records.add(fenceRecord(cluster.broker(id)));
        }
        records.addAll(awayFrom(cluster, image, stale));
        return ClusterResult.of(records, List.copyOf(stale));
    }

    /** Decides an UnregisterBroker request: its leaderships and ISR places go, then its registration. */
    public ClusterResult<Void> unregister(ClusterImage cluster, MetadataImage image, int brokerId) {
        BrokerRegistration broker = cluster.broker(brokerId);
        if (broker == null) {
            throw new BrokerIdNotRegisteredException("Broker " + brokerId + " is not registered.");
        }
        List<ApiMessageAndVersion> records = new ArrayList<>(awayFrom(cluster, image, Set.of(brokerId), true, Set.of()));
        records.add(new ApiMessageAndVersion(new UnregisterBrokerRecord().setBrokerId(brokerId)
                .setBrokerEpoch(broker.epoch()), (short) 0));
        sessions.remove(brokerId);
        return ClusterResult.of(records, null);
    }

    private static BrokerRegistration requireEpoch(ClusterImage cluster, int id, long epoch) {
        BrokerRegistration broker = cluster.broker(id);
        if (broker == null) {
            throw new BrokerIdNotRegisteredException("Broker " + id + " is not registered.");
        }
        if (broker.epoch() != epoch) {
            throw new StaleBrokerEpochException("Broker " + id + " sent epoch " + epoch + ", but its registration "
                    + "has epoch " + broker.epoch() + ".");
        }
        return broker;
    }

    private static ApiMessageAndVersion fenceRecord(BrokerRegistration broker) {
        return new ApiMessageAndVersion(new FenceBrokerRecord().setId(broker.id()).setEpoch(broker.epoch()),
                (short) 0);
    }
}
