package io.brook.server.controller;


import org.apache.kafka.common.message.UpdateFeaturesResponseData;
import org.apache.kafka.common.message.UpdateFeaturesRequestData;
import io.brook.metadata.controller.ClusterControl;
import io.brook.metadata.controller.ClusterResult;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.FeatureBootstrap;
import io.brook.metadata.controller.FeatureControl;
import io.brook.metadata.controller.IsrControl;
import io.brook.metadata.controller.LeaderElection;
import io.brook.metadata.controller.AclControl;
import io.brook.metadata.controller.AclControl.AclDeletion;
import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.controller.ScramControl;
import io.brook.metadata.controller.BrokerConfigControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The operations of {@link ControllerChannel} decided by the controller running in this process.
 * The defaults (partition count and replication factor of a topic that names none) are the
 * controller's own, as in Kafka.
 *
 * <p>Broker lifecycle: the brokers' sessions live in one {@link ClusterControl} (soft state, never
 * written), touched only inside decisions and the activation listener, so only on the controller's
 * thread. Each time the controller becomes active it gives every registered broker a fresh session
 * ({@link ClusterControl#activate}); {@link #fenceStaleBrokers} is the periodic fence pass
 * ({@link ActiveControllerTimer#brokerFencer} calls it). Session times come from a monotonic clock.
 */
public final class LocalControllerChannel implements ControllerChannel {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalControllerChannel.class);
    /** The controller's static min.insync.replicas, for the records that switch eligible leader replicas on. */
    private volatile int staticMinIsr = 1;

    private final MetadataController controller;
    private final Supplier<List<Integer>> brokers;
    private final int defaultPartitions;
    private final short defaultReplicationFactor;
    private final int maxReplicationFactor;
    private final Supplier<QuorumDescription> quorum;

    /** Broker sessions and decisions (null: this channel takes no broker registrations); controller thread only. */
    private final ClusterControl cluster;
    private final LongSupplier clock;

    /**
     * A channel without the broker lifecycle (the single node, its own only broker): registrations,
     * heartbeats and unregistrations are refused with UNSUPPORTED_VERSION.
     *
     * @param brokers              the ids of the brokers new partitions may be placed on
     * @param maxReplicationFactor the most replicas a partition may have on top of the broker count (1 in a
     *                             cluster until partitions are replicated between brokers)
     * @param quorum               the metadata quorum as this controller sees it
     */
    public LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers,
                                  int defaultPartitions, short defaultReplicationFactor, int maxReplicationFactor,
                                  Supplier<QuorumDescription> quorum) {
        this(controller, brokers, defaultPartitions, defaultReplicationFactor, maxReplicationFactor, quorum, null, 0,
                () -> 0);
    }

    /**
     * A channel that also decides the broker lifecycle.
     *
     * @param clusterId        the cluster id registrations must carry
     * @param sessionTimeoutMs {@code broker.session.timeout.ms}
     */
    public LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers,
                                  int defaultPartitions, short defaultReplicationFactor, int maxReplicationFactor,
                                  Supplier<QuorumDescription> quorum, String clusterId, long sessionTimeoutMs) {
        this(controller, brokers, defaultPartitions, defaultReplicationFactor, maxReplicationFactor, quorum, clusterId,
                sessionTimeoutMs, false);
    }

    /**
     * As above, with the controller's {@code unclean.leader.election.enable} (a topic's override and the
     * cluster's dynamic broker config win over it).
     */
    public LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers,
                                  int defaultPartitions, short defaultReplicationFactor, int maxReplicationFactor,
                                  Supplier<QuorumDescription> quorum, String clusterId, long sessionTimeoutMs,
                                  boolean uncleanLeaderElectionDefault) {
        this(controller, brokers, defaultPartitions, defaultReplicationFactor, maxReplicationFactor, quorum, clusterId,
                sessionTimeoutMs, uncleanLeaderElectionDefault, () -> System.nanoTime() / 1_000_000);
    }

    /** As above, with the clock (milliseconds, only differences count) the sessions are timed by. */
    LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers, int defaultPartitions,
                           short defaultReplicationFactor, int maxReplicationFactor,
                           Supplier<QuorumDescription> quorum, String clusterId, long sessionTimeoutMs,
                           LongSupplier clock) {
        this(controller, brokers, defaultPartitions, defaultReplicationFactor, maxReplicationFactor, quorum, clusterId,
                sessionTimeoutMs, false, clock);
    }

    LocalControllerChannel(MetadataController controller, Supplier<List<Integer>> brokers, int defaultPartitions,
                           short defaultReplicationFactor, int maxReplicationFactor,
                           Supplier<QuorumDescription> quorum, String clusterId, long sessionTimeoutMs,
                           boolean uncleanLeaderElectionDefault, LongSupplier clock) {
        this.controller = controller;
        this.brokers = brokers;
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
        this.maxReplicationFactor = maxReplicationFactor;
        this.quorum = quorum;
        this.clock = clock;
        this.cluster = clusterId == null ? null : new ClusterControl(clusterId, sessionTimeoutMs,
                uncleanLeaderElectionDefault);
        if (cluster != null) {
            controller.addActivationListener(image -> cluster.activate(image.cluster(), clock.getAsLong()));
        }
    }

    /**
     * Writes a new cluster's first records ({@link FeatureBootstrap}: the eligible-leader-replicas level, with the
     * cluster-wide min.insync.replicas it needs) when this node becomes the active controller of an empty log.
     */
    public void bootstrapFeatures(short elrLevel, int staticMinIsr) {
        this.staticMinIsr = staticMinIsr;
        controller.addActivationListener(image -> {
            if (image.offset() < 0 && elrLevel > 0) {
                controller.submit(proposed -> ControllerResult.of(FeatureBootstrap.records(proposed, elrLevel,
                        staticMinIsr), null)).whenComplete((ok, failure) -> {
                            if (failure != null) { // the next active controller of the empty log tries again
                                log.warn("Writing the cluster's first feature records failed: {}", failure.toString());
                            }
                        });
            }
        });
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
    public CompletableFuture<Void> alterBrokerConfigs(String resourceName, Map<String, String> configs,
                                                      boolean validateOnly) {
        return controller.submit(image -> BrokerConfigControl.replaceConfigs(image, resourceName, configs),
                validateOnly);
    }

    @Override
    public CompletableFuture<Void> alterTopicConfigs(String topic, Map<String, String> overrides,
                                                     boolean validateOnly) {
        return controller.submit(image -> TopicControl.alterConfigs(image, topic, overrides, true), validateOnly);
    }

    @Override
    public CompletableFuture<List<ApiError>> createAcls(List<AclBinding> bindings) {
        return controller.submit(image -> AclControl.createAcls(image, bindings, Uuid::randomUuid));
    }

    @Override
    public CompletableFuture<List<AclDeletion>> deleteAcls(List<AclBindingFilter> filters) {
        return controller.submit(image -> AclControl.deleteAcls(image, filters));
    }

    @Override
    public CompletableFuture<ProducerIdBlock> allocateProducerIds(int brokerId) {
        return controller.submit(ProducerIdControl::allocateBlock)
                .thenApply(first -> new ProducerIdBlock(first, ProducerIdControl.BLOCK_SIZE));
    }

    // ---- broker lifecycle (issue 18) ----

    @Override
    public CompletableFuture<BrokerRegistrationResponseData> registerBroker(BrokerRegistrationRequestData request) {
        if (cluster == null) {
            return noLifecycle();
        }
        // the broker epoch is the offset of its RegisterBrokerRecord: the first record of this batch
        return controller.submit(image -> result(cluster.register(image.cluster(), image, request,
                image.offset() + 1, image.features(), clock.getAsLong())));
    }

    @Override
    public CompletableFuture<BrokerHeartbeatResponseData> brokerHeartbeat(BrokerHeartbeatRequestData request) {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> {
            ClusterResult<BrokerHeartbeatResponseData> decided = cluster.heartbeat(image.cluster(), image, request,
                    clock.getAsLong());
            logOfflineDirs(image, request, decided);
            return result(decided);
        });
    }

    @Override
    public CompletableFuture<Void> unregisterBroker(int brokerId) {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> result(cluster.unregister(image.cluster(), image, brokerId)));
    }

    /**
     * AlterPartition, decided against the proposed image (so a change still being committed counts: a
     * request naming the partition epoch before it is refused, as Kafka's controller does). Needs the
     * broker lifecycle: without registrations no broker epoch could match.
     */
    @Override
    public CompletableFuture<AlterPartitionResponseData> alterPartition(AlterPartitionRequestData request) {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> result(IsrControl.alterPartition(image, request)));
    }

    /** AssignReplicasToDirs, decided against the proposed image; needs the broker lifecycle (registrations). */
    @Override
    public CompletableFuture<AssignReplicasToDirsResponseData> assignReplicasToDirs(
            AssignReplicasToDirsRequestData request) {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> result(cluster.assignReplicasToDirs(image.cluster(), image, request)));
    }

    /**
     * The fence pass: fences every broker silent for longer than the session timeout and moves its
     * leaderships; completes with the ids fenced. Fails with NOT_CONTROLLER where this node is not active.
     */
    public CompletableFuture<List<Integer>> fenceStaleBrokers() {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> result(cluster.fenceStaleBrokers(image.cluster(), image,
                clock.getAsLong())));
    }

    // ---- leader elections (issue 19) ----

    /**
     * ElectLeaders, decided against the proposed image. A single node (no broker lifecycle) answers it too, as Kafka's
     * single combined node: its one replica per partition leads, so no election is needed.
     */
    @Override
    public CompletableFuture<ElectLeadersResponseData> electLeaders(ElectLeadersRequestData request) {
        return controller.submit(image -> result(LeaderElection.electLeaders(image, request)));
    }

    // ---- partition reassignments (issue 19) ----

    /** AlterPartitionReassignments, decided against the proposed image; needs the broker lifecycle (registrations). */
    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponseData> alterPartitionReassignments(
            AlterPartitionReassignmentsRequestData request) {
        if (cluster == null) { // no registrations: the brokers this channel places partitions on are the brokers
            return controller.submit(image -> {
                List<Integer> own = brokers.get();
                return result(io.brook.metadata.controller.Reassignments.alter(image, request, own::contains,
                        own::contains));
            });
        }
        return controller.submit(image -> result(io.brook.metadata.controller.Reassignments.alter(image, request)));
    }

    /** ListPartitionReassignments: read on the controller thread from its image, writing nothing. */
    @Override
    public CompletableFuture<ListPartitionReassignmentsResponseData> listPartitionReassignments(
            ListPartitionReassignmentsRequestData request) {
        return controller.submit(image -> ControllerResult.of(List.of(), // a single node has none in progress
                io.brook.metadata.controller.Reassignments.list(image, request)));
    }

    /**
     * The preferred-leader rebalance ({@code auto.leader.rebalance.enable}): gives the partitions of every
     * broker above {@code imbalancePercentage} their usable, in-sync preferred replica back as leader;
     * completes with the partitions whose leader moved. Fails with NOT_CONTROLLER where this node is not active.
     */
    public CompletableFuture<List<TopicPartition>> rebalanceLeaders(int imbalancePercentage) {
        if (cluster == null) {
            return noLifecycle();
        }
        return controller.submit(image -> result(LeaderElection.rebalance(image, imbalancePercentage)));
    }

    /** One INFO line when a heartbeat reports log directories offline that the registration still had online. */
    private static void logOfflineDirs(MetadataImage image, BrokerHeartbeatRequestData request,
                                       ClusterResult<BrokerHeartbeatResponseData> decided) {
        BrokerRegistration broker = image.cluster().broker(request.brokerId());
        if (request.offlineLogDirs().isEmpty() || broker == null || decided.records().isEmpty()) {
            return;
        }
        List<Uuid> newlyOffline = request.offlineLogDirs().stream().filter(broker.logDirs()::contains).toList();
        if (!newlyOffline.isEmpty()) {
            long moves = decided.records().stream()
                    .filter(r -> r.message() instanceof org.apache.kafka.common.metadata.PartitionChangeRecord).count();
            log.info("Broker {} reports its log directories {} offline: {} partition change(s) move its replicas "
                    + "there out of leadership and ISR", request.brokerId(), newlyOffline, moves);
        }
    }

    private static <T> ControllerResult<T> result(ClusterResult<T> result) {
        return ControllerResult.of(result.records(), result.response());
    }

    private static <T> CompletableFuture<T> noLifecycle() {
        return CompletableFuture.failedFuture(new UnsupportedVersionException(
                "this controller does not take broker registrations"));
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> alterUserScramCredentials(
            AlterUserScramCredentialsRequestData request) {
        return controller.submit(image -> ScramControl.alter(image, request));
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponseData> alterClientQuotas(AlterClientQuotasRequestData request) {
        return controller.submit(image -> ClientQuotaControl.alter(image, request), request.validateOnly());
    }

    @Override
    public CompletableFuture<UpdateFeaturesResponseData> updateFeatures(UpdateFeaturesRequestData request) {
        int minIsr = staticMinIsr;
        return controller.submit(image -> FeatureControl.update(image, request, minIsr), request.validateOnly());
    }
}
