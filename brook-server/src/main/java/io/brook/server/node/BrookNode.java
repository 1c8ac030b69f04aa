package io.brook.server.node;

import io.brook.coordinator.group.GroupConfig;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.runtime.FollowerMetadataController;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.quorum.QuorumClient;
import io.brook.metadata.quorum.QuorumConfig;
import io.brook.metadata.quorum.QuorumTimeoutException;
import io.brook.metadata.quorum.RaftQuorum;
import io.brook.metadata.runtime.MetadataController;
import io.brook.metadata.runtime.QuorumMetadataController;
import io.brook.metadata.runtime.SnapshotPolicy;
import io.brook.server.controller.ActiveControllerTimer;
import io.brook.server.controller.AppliedWritesChannel;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.controller.ForwardedRequestServer;
import io.brook.server.controller.ForwardingControllerChannel;
import io.brook.server.controller.MetadataFetches;
import io.brook.server.controller.MetadataObservers;
import io.brook.server.controller.RoutingControllerChannel;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.controller.QuorumDescription;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.ApiRegistry;
import io.brook.server.config.BrokerConfig;
import io.brook.server.config.ConnectionLimitSettings;
import io.brook.coordinator.transaction.TransactionConfig;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.coordinator.CoordinatorAppender;
import io.brook.server.coordinator.CoordinatorLoader;
import io.brook.server.coordinator.RemoteTransactionVerifier;
import io.brook.server.coordinator.TransactionMarkerSender;
import io.brook.server.coordinator.CoordinatorTopics;
import io.brook.server.coordinator.LocalMarkerWriter;
import io.brook.server.coordinator.OffsetsTopic;
import io.brook.server.coordinator.TransactionTopic;
import io.brook.server.handlers.AddOffsetsToTxnHandler;
import io.brook.server.handlers.AfterCatchUp;
import io.brook.server.logging.LoggerLevels;
import io.brook.server.handlers.CreateAclsHandler;
import io.brook.server.handlers.DeleteAclsHandler;
import io.brook.server.handlers.DescribeAclsHandler;
import io.brook.server.handlers.ConsumerGroupDescribeHandler;
import io.brook.server.handlers.ConsumerGroupHeartbeatHandler;
import io.brook.server.handlers.AddPartitionsToTxnHandler;
import io.brook.server.handlers.DescribeTransactionsHandler;
import io.brook.server.handlers.EndTxnHandler;
import io.brook.server.handlers.ListTransactionsHandler;
import io.brook.server.handlers.TxnOffsetCommitHandler;
import io.brook.server.handlers.UnregisterBrokerHandler;
import io.brook.server.handlers.ElectLeadersHandler;
import io.brook.server.handlers.AlterPartitionReassignmentsHandler;
import io.brook.server.handlers.ListPartitionReassignmentsHandler;
import io.brook.server.handlers.WriteTxnMarkersHandler;
import io.brook.server.delayed.CoordinatorTimer;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.fetch.FetchSessionCache;
import io.brook.server.handlers.AlterConfigsHandler;
import io.brook.server.handlers.ApiVersionsHandler;
import io.brook.server.handlers.DeleteGroupsHandler;
import io.brook.server.handlers.DescribeGroupsHandler;
import io.brook.server.handlers.FindCoordinatorHandler;
import io.brook.server.handlers.HeartbeatHandler;
import io.brook.server.handlers.JoinGroupHandler;
import io.brook.server.handlers.LeaveGroupHandler;
import io.brook.server.handlers.ListGroupsHandler;
import io.brook.server.handlers.OffsetCommitHandler;
import io.brook.server.handlers.OffsetDeleteHandler;
import io.brook.server.handlers.OffsetFetchHandler;
import io.brook.server.handlers.SyncGroupHandler;
import io.brook.server.handlers.BrokerContext;
import io.brook.server.handlers.CreatePartitionsHandler;
import io.brook.server.handlers.CreateTopicsHandler;
import io.brook.server.handlers.DeleteRecordsHandler;
import io.brook.server.handlers.DeleteTopicsHandler;
import io.brook.server.handlers.DescribeClusterHandler;
import io.brook.server.handlers.ControllerDescribeClusterHandler;
import io.brook.server.handlers.AddRaftVoterHandler;
import io.brook.server.handlers.RemoveRaftVoterHandler;
import io.brook.server.handlers.VoterChanges;
import io.brook.server.handlers.DescribeQuorumHandler;
import io.brook.server.handlers.DescribeConfigsHandler;
import io.brook.server.handlers.DescribeLogDirsHandler;
import io.brook.server.handlers.AlterReplicaLogDirsHandler;
import io.brook.server.handlers.DescribeProducersHandler;
import io.brook.server.handlers.DescribeTopicPartitionsHandler;
import io.brook.server.handlers.FetchHandler;
import io.brook.server.handlers.IncrementalAlterConfigsHandler;
import io.brook.server.handlers.InitProducerIdHandler;
import io.brook.server.handlers.ListOffsetsHandler;
import io.brook.server.handlers.MetadataHandler;
import io.brook.server.handlers.OffsetForLeaderEpochHandler;
import io.brook.server.handlers.ProduceHandler;
import io.brook.server.network.NetworkServer;
import io.brook.server.network.tls.TlsListeners;
import io.brook.server.network.SaslListener;
import io.brook.server.config.SaslSettings;
import io.brook.server.handlers.AlterClientQuotasHandler;
import io.brook.server.handlers.UpdateFeaturesHandler;
import io.brook.server.handlers.AlterUserScramCredentialsHandler;
import io.brook.server.handlers.DescribeClientQuotasHandler;
import io.brook.server.quota.ClientQuotaManager;
import io.brook.server.quota.ConsumerFetchQuota;
import io.brook.server.quota.ConnectionRates;
import io.brook.server.quota.IpConnectionQuotas;
import io.brook.server.quota.ControllerMutationQuotaManager;
import io.brook.server.quota.RequestQuotas;
import io.brook.server.handlers.DescribeUserScramCredentialsHandler;
import io.brook.server.handlers.SaslAuthenticateHandler;
import io.brook.server.handlers.SaslHandshakeHandler;
import io.brook.server.security.sasl.SaslServers;
import io.brook.server.partition.ProducerIdManager;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.replication.AlterPartitionSender;
import io.brook.server.replication.BrokerClient;
import io.brook.server.replication.LeaderLink;
import io.brook.server.replication.ReplicaFetcherManager;
import io.brook.server.replication.ReplicationThrottles;
import io.brook.server.replication.ReplicaFetcher;
import io.brook.server.replication.ReplicationQuota;
import io.brook.server.security.acl.BrokerAuthorizer;
import io.brook.server.security.AuditLog;
import io.brook.server.security.acl.DenialLog;
import io.brook.storage.cleaner.LogCleaner;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ControllerRegistrationRequestData;
import org.apache.kafka.common.message.ControllerRegistrationResponseData;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * One Brook node, with Kafka's {@code process.roles}: broker and controller in one process (the single node and
 * combined cluster nodes), a controller only (a voter of the metadata quorum and, when it leads, the active
 * controller; no client listener, no partition logs) or a broker only (it follows the committed metadata log
 * from the active controller, {@link FollowerMetadataController}, and registers with it). A broker opens the
 * metadata and partition logs under its log directories, wires the request handlers and starts its listeners.
 * {@link #close} stops in reverse order and leaves the clean-shutdown marker.
 */
public final class BrookNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrookNode.class);
    /** This build's version, from the jar's manifest ("dev" when run from classes). */
    public static final String VERSION = java.util.Objects.requireNonNullElse(
            BrookNode.class.getPackage().getImplementationVersion(), "dev");
    /** Directory under the log dir that holds the metadata log. */
    public static final String METADATA_DIR = LogDir.METADATA_TOPIC + "-0";
    /** The transaction coordinator epoch of a single node (in a cluster: the state partition's leader epoch). */
    private static final int COORDINATOR_EPOCH = 0;
    /** Longest a start waits for the coordinator partitions it leads to be loaded before serving anyway. */
    private static final long COORDINATOR_START_LOAD_TIMEOUT_MS = 120_000;
    /** Requests waiting for a handler thread before new ones are refused. */
    private static final int MAX_QUEUED_REQUESTS = 10_000;
    /** Directory under the metadata log dir where the Raft quorum (Apache Ratis) keeps its log. */
    public static final String RAFT_DIR = "__raft";
    /** Longest a request forwarded to the active controller waits for its answer. */
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);
    /** Longest one metadata fetch of a broker-only node waits for the active controller (its long poll included). */
    private static final Duration METADATA_FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** Longest a starting node waits for the metadata quorum before giving up. */
    private static final Duration QUORUM_START_TIMEOUT = Duration.ofSeconds(120);
    private static final long QUORUM_WAIT_LOG_MS = 10_000;
    private static final long QUORUM_POLL_MS = 20;
    /**
     * How long the active controller has not heard from an observer (a Ratis listener) before it drops it, and how
     * often it looks: Ratis's leader retries a node that is down with a WARN every 250 ms. One that comes back asks
     * again ({@link ObserverRegistration}).
     */
    static final Duration OBSERVER_QUIET = Duration.ofSeconds(10);
    /** Longest the active controller tries to make a controller an observer (Ratis catches it up first). */
    private static final Duration OBSERVER_ADD_TIMEOUT = Duration.ofSeconds(30);
    /** How long one attempt of a joining controller to learn the voters from its bootstrap servers waits. */
    private static final long DISCOVERY_ATTEMPT_MS = 5_000;
    /** Longest a stop waits for the metadata change being applied to the hosted partitions (queued ones are dropped). */
    private static final long PUBLISHER_CLOSE_TIMEOUT_MS = 30_000;
    /** Longest an admin write waits for this broker to apply it before answering (it is committed either way). */
    private static final long APPLIED_WRITE_MAX_WAIT_MS = 10_000;
    /** Longest wait between two looks for idle segments (half the idle time when that is shorter). */
    private static final long MAX_IDLE_SEGMENT_CHECK_MS = 30_000;

    private final BrokerConfig config;
    private final ScheduledExecutorService scheduler;
    private final DelayedOperations delayed;
    private final ExecutorService requestExecutor;
    private final ExecutorService markerExecutor;
    private final CoordinatorLoader coordinatorLoader;
    private final TransactionMarkerSender markerSender;
    /** Null on a single node. */
    private final RemoteTransactionVerifier remoteTransactions;
    private final MetadataController controller;
    /** How this node reaches the active controller when it is not it; null on a single node. */
    private final QuorumClient quorumClient;
    /**
     * A controller's background tasks, closed in order before it: the active controller's timers (fence pass,
     * preferred-leader rebalance, observer sweep) and its own {@link ObserverRegistration}. Empty on other nodes.
     */
    private final List<AutoCloseable> controllerTasks;
    /** Completed with the reason once this node can no longer serve ({@link #mustStop}). */
    private final CompletableFuture<String> mustStop = new CompletableFuture<>();
    /** This broker's registration, heartbeats and controlled shutdown; null on a single node. */
    private final BrokerLifecycle lifecycle;
    private final LogManager logManager;
    private final ReplicaManager replicas;
    private final LogCleaner cleaner;
    private final NetworkServer network;
    private final InetSocketAddress boundAddress;
    private final String clusterId;
    /** The controller listener's Kafka side and quorum relay; null on a node that is no controller. */
    private final ControllerListener controllerListener;

    private BrookNode(BrokerConfig config, ScheduledExecutorService scheduler, DelayedOperations delayed,
                      ExecutorService requestExecutor, ExecutorService markerExecutor,
                      CoordinatorLoader coordinatorLoader, TransactionMarkerSender markerSender,
                      RemoteTransactionVerifier remoteTransactions,
                      MetadataController controller, QuorumClient quorumClient,
                      List<AutoCloseable> controllerTasks,
                      BrokerLifecycle lifecycle, LogManager logManager, ReplicaManager replicas,
                      LogCleaner cleaner, NetworkServer network, InetSocketAddress boundAddress, String clusterId,
                      ControllerListener controllerListener) {
        this.config = config;
        this.scheduler = scheduler;
        this.delayed = delayed;
        this.requestExecutor = requestExecutor;
        this.markerExecutor = markerExecutor;
        this.coordinatorLoader = coordinatorLoader;
        this.markerSender = markerSender;
        this.remoteTransactions = remoteTransactions;
        this.controller = controller;
        this.quorumClient = quorumClient;
        this.controllerTasks = controllerTasks;
        this.lifecycle = lifecycle;
        this.logManager = logManager;
        this.replicas = replicas;
        this.cleaner = cleaner;
        this.network = network;
        this.boundAddress = boundAddress;
        this.clusterId = clusterId;
        this.controllerListener = controllerListener;
    }

    /** Starts a node; returns once it accepts connections. */
    public static BrookNode start(BrokerConfig config) throws IOException, InterruptedException {
        long startNs = System.nanoTime();
        log.info("Starting Brook {} (node {}): listeners {}, log directories {}", VERSION, config.nodeId(),
                config.getString("listeners"), config.logDirs());
        log.info("{}", config.effectiveSettings());
        Time time = Time.SYSTEM;
        // meta.properties of every directory: checked (and nothing written) before anything else happens
        MetaDirectories.Plan meta = MetaDirectories.read(config.metaPropertiesDirs()).planStart(config.nodeId(),
                config.isMultiNodeQuorum(), () -> Uuid.randomUuid().toString(), DirectoryId::random);
        TlsListeners tls = TlsListeners.create(config); // key stores read before anything is written
        config.warnings().forEach(log::warn); // after the refusals: a refused start says one thing
        meta.write();
        if (!config.isBroker()) {
            return startController(config, meta.clusterId(), startNs);
        }
        // background log I/O (rolled-segment flushes, retention, checkpoints) apart from the timer
        // of delayed operations, so a long fsync never delays a long-poll deadline
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, named("brook-log-io"));
        // delayed file deletions left at shutdown are finished by the next start instead
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        int ioThreads = config.getInt("num.io.threads");
        ExecutorService requestExecutor = new ThreadPoolExecutor(ioThreads, ioThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(MAX_QUEUED_REQUESTS), named("brook-request-handler"));
        // parked fetches and produces and the coordinators' deadlines: one timing wheel, one reaper
        // thread; expiries run on the request handlers
        DelayedOperations delayed = new DelayedOperations(requestExecutor);
        CoordinatorTimer coordinatorTimer = new CoordinatorTimer(delayed.timer());
        Controller controllerSetup = openController(config, meta.clusterId());
        boolean cluster = controllerSetup.cluster();
        MetadataController controller = controllerSetup.controller();
        if (controllerSetup.quorum() != null) { // a broker-only node caught up in openController
            // before any log loads: a log whose topic this voter has not re-applied yet would count as deleted
            awaitActiveController(controllerSetup.quorum(), config);
        }
        LogManager logManager = new LogManager(config.logDirs(), time, scheduler);
        ReplicaManager replicas = new ReplicaManager(config.nodeId(), logManager, config.topicDefaults(),
                config.getLong("replica.lag.time.max.ms"), highWatermarkCheckpoints(logManager));
        // an admin write answers once this broker applied it: its client's next read here sees it
        ControllerChannel controllerChannel = new AppliedWritesChannel(controllerSetup.channel(),
                () -> replicas.caughtUp(APPLIED_WRITE_MAX_WAIT_MS));
        // dynamic broker configs (throttle rates, topic defaults) from the metadata, before any log loads
        ReplicationThrottles throttles = new ReplicationThrottles(config.nodeId(),
                config.getInt("replication.quota.window.num"),
                config.getInt("replication.quota.window.size.seconds") * 1000L, () -> System.nanoTime() / 1_000_000);
        replicas.throttleMoves(throttles.alterLogDirs(), throttles::nowMs);
        BrokerConfigPublisher brokerConfigs = new BrokerConfigPublisher(config, replicas, throttles);
        controller.addPublisher(brokerConfigs::onMetadataUpdate); // before the image is read: no change is missed
        brokerConfigs.onImage(controller.image());
        // a high watermark that moves (at the append; at the fsync in durable mode) completes the
        // produces and fetches parked on that partition
        replicas.onHighWatermarkAdvanced(delayed::checkAndComplete);
        logManager.loadLogs(topic -> {
            TopicImage t = controller.image().topic(topic);
            return t == null ? null : replicas.logConfig(t);
        }, topic -> {
            TopicImage t = controller.image().topic(topic);
            return t == null ? null : t.id();
        }, config.getInt("num.recovery.threads.per.data.dir"));
        // registered before the image is read: a change committed in between reaches the publisher, which catches
        // up with the whole image when a change does not follow the one it applied last. Applied on the replica
        // manager's own thread: a decision is answered once committed, not once thousands of new logs exist
        controller.addPublisher(replicas.publisher());
        replicas.onImage(controller.image());
        replicas.resumeMoves(); // the moves a stop interrupted, of the partitions still hosted here
        LogCleaner cleaner = null;
        if (config.getBoolean("log.cleaner.enable")) {
            cleaner = new LogCleaner(config.cleanerConfig(), logManager, time);
            cleaner.start();
        }

        NewTopic offsetsSpec = OffsetsTopic.spec(config.getInt("offsets.topic.num.partitions"),
                internalReplicationFactor(config, "offsets.topic.replication.factor"),
                config.getInt("offsets.topic.segment.bytes"));
        NewTopic transactionsSpec = TransactionTopic.spec(config.getInt("transaction.state.log.num.partitions"),
                internalReplicationFactor(config, "transaction.state.log.replication.factor"),
                config.getInt("transaction.state.log.min.isr"), config.getInt("transaction.state.log.segment.bytes"));
        OffsetsTopic offsetsTopic;
        TransactionTopic transactionTopic;
        // coordinator writes complete once the in-sync replicas have them (acks=all, as Kafka's coordinators)
        CoordinatorAppender appender = CoordinatorAppender.replicated(delayed, CoordinatorAppender.DEFAULT_TIMEOUT_MS);
        if (!cluster) { // a single node: both exist from its first start
            offsetsTopic = OffsetsTopic.createIfAbsent(controllerChannel, controller, replicas, offsetsSpec, appender);
            transactionTopic = TransactionTopic.createIfAbsent(controllerChannel, controller, replicas,
                    transactionsSpec, appender);
        } else { // a cluster: created by the first coordinator lookup, over the brokers registered by then
            offsetsTopic = OffsetsTopic.open(replicas, offsetsSpec.numPartitions(), appender);
            transactionTopic = TransactionTopic.open(replicas, transactionsSpec.numPartitions(), appender);
        }
        CoordinatorTopics coordinatorTopics = new CoordinatorTopics(controllerChannel, offsetsSpec, transactionsSpec);
        GroupCoordinator groups = new GroupCoordinator(new GroupConfig(
                config.getInt("group.min.session.timeout.ms"), config.getInt("group.max.session.timeout.ms"),
                config.getInt("group.initial.rebalance.delay.ms"), config.getInt("group.max.size"),
                config.getInt("offset.metadata.max.bytes"), config.getInt("group.consumer.session.timeout.ms"),
                config.getInt("group.consumer.heartbeat.interval.ms"), config.getInt("group.consumer.max.size"),
                config.getList("group.consumer.assignors")),
                offsetsTopic, coordinatorTimer, System::currentTimeMillis);

        // markers: written here into the partitions this node leads, sent to the leaders of the others (one
        // dedicated thread: inter-broker sends block)
        ScheduledThreadPoolExecutor markerExecutor = new ScheduledThreadPoolExecutor(1, named("brook-txn-markers"));
        markerExecutor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        LocalMarkerWriter markers = new LocalMarkerWriter(replicas, groups, offsetsTopic, delayed, markerExecutor);
        BrokerClient.Factory interBrokerClients = !cluster ? null
                : new BrokerClient.Factory(config);
        TransactionMarkerSender markerSender = new TransactionMarkerSender(config.nodeId(), replicas::image, markers,
                brokerId -> {
                    if (interBrokerClients == null) {
                        throw new IllegalStateException("a single node has no other broker (" + brokerId + ")");
                    }
                    return LeaderLink.to(brokerId, () -> replicas.image().cluster(), interBrokerClients,
                            "brook-txn-markers-" + config.nodeId() + "-to-" + brokerId);
                }, markerExecutor, TransactionMarkerSender.DEFAULT_RETRY_MS);
        RemoteTransactionVerifier remoteTransactions = interBrokerClients == null ? null
                : new RemoteTransactionVerifier(brokerId -> LeaderLink.to(brokerId, () -> replicas.image().cluster(),
                        interBrokerClients, "brook-txn-verifier-" + config.nodeId() + "-to-" + brokerId));
        ProducerIdManager producerIds = new ProducerIdManager(controllerChannel, config.nodeId());
        CoordinatorLoader[] loader = new CoordinatorLoader[1]; // the coordinator and its loader need each other
        TransactionCoordinator transactions = new TransactionCoordinator(new TransactionConfig(
                config.getInt("transaction.max.timeout.ms"), config.getInt("transactional.id.expiration.ms"),
                COORDINATOR_EPOCH), transactionTopic, markerSender, producerIds::nextId,
                coordinatorTimer, System::currentTimeMillis, id -> loader[0].transactionCoordinatorEpoch(id));
        // the coordinators move with the leadership of their partitions; a start loads those it leads now
        CoordinatorLoader coordinatorLoader = new CoordinatorLoader(config.nodeId(), replicas, offsetsTopic, groups,
                transactionTopic, transactions);
        loader[0] = coordinatorLoader;
        coordinatorLoader.start(COORDINATOR_START_LOAD_TIMEOUT_MS);

        BrokerConfig.Listener listener = config.listener(); // the first broker listener: the one advertised
        NetworkServer network = new NetworkServer(new NetworkServer.Settings(listener.bindHost(), listener.port(),
                config.getInt("socket.request.max.bytes"), config.getLong("connections.max.idle.ms"),
                config.getInt("max.connections"), config.getInt("max.connections.per.ip"),
                config.getInt("num.network.threads"),
                config.value("queued.max.request.bytes") != null ? config.getLong("queued.max.request.bytes")
                        : NetworkServer.defaultQueuedMaxRequestBytes(),
                config.getInt("brook.connection.write.buffer.bytes"), config.getInt("socket.send.buffer.bytes"),
                config.getInt("socket.receive.buffer.bytes")));
        network.connectionLimits(connectionLimits(config));
        ApiRegistry registry = new ApiRegistry();
        LoggerLevels loggers = new LoggerLevels();
        InetSocketAddress bound = listen(listener, () -> network.start(registry, requestExecutor, listener.name(),
                tls.get(listener.name())));
        int advertisedPort = listener.advertisedPort() == 0 ? bound.getPort() : listener.advertisedPort();
        // every other broker listener too, each advertising its own address (its bound port if it asked for
        // port 0); the controller listener is left to the quorum's transport
        Map<String, InetSocketAddress> advertised = new HashMap<>();
        advertised.put(listener.name(), InetSocketAddress.createUnresolved(listener.advertisedHost(), advertisedPort));
        for (BrokerConfig.Listener other : config.brokerListeners().subList(1, config.brokerListeners().size())) {
            int port = listen(other, () -> network.bind(other.name(), other.bindHost(), other.port(),
                    tls.get(other.name()))).getPort();
            advertised.put(other.name(), InetSocketAddress.createUnresolved(other.advertisedHost(),
                    other.advertisedPort() == 0 ? port : other.advertisedPort()));
        }
        // KIP-858: which directory holds each replica, and which directories failed, for the controller
        DirectoryAssignments directories = !cluster ? null : new DirectoryAssignments(config.nodeId(), logManager,
                directoryIds(config), controllerChannel, replicas::image, scheduler);
        BrokerLifecycle lifecycle = !cluster ? null
                : registerBroker(config, meta.clusterId(), advertised, controllerChannel, controller,
                logManager.cleanShutdownBrokerEpoch(), directories::offlineDirs);
        if (lifecycle != null) {
            directories.start(lifecycle::brokerEpoch, config.brokerHeartbeatIntervalMs());
            logManager.onDirOffline(dir -> {
                scheduler.execute(() -> replicas.dirOffline(dir)); // not under the failed I/O's locks
                lifecycle.heartbeatSoon(); // the controller moves the replicas there
                directories.trigger(); // and those it did not know were there
            });
            // registered: followers fetch from their leaders, leaders keep their ISR through the controller
            replicas.startReplication(new ReplicaFetcherManager(config.nodeId(),
                    LeaderLink.factory(config.nodeId(), () -> replicas.image().cluster(), interBrokerClients),
                    lifecycle::brokerEpoch, followerThrottle(replicas, throttles)),
                    new AlterPartitionSender(controllerChannel, config.nodeId(), lifecycle::brokerEpoch));
            long isrCheckMs = Math.max(1, config.getLong("replica.lag.time.max.ms") / 2);
            scheduler.scheduleWithFixedDelay(replicas::maybeShrinkIsrs, isrCheckMs, isrCheckMs,
                    TimeUnit.MILLISECONDS);
        }
        long hwCheckpointMs = config.getLong("replica.high.watermark.checkpoint.interval.ms");
        scheduler.scheduleWithFixedDelay(() -> logManager.checkpointHighWatermarks(replicas.highWatermarks()),
                hwCheckpointMs, hwCheckpointMs, TimeUnit.MILLISECONDS);
        // the security audit log (issue 20): failed authentications and denials, limited per client address; the
        // counts of what it left out are written once an address's interval is over
        AuditLog audit = new AuditLog(System::currentTimeMillis);
        scheduler.scheduleWithFixedDelay(audit::flushSummaries, AuditLog.INTERVAL_MS, AuditLog.INTERVAL_MS,
                TimeUnit.MILLISECONDS);
        BrokerContext broker = new BrokerContext(config.nodeId(), meta.clusterId(), config,
                listener.advertisedHost(), advertisedPort, replicas, controllerChannel, delayed, producerIds, groups,
                offsetsTopic, transactionTopic, coordinatorTopics, transactions, markers, coordinatorLoader,
                remoteTransactions, advertised,
                controller::leaderId, new BrokerAuthorizer(config.authorizer(), () -> replicas.image().acls(),
                        new DenialLog(System::currentTimeMillis), audit));
        // controller_mutation_rate quotas (KIP-599): asked by the handlers of topic and partition creation and deletion
        ControllerMutationQuotaManager mutationQuotas = new ControllerMutationQuotaManager(
                () -> replicas.image().clientQuotas(), System::currentTimeMillis,
                config.getInt("controller.quota.window.num"),
                config.getInt("controller.quota.window.size.seconds") * 1000L);
        // client byte-rate and request quotas (issue 20): read from the image; a consumer's fetch counts its own bytes
        ClientQuotaManager clientQuotas = new ClientQuotaManager(() -> replicas.image().clientQuotas(),
                System::currentTimeMillis, config.getInt("quota.window.num"),
                config.getInt("quota.window.size.seconds") * 1000L);
        FetchSessionCache fetchSessions = new FetchSessionCache(
                config.getInt("max.incremental.fetch.session.cache.slots"),
                config.getLong("min.incremental.fetch.session.eviction.ms"));
        // admin APIs that read a topic are served once the partitions created before them are hosted
        UnaryOperator<ApiHandler<?>> caughtUp = handler -> AfterCatchUp.of(handler, broker, requestExecutor);
        registry.register(new ApiVersionsHandler(registry, config.getShort("brook.transaction.version"),
                        replicas::image))
                .register(new MetadataHandler(broker))
                .register(new DescribeClusterHandler(broker))
                .register(new DescribeQuorumHandler(controllerChannel))
                .register(new CreateTopicsHandler(broker, mutationQuotas))
                .register(caughtUp.apply(new DeleteTopicsHandler(broker, mutationQuotas)))
                .register(caughtUp.apply(new CreatePartitionsHandler(broker, mutationQuotas)))
                .register(caughtUp.apply(new DescribeConfigsHandler(broker, loggers)))
                .register(new ProduceHandler(broker))
                .register(new FetchHandler(broker, fetchSessions, throttles, new ConsumerFetchQuota(clientQuotas)))
                .register(new ListOffsetsHandler(broker))
                .register(new OffsetForLeaderEpochHandler(broker))
                .register(new InitProducerIdHandler(broker))
                .register(caughtUp.apply(new DeleteRecordsHandler(broker)))
                .register(caughtUp.apply(new AlterConfigsHandler(broker)))
                .register(caughtUp.apply(new IncrementalAlterConfigsHandler(broker, loggers, tls)))
                .register(caughtUp.apply(new DescribeLogDirsHandler(broker)))
                .register(caughtUp.apply(new AlterReplicaLogDirsHandler(broker)))
                .register(caughtUp.apply(new DescribeProducersHandler(broker)))
                .register(caughtUp.apply(new DescribeTopicPartitionsHandler(broker)))
                .register(new FindCoordinatorHandler(broker))
                .register(new JoinGroupHandler(broker))
                .register(new SyncGroupHandler(broker))
                .register(new HeartbeatHandler(broker))
                .register(new LeaveGroupHandler(broker))
                .register(new OffsetCommitHandler(broker))
                .register(new OffsetFetchHandler(broker))
                .register(new ListGroupsHandler(broker))
                .register(new DescribeGroupsHandler(broker))
                .register(new DeleteGroupsHandler(broker))
                .register(new OffsetDeleteHandler(broker))
                .register(new ConsumerGroupHeartbeatHandler(broker))
                .register(new ConsumerGroupDescribeHandler(broker))
                .register(new AddPartitionsToTxnHandler(broker))
                .register(new AddOffsetsToTxnHandler(broker))
                .register(new EndTxnHandler(broker))
                .register(new TxnOffsetCommitHandler(broker))
                .register(new WriteTxnMarkersHandler(broker))
                .register(new ListTransactionsHandler(broker))
                .register(new DescribeTransactionsHandler(broker))
                .register(new DescribeAclsHandler(broker))
                .register(new CreateAclsHandler(broker))
                .register(new DeleteAclsHandler(broker));
        if (lifecycle != null) { // a single node has no broker registrations to remove
            registry.register(new UnregisterBrokerHandler(controllerChannel));
        }
        // a single node too, as Kafka's: its only replicas lead, so every election is not needed
        registry.register(caughtUp.apply(new ElectLeadersHandler(broker)));
        // a single node too: kafka-reassign-partitions moves replicas between its log directories with them
        registry.register(caughtUp.apply(new AlterPartitionReassignmentsHandler(broker)));
        registry.register(caughtUp.apply(new ListPartitionReassignmentsHandler(broker)));

        // SASL listeners: their connections authenticate before anything else is served
        for (BrokerConfig.Listener l : config.brokerListeners()) {
            SaslSettings sasl = config.saslSettings(l.name());
            if (sasl != null) {
                SaslServers servers = new SaslServers(sasl, replicas::image,
                        config.getLong("connections.max.reauth.ms"));
                network.saslListener(l.name(), new SaslListener(config.securityProtocols().get(l.name()),
                        servers::newAuthenticator, config.getInt("sasl.server.max.receive.size"),
                        config.getLong("brook.sasl.authentication.timeout.ms"),
                        config.getInt("connection.failed.authentication.delay.ms"),
                        config.getLong("connections.max.reauth.ms")));
            }
        }
        registry.register(new SaslHandshakeHandler())
                .register(new SaslAuthenticateHandler())
                .register(new AlterUserScramCredentialsHandler(broker))
                .register(new DescribeUserScramCredentialsHandler(broker))
                .register(new AlterClientQuotasHandler(broker))
                .register(new UpdateFeaturesHandler(broker))
                .register(new DescribeClientQuotasHandler(broker));

        long retentionCheckMs = config.getLong("log.retention.check.interval.ms");
        scheduler.scheduleWithFixedDelay(logManager::applyRetention, retentionCheckMs, retentionCheckMs,
                TimeUnit.MILLISECONDS);
        long flushCheckMs = Math.min(config.getLong("log.flush.scheduler.interval.ms"), 60_000L);
        scheduler.scheduleWithFixedDelay(logManager::flushByTime, flushCheckMs, flushCheckMs, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> checkpoint(logManager), 60, 60, TimeUnit.SECONDS);
        long segmentIdleMs = config.getLong("brook.log.segment.idle.ms");
        long idleCheckMs = Math.min(segmentIdleMs / 2, MAX_IDLE_SEGMENT_CHECK_MS);
        scheduler.scheduleWithFixedDelay(() -> logManager.releaseIdleSegments(segmentIdleMs), idleCheckMs,
                idleCheckMs, TimeUnit.MILLISECONDS);
        long expiryCheckMs = config.getInt("producer.id.expiration.check.interval.ms");
        long expirationMs = config.getInt("producer.id.expiration.ms");
        scheduler.scheduleWithFixedDelay(() -> logManager.expireProducers(expirationMs),
                expiryCheckMs, expiryCheckMs, TimeUnit.MILLISECONDS);

        long offsetsCheckMs = config.getLong("offsets.retention.check.interval.ms");
        long offsetsRetentionMs = config.getInt("offsets.retention.minutes") * 60_000L;
        scheduler.scheduleWithFixedDelay(() -> groups.expireOffsets(System.currentTimeMillis(), offsetsRetentionMs),
                offsetsCheckMs, offsetsCheckMs, TimeUnit.MILLISECONDS);

        long txnTimeoutCheckMs = config.getInt("transaction.abort.timed.out.transaction.cleanup.interval.ms");
        scheduler.scheduleWithFixedDelay(transactions::abortTimedOut, txnTimeoutCheckMs, txnTimeoutCheckMs,
                TimeUnit.MILLISECONDS);
        long txnExpiryCheckMs = config.getInt("transaction.remove.expired.transaction.cleanup.interval.ms");
        scheduler.scheduleWithFixedDelay(transactions::expireTransactionalIds, txnExpiryCheckMs, txnExpiryCheckMs,
                TimeUnit.MILLISECONDS);

        // client byte-rate quotas (issue 20): counted per request by the network layer, read from the image
        network.quotas(new RequestQuotas(clientQuotas));
        network.ipQuotas(new IpConnectionQuotas(() -> replicas.image().clientQuotas()));
        network.audit(audit);
        network.acceptConnections();
        log.info("Brook node {} of cluster {} started in {} ms, serving {}:{}", config.nodeId(), meta.clusterId(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), listener.advertisedHost(), advertisedPort);
        BrookNode node = new BrookNode(config, scheduler, delayed, requestExecutor, markerExecutor, coordinatorLoader,
                markerSender, remoteTransactions, controller,
                controllerSetup.quorumClient(), controllerSetup.tasks(), lifecycle, logManager, replicas, cleaner,
                network, bound, meta.clusterId(), controllerSetup.kafkaListener());
        logManager.onEveryDirOffline(() -> {
            String reason = "every log directory of node " + config.nodeId() + " (" + config.logDirs().stream()
                    .map(File::getPath).collect(java.util.stream.Collectors.joining(", ")) + ") is offline after an "
                    + "I/O error; stopping so that its partitions' leadership moves to their other replicas: free or "
                    + "replace the disk, then start the node again";
            log.error("{}", reason);
            node.mustStop.complete(reason);
        });
        return node;
    }

    /**
     * Completes with the reason when this node can no longer serve and must stop (every log directory offline, as
     * Kafka's broker halts then); whoever runs the node closes it (a controlled shutdown in a cluster) and exits.
     */
    public CompletableFuture<String> mustStop() {
        return mustStop;
    }

    /**
     * The connection limits of the config for the network: the rates over Kafka's quota window, the inter-broker
     * listener spared by the node-wide rate when there are several listeners (as Kafka), and the hosts of
     * {@code max.connections.per.ip.overrides} resolved now (as Kafka does at start-up; a name that does not resolve
     * stops the start).
     */
    private static NetworkServer.ConnectionLimits connectionLimits(BrokerConfig config) throws IOException {
        ConnectionLimitSettings settings = config.connectionLimits();
        BrokerConfig.Listener interBroker = config.interBrokerListener();
        String protectedListener = interBroker != null && config.brokerListeners().size() > 1 ? interBroker.name()
                : null;
        ConnectionRates rates = new ConnectionRates(settings.maxConnectionCreationRate(), settings.listenerRates(),
                protectedListener, config.getInt("quota.window.num"),
                config.getInt("quota.window.size.seconds") * 1000L);
        Map<InetAddress, Integer> overrides = new HashMap<>();
        for (Map.Entry<String, Integer> e : settings.maxConnectionsPerIpOverrides().entrySet()) {
            try {
                overrides.put(InetAddress.getByName(e.getKey()), e.getValue());
            } catch (UnknownHostException ex) {
                throw new IOException("max.connections.per.ip.overrides names " + e.getKey()
                        + ", which does not resolve", ex);
            }
        }
        return new NetworkServer.ConnectionLimits(rates, settings.listenerMaxConnections(), overrides);
    }

    /** Binds a broker listener; a port already taken is one line naming the listener and its address. */
    private static InetSocketAddress listen(BrokerConfig.Listener listener,
                                            java.util.concurrent.Callable<InetSocketAddress> bind) throws IOException {
        try {
            return bind.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the listener " + listener.name(), e);
        } catch (Exception e) { // Netty's native bind failure, unchecked-style
            throw new IOException("cannot listen on " + (listener.bindHost() == null ? "" : listener.bindHost())
                    + ":" + listener.port() + " (the listener " + listener.name() + "): " + e.getMessage(), e);
        }
    }

    /**
     * The voters a controller of a dynamic quorum was formatted to start with ({@code --standalone},
     * {@code --initial-controllers}), or null: not such a controller, or formatted to join.
     */
    private static InitialControllers initialControllers(BrokerConfig config) throws IOException {
        return config.isController() && config.discoversQuorumVoters()
                ? InitialControllers.read(config.metadataLogDir()) : null;
    }

    /**
     * The metadata controller of this node, how handlers reach the active one, and the quorum if any: this node's
     * voter ({@code quorum}) on a controller, null on the single node and on a broker-only node (its
     * {@code controller} is then a {@link FollowerMetadataController}).
     */
    private record Controller(MetadataController controller, ControllerChannel channel,
                              QuorumMetadataController quorum, QuorumClient quorumClient,
                              List<AutoCloseable> tasks, ControllerListener kafkaListener) {
        /** Whether this node is part of a cluster (it registers as a broker, its partitions replicate). */
        boolean cluster() {
            return quorumClient != null;
        }
    }

    /** The registered brokers that may take new partitions, by id. */
    private static List<Integer> usableBrokers(MetadataImage image) {
        List<Integer> ids = new ArrayList<>();
        image.cluster().brokers().values().forEach(b -> {
            if (b.usable()) {
                ids.add(b.id());
            }
        });
        ids.sort(null);
        return ids;
    }

    /** The directory id of each directory with a meta.properties (the log directories and the metadata log's). */
    private static Map<File, Uuid> directoryIds(BrokerConfig config) throws IOException {
        Map<File, Uuid> ids = new java.util.LinkedHashMap<>();
        MetaDirectories.read(config.metaPropertiesDirs()).files().forEach((dir, properties) -> {
            if (properties != null && properties.directoryId() != null) {
                ids.put(dir, properties.directoryId());
            }
        });
        return ids;
    }

    /**
     * Registers this broker with the active controller and waits, at most
     * {@code initial.broker.registration.timeout.ms}, until it is registered and unfenced (it has caught up
     * with the metadata that registered it); then clients may be sent to it.
     */
    private static BrokerLifecycle registerBroker(BrokerConfig config, String clusterId,
                                                  Map<String, InetSocketAddress> advertised,
                                                  ControllerChannel channel, MetadataController controller,
                                                  long previousBrokerEpoch, Supplier<List<Uuid>> offlineDirs)
            throws IOException, InterruptedException {
        List<Uuid> directoryIds = new ArrayList<>(directoryIds(config).values());
        BrokerLifecycle lifecycle = new BrokerLifecycle(BrokerLifecycle.registration(config, clusterId, advertised,
                directoryIds, previousBrokerEpoch), channel, () -> controller.image().offset(), offlineDirs,
                BrokerLifecycle.Timing.of(config));
        lifecycle.start();
        long timeoutMs = config.getInt("initial.broker.registration.timeout.ms");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (lifecycle.isFenced()) {
            if (System.nanoTime() > deadline) {
                lifecycle.close();
                throw new IOException("broker " + config.nodeId() + " was not registered and unfenced by the active "
                        + "controller within initial.broker.registration.timeout.ms=" + timeoutMs + " ms; see the "
                        + "lines above for what the controller answered");
            }
            Thread.sleep(QUORUM_POLL_MS);
        }
        log.info("Broker {} registered (broker epoch {}, incarnation {}) and unfenced", config.nodeId(),
                lifecycle.brokerEpoch(), lifecycle.incarnationId());
        return lifecycle;
    }

    /**
     * Opens the metadata controller: the single node's own log when this node is its whole quorum, else
     * this node's voter of the Raft quorum named by {@code controller.quorum.voters}, whose handlers
     * reach the active controller through a {@link RoutingControllerChannel} (requests forwarded over the
     * quorum's transport, answered by {@link ForwardedRequestServer} on the leader).
     */
    private static Controller openController(BrokerConfig config, String clusterId)
            throws IOException, InterruptedException {
        File dir = new File(config.metadataLogDir(), METADATA_DIR);
        SnapshotPolicy snapshots = new SnapshotPolicy(config.metadataMaxBytesBetweenSnapshots(),
                config.metadataMaxSnapshotIntervalMs());
        int partitions = config.getInt("num.partitions");
        short replicationFactor = config.getShort("default.replication.factor");
        if (!config.isMultiNodeQuorum()) {
            MetadataController controller = LocalMetadataController.open(dir, snapshots, config.nodeId());
            LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(config.nodeId()),
                    partitions, replicationFactor, Short.MAX_VALUE, () -> QuorumDescription.singleNode(
                            config.nodeId(), LocalMetadataController.SINGLE_NODE_EPOCH,
                            controller.image().offset() + 1, System.currentTimeMillis()));
            // a new single node starts with the same features as a new cluster (and Kafka's single node)
            channel.bootstrapFeatures(config.getShort("brook.eligible.leader.replicas.version"),
                    config.getInt("min.insync.replicas"));
            return new Controller(controller, channel, null, null, List.of(), null);
        }
        if (!config.isController()) {
            return openFollower(config, clusterId, dir);
        }
        BrokerConfig.Listener controllerListener = config.controllerListener().orElseThrow(() -> new IOException(
                "a controller needs a controller listener (controller.listener.names naming one of listeners)"));
        // the controller listener serves Kafka's admin requests and relays the quorum's transport to Ratis
        ControllerListener kafkaListener = ControllerListener.start(config, controllerListener);
        // what Kafka sends to a controller listener, answered from the start (ApiVersions advertises them at once):
        // until the quorum is open, as a controller that does not lead
        AtomicReference<QuorumMetadataController> opened = new AtomicReference<>();
        AtomicReference<ControllerChannel> routingChannel = new AtomicReference<>();
        VoterChanges voterChanges = new VoterChanges(() -> {
            QuorumMetadataController c = opened.get();
            return c == null ? null : c.quorum();
        }, clusterId, controllerListener.name());
        kafkaListener.register(new ControllerDescribeClusterHandler(clusterId, () -> {
                    QuorumMetadataController c = opened.get();
                    return c == null ? new java.util.TreeMap<>(config.quorumVoters()) : c.quorum().voterAddresses();
                }, () -> {
                    QuorumMetadataController c = opened.get();
                    return c == null ? -1 : c.leaderId();
                }))
                .register(new DescribeQuorumHandler(routingChannel::get))
                .register(new AddRaftVoterHandler(voterChanges))
                .register(new RemoveRaftVoterHandler(voterChanges))
                .register(UpdateFeaturesHandler.onControllerListener(config.authorizer().enabled(),
                        routingChannel::get))
                .register(new ApiVersionsHandler(kafkaListener.registry(), config.getShort("brook.transaction.version"),
                        () -> { // the finalized features as this controller has applied them (kafka-features describe)
                            QuorumMetadataController c = opened.get();
                            return c == null ? MetadataImage.EMPTY : c.image();
                        }));
        // KIP-853: a controller named only by controller.quorum.bootstrap.servers starts the quorum with the initial
        // voters it was formatted with if it is one of them (only while the quorum's log is empty: Ratis keeps the
        // voter set in it); any other learns the voters from them and joins no configuration until the active
        // controller adds it (AddRaftVoter)
        InitialControllers initial = initialControllers(config);
        boolean joining = config.quorumVoters().isEmpty()
                && (initial == null || initial.voter(config.nodeId()).isEmpty());
        Map<Integer, InetSocketAddress> voters;
        try {
            voters = !joining ? (initial != null ? initial.addresses() : config.quorumVoters())
                    : discoverVoters(config);
            if (initial != null && !joining) {
                log.info("Controller {} was formatted to start the dynamic metadata quorum with the voters {} (used "
                        + "while the quorum's log is empty; after that the voters are those in the log)",
                        config.nodeId(), initial);
            }
        } catch (IOException | RuntimeException e) {
            kafkaListener.close();
            throw e;
        }
        QuorumConfig quorumConfig = QuorumConfig.builder(config.nodeId(),
                        new File(config.metadataLogDir(), RAFT_DIR).toPath())
                .voters(voters).joining(joining).clusterId(clusterId)
                .bindAddress(kafkaListener.ratisAddress())
                .electionTimeout(Duration.ofMillis(config.quorumElectionTimeoutMs()))
                .requestTimeout(Duration.ofMillis(config.quorumRequestTimeoutMs())).build();
        // requests forwarded to this node wait for the channel that answers them (built just below)
        CompletableFuture<ForwardedRequestServer> server = new CompletableFuture<>();
        QuorumMetadataController controller;
        try {
            controller = QuorumMetadataController.open(dir, quorumConfig, snapshots,
                    frame -> server.thenCompose(s -> s.serve(frame)));
        } catch (IOException | RuntimeException e) {
            kafkaListener.close();
            throw e;
        }
        // new partitions go to the registered brokers that are neither fenced nor shutting down
        Supplier<List<Integer>> brokers = () -> usableBrokers(controller.image());
        // DescribeQuorum: the voters and listeners (removed combined voters) as Ratis reports them, then the
        // broker-only nodes that fetch as observers
        MetadataObservers observers = new MetadataObservers();
        Supplier<QuorumDescription> quorumDescription = () -> {
            QuorumDescription described = QuorumDescription.fromStatus(controller.quorum().status(),
                    controller.quorum().voterAddresses(), controllerListener.name());
            return described.plusObservers(observers.replicas(described.highWatermark(), System.currentTimeMillis()));
        };
        LocalControllerChannel local = new LocalControllerChannel(controller, brokers, partitions,
                replicationFactor, Short.MAX_VALUE, quorumDescription, clusterId,
                config.brokerSessionTimeoutMs(), config.getBoolean("unclean.leader.election.enable"));
        local.bootstrapFeatures(config.getShort("brook.eligible.leader.replicas.version"),
                config.getInt("min.insync.replicas"));
        List<AutoCloseable> tasks = new ArrayList<>();
        ActiveControllerTimer<Integer> fencer = ActiveControllerTimer.brokerFencer(controller, local,
                ActiveControllerTimer.FENCE_PASS_MS);
        tasks.add(fencer);
        // observers (Ratis listeners) ask to be made ones by ControllerRegistration; silent ones are dropped, but for
        // registered brokers' nodes (see VoterChanges)
        ActiveControllerTimer<Integer> sweeper = ActiveControllerTimer.observerSweeper(controller,
                () -> voterChanges.dropSilentObservers(OBSERVER_QUIET,
                        id -> controller.image().cluster().brokers().containsKey(id)), OBSERVER_QUIET.toMillis());
        tasks.add(sweeper);
        server.complete(new ForwardedRequestServer(local, controller, observers, registration -> voterChanges
                .addObserver(null, registration.controllerId(), controllerEndpoint(registration, controllerListener),
                        OBSERVER_ADD_TIMEOUT.toMillis())
                .thenApply(outcome -> new ControllerRegistrationResponseData().setErrorCode(outcome.error().code())
                        .setErrorMessage(outcome.message()))));
        QuorumClient client = new QuorumClient(voters, clusterId, Duration.ofMillis(config.quorumRequestTimeoutMs()));
        ForwardingControllerChannel forwarding = new ForwardingControllerChannel(frame -> client.send(frame,
                FORWARD_TIMEOUT).exceptionallyCompose(BrookNode::forwardingFailure));
        fencer.start();
        sweeper.start();
        if (config.getBoolean("auto.leader.rebalance.enable")) {
            ActiveControllerTimer<TopicPartition> rebalancer = ActiveControllerTimer.leaderRebalancer(controller, local,
                    TimeUnit.SECONDS.toMillis(config.getLong("leader.imbalance.check.interval.seconds")),
                    config.getInt("leader.imbalance.per.broker.percentage"));
            tasks.add(rebalancer);
            rebalancer.start();
        }
        ObserverRegistration registration = new ObserverRegistration(config.nodeId(), Uuid.randomUuid(),
                controllerListener.name(), InetSocketAddress.createUnresolved(controllerListener.advertisedHost(),
                controllerListener.advertisedPort()), SecurityProtocol.PLAINTEXT, controller::quorum, forwarding);
        tasks.add(registration);
        registration.start();
        RoutingControllerChannel routing = new RoutingControllerChannel(controller, local, forwarding);
        opened.set(controller);
        routingChannel.set(routing);
        return new Controller(controller, routing, controller, client, tasks, kafkaListener);
    }

    /**
     * A broker-only node's metadata: a {@link FollowerMetadataController} that fetches the committed log from the
     * active controller over the quorum's transport (Kafka's Fetch and FetchSnapshot of {@code __cluster_metadata},
     * forwarded as every controller request is), and handlers that always forward to the active controller. Waits,
     * at most {@link #QUORUM_START_TIMEOUT} with a line every 10 s, until it has caught up with what the controller
     * had committed, so the partition logs are loaded against the cluster's topics.
     */
    private static Controller openFollower(BrokerConfig config, String clusterId, File dir)
            throws IOException, InterruptedException {
        // KIP-853: a broker named only by controller.quorum.bootstrap.servers learns the voters from them; its client
        // then follows the leader wherever it is (a voter added later is learned from the voters' leader hints)
        Map<Integer, InetSocketAddress> voters = config.discoversQuorumVoters() ? discoverVoters(config)
                : config.quorumVoters();
        String votersText = describe(voters);
        QuorumClient client = new QuorumClient(voters, clusterId, Duration.ofMillis(config.quorumRequestTimeoutMs()));
        FollowerMetadataController follower;
        try {
            follower = FollowerMetadataController.start(config.nodeId(), dir, new MetadataFetches(config.nodeId(),
                    frame -> client.send(frame, METADATA_FETCH_TIMEOUT)), METADATA_FETCH_TIMEOUT);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        ControllerChannel forwarding = new ForwardingControllerChannel(frame -> client.send(frame, FORWARD_TIMEOUT)
                .exceptionallyCompose(BrookNode::forwardingFailure));
        long startNs = System.nanoTime();
        long nextLogNs = startNs + TimeUnit.MILLISECONDS.toNanos(QUORUM_WAIT_LOG_MS);
        while (!follower.caughtUp()) {
            long now = System.nanoTime();
            if (now - startNs > QUORUM_START_TIMEOUT.toNanos()) {
                follower.close();
                client.close();
                throw new IOException("broker " + config.nodeId() + " could not read the metadata log from an active "
                        + "controller within " + QUORUM_START_TIMEOUT.toSeconds() + " s: a majority of the voters "
                        + votersText + " must be started and reachable at those addresses");
            }
            if (now >= nextLogNs) {
                log.info("Waiting for the metadata log from the active controller (voters {}; applied offset {})",
                        votersText, follower.image().offset());
                nextLogNs = now + TimeUnit.MILLISECONDS.toNanos(QUORUM_WAIT_LOG_MS);
            }
            Thread.sleep(QUORUM_POLL_MS);
        }
        log.info("Broker {} follows the metadata log of the active controller (node {}) at offset {}",
                config.nodeId(), follower.leaderId(), follower.image().offset());
        return new Controller(follower, forwarding, null, client, List.of(), null);
    }

    /**
     * A controller-only node: this node's voter of the metadata quorum with everything the active controller
     * runs (the brokers' registrations and heartbeats, the fence pass, the preferred-leader rebalance, answers to
     * forwarded requests and to the brokers' metadata fetches), all over the controller listener (the quorum's
     * transport). No client listener, no partition logs, no broker registration.
     */
    private static BrookNode startController(BrokerConfig config, String clusterId, long startNs)
            throws IOException, InterruptedException {
        Controller setup = openController(config, clusterId);
        try {
            // a joining controller waits for nothing: it has no log until the active controller adds it
            if (!setup.quorum().quorum().config().joining()
                    || setup.quorum().quorum().voterIds().contains(config.nodeId())) {
                awaitActiveController(setup.quorum(), config);
            }
        } catch (IOException | InterruptedException e) {
            closeQuietly(setup);
            throw e;
        }
        BrokerConfig.Listener listener = config.controllerListener().orElseThrow(() -> new IOException(
                "a node with process.roles=controller needs a controller listener (controller.listener.names)"));
        InetSocketAddress bound = new InetSocketAddress(listener.advertisedHost(), listener.port());
        log.info("Brook controller {} of cluster {} started in {} ms, serving the metadata quorum on {}:{}",
                config.nodeId(), clusterId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs),
                listener.advertisedHost(), listener.port());
        return new BrookNode(config, null, null, null, null, null, null, null, setup.controller(),
                setup.quorumClient(), setup.tasks(), null, null, null, null, null, bound, clusterId,
                setup.kafkaListener());
    }

    /**
     * The voters of the quorum a joining controller or a broker-only node (KIP-853, only
     * {@code controller.quorum.bootstrap.servers}) is to join or follow, as the bootstrap controllers list them (Kafka's
     * DescribeCluster for the controller endpoint type, the request {@code --bootstrap-controller} makes): where
     * requests for the active controller and a broker's metadata fetches go.
     */
    private static Map<Integer, InetSocketAddress> discoverVoters(BrokerConfig config)
            throws IOException, InterruptedException {
        String bootstrap = config.quorumBootstrapServers().stream()
                .map(a -> a.getHostString() + ":" + a.getPort()).collect(java.util.stream.Collectors.joining(","));
        Map<String, Object> settings = Map.of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, bootstrap,
                org.apache.kafka.clients.admin.AdminClientConfig.CLIENT_ID_CONFIG, "brook-" + config.nodeId() + "-join",
                org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) DISCOVERY_ATTEMPT_MS,
                org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) DISCOVERY_ATTEMPT_MS);
        long startNs = System.nanoTime();
        String lastFailure = "none answered";
        // one admin client per attempt: the controllers may still be starting (no active controller to name yet)
        while (System.nanoTime() - startNs < QUORUM_START_TIMEOUT.toNanos()) {
            org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(settings);
            try {
                var described = admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                        .timeoutMs((int) DISCOVERY_ATTEMPT_MS));
                Map<Integer, InetSocketAddress> voters = new java.util.TreeMap<>();
                for (org.apache.kafka.common.Node node : described.nodes()
                        .get(DISCOVERY_ATTEMPT_MS, TimeUnit.MILLISECONDS)) {
                    voters.put(node.id(), InetSocketAddress.createUnresolved(node.host(), node.port()));
                }
                if (!voters.isEmpty()) {
                    if (config.isController()) {
                        log.info("Controller {} joins the metadata quorum of the voters {} as an observer until it "
                                + "is added (kafka-metadata-quorum add-controller)", config.nodeId(), describe(voters));
                    } else {
                        log.info("Broker {} follows the metadata quorum of the voters {} (from "
                                + "controller.quorum.bootstrap.servers={})", config.nodeId(), describe(voters),
                                bootstrap);
                    }
                    return voters;
                }
                lastFailure = "they named no voters";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while asking controller.quorum.bootstrap.servers for the voters", e);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                     | org.apache.kafka.common.KafkaException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                lastFailure = cause.toString();
                log.info("Asking controller.quorum.bootstrap.servers={} for the voters: {}; retrying", bootstrap,
                        lastFailure);
            } finally {
                admin.close(Duration.ZERO); // a call still waiting for an active controller is dropped, not awaited
            }
            Thread.sleep(QUORUM_POLL_MS * 10);
        }
        throw new IOException("no controller of controller.quorum.bootstrap.servers=" + bootstrap
                + " named the voters within " + QUORUM_START_TIMEOUT.toSeconds() + " s (" + lastFailure + ")");
    }

    /** Closes a controller's background tasks in order; one that fails to close is logged and skipped. */
    private static void closeAll(List<AutoCloseable> tasks) {
        for (AutoCloseable task : tasks) {
            try {
                task.close();
            } catch (Exception e) {
                log.warn("Closing {}: {}", task, e.toString());
            }
        }
    }

    /** The endpoint a ControllerRegistration names on the controller listener (else its first), for Ratis. */
    private static InetSocketAddress controllerEndpoint(ControllerRegistrationRequestData registration,
                                                        BrokerConfig.Listener controllerListener) {
        ControllerRegistrationRequestData.Listener named = registration.listeners().stream()
                .filter(l -> l.name().equals(controllerListener.name())).findFirst()
                .orElseGet(() -> registration.listeners().iterator().next());
        return InetSocketAddress.createUnresolved(named.host(), named.port());
    }

    /** Voters as Kafka writes them ({@code id@host:port,...}), for messages. */
    private static String describe(Map<Integer, InetSocketAddress> voters) {
        return voters.entrySet().stream().map(e -> e.getKey() + "@" + e.getValue().getHostString() + ":"
                + e.getValue().getPort()).collect(java.util.stream.Collectors.joining(","));
    }

    private static void closeQuietly(Controller setup) {
        try {
            closeAll(setup.tasks());
            if (setup.quorumClient() != null) {
                setup.quorumClient().close();
            }
            setup.controller().close();
            if (setup.kafkaListener() != null) {
                setup.kafkaListener().close();
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Closing the metadata controller after a failed start", e);
        }
    }

    /** Whether this node serves clients (a broker; false on a controller-only node). */
    public boolean isBroker() {
        return network != null;
    }

    /**
     * The replication factor of an internal topic, as configured: the coordinators move with their partitions'
     * leadership, so a cluster replicates them like any topic. A cluster with fewer registered brokers does not
     * create the topic (the controller refuses the replication factor) and FindCoordinator answers
     * COORDINATOR_NOT_AVAILABLE until enough brokers joined, as Kafka does.
     */
    private static short internalReplicationFactor(BrokerConfig config, String name) {
        return config.getShort(name);
    }

    /** A failed forward as the Kafka error a client retries on (or the leader's own refusal). */
    private static CompletableFuture<ByteBuffer> forwardingFailure(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof QuorumTimeoutException) {
            return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException(
                    "no active controller answered within " + FORWARD_TIMEOUT.toMillis() + " ms ("
                            + cause.getMessage() + "); the metadata quorum may have lost its majority"));
        }
        return CompletableFuture.failedFuture(cause);
    }

    /**
     * Waits, at start, until the quorum has an active controller and this voter has applied everything committed
     * before that controller's election ({@link io.brook.metadata.quorum.RaftQuorum#caughtUpWithLeader}): the
     * partition logs load against that image, and the internal topics are created or found through it. One line says what is
     * awaited every {@link #QUORUM_WAIT_LOG_MS}; past {@link #QUORUM_START_TIMEOUT} the start fails. A combined node
     * that joins a dynamic quorum ({@code --no-initial-controllers}) waits without a limit until the active controller
     * made it an observer ({@link ObserverRegistration}), then as any voter: it serves as a broker before
     * kafka-metadata-quorum add-controller makes it a voter.
     */
    private static void awaitActiveController(QuorumMetadataController quorum, BrokerConfig config)
            throws IOException, InterruptedException {
        RaftQuorum raft = quorum.quorum();
        long startNs = System.nanoTime();
        long nextLogNs = startNs + TimeUnit.MILLISECONDS.toNanos(QUORUM_WAIT_LOG_MS);
        while (!raft.caughtUpWithLeader()) {
            long now = System.nanoTime();
            boolean awaitingAddition = raft.config().joining() && !raft.voterIds().contains(config.nodeId())
                    && raft.leaderId() < 0;
            if (awaitingAddition) {
                startNs = now; // the limit runs from when it has been added
            } else if (now - startNs > QUORUM_START_TIMEOUT.toNanos()) {
                throw new IOException("no metadata quorum formed within " + QUORUM_START_TIMEOUT.toSeconds()
                        + " s: a majority of the voters " + describe(raft.voterAddresses())
                        + " must be started and reachable at those addresses");
            }
            if (now >= nextLogNs) {
                if (awaitingAddition) {
                    log.info("Controller {} waits for the active controller of the voters {} to make it an observer "
                            + "(asked every {} ms) before it serves as a broker", config.nodeId(),
                            describe(raft.voterAddresses()), ObserverRegistration.INTERVAL_MS);
                } else {
                    log.info("Waiting for the metadata quorum: a majority of the voters {} must be up ({})",
                            describe(raft.voterAddresses()), raft.status());
                }
                nextLogNs = now + TimeUnit.MILLISECONDS.toNanos(QUORUM_WAIT_LOG_MS);
            }
            Thread.sleep(QUORUM_POLL_MS);
        }
        log.info("Metadata quorum ready: node {} is the active controller, node {} has applied index {}",
                quorum.leaderId(), config.nodeId(), raft.lastAppliedIndex());
    }

    /**
     * The high watermarks the log directories' checkpoints hold; an unreadable checkpoint counts as empty (the
     * partitions then start from their log start and learn the high watermark again), with a WARN.
     */
    private static Map<TopicPartition, Long> highWatermarkCheckpoints(LogManager logManager) {
        try {
            return logManager.highWatermarkCheckpoints();
        } catch (IOException e) {
            log.warn("Ignoring an unreadable high watermark checkpoint: {}", e.getMessage());
            return Map.of();
        }
    }

    private static void checkpoint(LogManager logManager) {
        try {
            logManager.checkpoint();
        } catch (IOException e) {
            log.warn("Writing the log checkpoints failed", e);
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    public InetSocketAddress boundAddress() {
        return boundAddress;
    }

    public String clusterId() {
        return clusterId;
    }

    public BrokerConfig config() {
        return config;
    }

    /** Stops accepting requests, lets running ones finish, then closes the logs and writes the clean-shutdown marker. */
    @Override
    public void close() throws IOException {
        if (lifecycle != null) {
            lifecycle.close(); // controlled shutdown: leaderships move away while this node still serves
            logManager.brokerEpoch(lifecycle.brokerEpoch()); // named by the clean-shutdown markers
        }
        if (network == null) { // a controller-only node: its voter and the active controller's services
            closeController();
            return;
        }
        replicas.stopReplication();
        network.close();
        coordinatorLoader.close();
        markerSender.closeLinks();
        if (remoteTransactions != null) {
            remoteTransactions.close();
        }
        requestExecutor.shutdown();
        markerExecutor.shutdown();
        delayed.close();
        scheduler.shutdown();
        try {
            requestExecutor.awaitTermination(10, TimeUnit.SECONDS);
            markerExecutor.awaitTermination(10, TimeUnit.SECONDS);
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cleaner != null) {
            cleaner.close(); // lets a running cleaning finish its swap
        }
        closeController();
        try {
            replicas.closePublisher(PUBLISHER_CLOSE_TIMEOUT_MS); // no change applies while the logs close
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        logManager.checkpointHighWatermarks(replicas.highWatermarks());
        logManager.close();
    }

    private void closeController() throws IOException {
        closeAll(controllerTasks);
        controller.close(); // a follower stops fetching before its client closes
        if (quorumClient != null) {
            quorumClient.close();
        }
        if (controllerListener != null) { // after the voter: the other voters reach it through this listener
            controllerListener.close();
        }
    }

    /** The follower throttle the replica fetchers keep to: the topics' throttled replica lists, the quota. */
    private static ReplicaFetcher.Throttle followerThrottle(ReplicaManager replicas, ReplicationThrottles throttles) {
        return new ReplicaFetcher.Throttle() {
            @Override
            public boolean covers(org.apache.kafka.common.TopicPartition tp) {
                TopicImage topic = replicas.image().topic(tp.topic());
                return topic != null && throttles.followerThrottled(topic.configs(), tp.partition());
            }

            @Override
            public ReplicationQuota quota() {
                return throttles.follower();
            }

            @Override
            public long nowMs() {
                return throttles.nowMs();
            }
        };
    }
}
