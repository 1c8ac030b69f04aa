package io.brook.server.node;

import io.brook.coordinator.group.GroupConfig;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.metadata.runtime.SnapshotPolicy;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.controller.QuorumDescription;
import io.brook.server.api.ApiRegistry;
import io.brook.server.config.BrokerConfig;
import io.brook.coordinator.transaction.TransactionConfig;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.coordinator.LocalMarkerWriter;
import io.brook.server.coordinator.OffsetsTopic;
import io.brook.server.coordinator.TransactionTopic;
import io.brook.server.handlers.AddOffsetsToTxnHandler;
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
import io.brook.server.handlers.DescribeQuorumHandler;
import io.brook.server.handlers.DescribeConfigsHandler;
import io.brook.server.handlers.DescribeLogDirsHandler;
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
import io.brook.server.network.SaslListener;
import io.brook.server.config.SaslSettings;
import io.brook.server.handlers.AlterUserScramCredentialsHandler;
import io.brook.server.handlers.DescribeUserScramCredentialsHandler;
import io.brook.server.handlers.SaslAuthenticateHandler;
import io.brook.server.handlers.SaslHandshakeHandler;
import io.brook.server.security.sasl.SaslServers;
import io.brook.server.partition.ProducerIdManager;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.cleaner.LogCleaner;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Brook node, broker and controller in one process: opens the metadata log and the partition
 * logs under the log directory, wires the request handlers and starts the listener. {@link #close}
 * stops in reverse order and leaves the clean-shutdown marker.
 */
public final class BrookNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrookNode.class);
    /** This build's version, from the jar's manifest ("dev" when run from classes). */
    public static final String VERSION = java.util.Objects.requireNonNullElse(
            BrookNode.class.getPackage().getImplementationVersion(), "dev");
    /** Directory under the log dir that holds the metadata log. */
    public static final String METADATA_DIR = LogDir.METADATA_TOPIC + "-0";
    /** The epoch of this node's transaction coordinators: one node never loses them to another. */
    private static final int COORDINATOR_EPOCH = 0;
    /** Requests waiting for a handler thread before new ones are refused. */
    private static final int MAX_QUEUED_REQUESTS = 10_000;
    /** Longest wait between two looks for idle segments (half the idle time when that is shorter). */
    private static final long MAX_IDLE_SEGMENT_CHECK_MS = 30_000;

    private final BrokerConfig config;
    private final ScheduledExecutorService scheduler;
    private final DelayedOperations delayed;
    private final ExecutorService requestExecutor;
    private final ExecutorService markerExecutor;
    private final MetadataController controller;
    private final LogManager logManager;
    private final LogCleaner cleaner;
    private final NetworkServer network;
    private final InetSocketAddress boundAddress;
    private final String clusterId;

    private BrookNode(BrokerConfig config, ScheduledExecutorService scheduler, DelayedOperations delayed,
                      ExecutorService requestExecutor, ExecutorService markerExecutor,
                      MetadataController controller, LogManager logManager, LogCleaner cleaner, NetworkServer network,
                      InetSocketAddress boundAddress, String clusterId) {
        this.config = config;
        this.scheduler = scheduler;
        this.delayed = delayed;
        this.requestExecutor = requestExecutor;
        this.markerExecutor = markerExecutor;
        this.controller = controller;
        this.logManager = logManager;
        this.cleaner = cleaner;
        this.network = network;
        this.boundAddress = boundAddress;
        this.clusterId = clusterId;
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
        refuseWhatThisBuildCannotRun(config);
        config.warnings().forEach(log::warn); // after the refusals: a refused start says one thing
        meta.write();
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
        MetadataController controller = LocalMetadataController.open(new File(config.metadataLogDir(), METADATA_DIR),
                new SnapshotPolicy(config.metadataMaxBytesBetweenSnapshots(), config.metadataMaxSnapshotIntervalMs()),
                config.nodeId());
        LogManager logManager = new LogManager(config.logDirs(), time, scheduler);
        ReplicaManager replicas = new ReplicaManager(config.nodeId(), logManager, config.topicDefaults());
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
        replicas.onImage(controller.image());
        controller.addPublisher(replicas::onMetadataUpdate);
        LogCleaner cleaner = null;
        if (config.getBoolean("log.cleaner.enable")) {
            cleaner = new LogCleaner(config.cleanerConfig(), logManager, time);
            cleaner.start();
        }

        OffsetsTopic offsetsTopic = OffsetsTopic.createIfAbsent(controller, replicas, List.of(config.nodeId()),
                config.getInt("offsets.topic.num.partitions"), config.getShort("offsets.topic.replication.factor"),
                config.getInt("offsets.topic.segment.bytes"));
        GroupCoordinator groups = new GroupCoordinator(new GroupConfig(
                config.getInt("group.min.session.timeout.ms"), config.getInt("group.max.session.timeout.ms"),
                config.getInt("group.initial.rebalance.delay.ms"), config.getInt("group.max.size"),
                config.getInt("offset.metadata.max.bytes"), config.getInt("group.consumer.session.timeout.ms"),
                config.getInt("group.consumer.heartbeat.interval.ms"), config.getInt("group.consumer.max.size"),
                config.getList("group.consumer.assignors")),
                offsetsTopic, coordinatorTimer, System::currentTimeMillis);
        offsetsTopic.replayInto(groups);

        TransactionTopic transactionTopic = TransactionTopic.createIfAbsent(controller, replicas,
                List.of(config.nodeId()), config.getInt("transaction.state.log.num.partitions"),
                config.getShort("transaction.state.log.replication.factor"),
                config.getInt("transaction.state.log.min.isr"), config.getInt("transaction.state.log.segment.bytes"));
        ExecutorService markerExecutor = Executors.newSingleThreadExecutor(named("brook-txn-markers"));
        LocalMarkerWriter markers = new LocalMarkerWriter(replicas, groups, offsetsTopic, delayed, markerExecutor);
        ControllerChannel controllerChannel = new LocalControllerChannel(controller, () -> List.of(config.nodeId()),
                config.getInt("num.partitions"), config.getShort("default.replication.factor"));
        ProducerIdManager producerIds = new ProducerIdManager(controllerChannel, config.nodeId());
        TransactionCoordinator transactions = new TransactionCoordinator(new TransactionConfig(
                config.getInt("transaction.max.timeout.ms"), config.getInt("transactional.id.expiration.ms"),
                COORDINATOR_EPOCH), transactionTopic, markers, producerIds::nextId,
                coordinatorTimer, System::currentTimeMillis);
        transactionTopic.replayInto(transactions);
        transactions.resumePreparedTransactions();

        BrokerConfig.Listener listener = config.listener(); // the first broker listener: the one advertised
        NetworkServer network = new NetworkServer(new NetworkServer.Settings(listener.bindHost(), listener.port(),
                config.getInt("socket.request.max.bytes"), config.getLong("connections.max.idle.ms"),
                config.getInt("max.connections"), config.getInt("max.connections.per.ip"),
                config.getInt("num.network.threads"),
                config.value("queued.max.request.bytes") != null ? config.getLong("queued.max.request.bytes")
                        : NetworkServer.defaultQueuedMaxRequestBytes(),
                config.getInt("brook.connection.write.buffer.bytes")));
        ApiRegistry registry = new ApiRegistry();
        LoggerLevels loggers = new LoggerLevels();
        InetSocketAddress bound = network.start(registry, requestExecutor, listener.name());
        int advertisedPort = listener.advertisedPort() == 0 ? bound.getPort() : listener.advertisedPort();
        // every other broker listener too, each advertising its own address (its bound port if it asked for
        // port 0); the controller listener is left to the quorum's transport
        Map<String, InetSocketAddress> advertised = new HashMap<>();
        advertised.put(listener.name(), InetSocketAddress.createUnresolved(listener.advertisedHost(), advertisedPort));
        for (BrokerConfig.Listener other : config.brokerListeners().subList(1, config.brokerListeners().size())) {
            int port = network.bind(other.name(), other.bindHost(), other.port()).getPort();
            advertised.put(other.name(), InetSocketAddress.createUnresolved(other.advertisedHost(),
                    other.advertisedPort() == 0 ? port : other.advertisedPort()));
        }
        BrokerContext broker = new BrokerContext(config.nodeId(), meta.clusterId(), config,
                listener.advertisedHost(), advertisedPort, replicas, controllerChannel, delayed, producerIds, groups,
                offsetsTopic, transactions, markers, advertised);
        FetchSessionCache fetchSessions = new FetchSessionCache(
                config.getInt("max.incremental.fetch.session.cache.slots"),
                config.getLong("min.incremental.fetch.session.eviction.ms"));
        registry.register(new ApiVersionsHandler(registry, config.getShort("brook.transaction.version")))
                .register(new MetadataHandler(broker))
                .register(new DescribeClusterHandler(broker))
                .register(new DescribeQuorumHandler(() -> QuorumDescription.singleNode(config.nodeId(),
                        LocalMetadataController.SINGLE_NODE_EPOCH, controller.image().offset() + 1,
                        System.currentTimeMillis())))
                .register(new CreateTopicsHandler(broker))
                .register(new DeleteTopicsHandler(broker))
                .register(new CreatePartitionsHandler(broker))
                .register(new DescribeConfigsHandler(broker, loggers))
                .register(new ProduceHandler(broker))
                .register(new FetchHandler(broker, fetchSessions))
                .register(new ListOffsetsHandler(broker))
                .register(new OffsetForLeaderEpochHandler(broker))
                .register(new InitProducerIdHandler(broker))
                .register(new DeleteRecordsHandler(broker))
                .register(new AlterConfigsHandler(broker))
                .register(new IncrementalAlterConfigsHandler(broker, loggers))
                .register(new DescribeLogDirsHandler(broker))
                .register(new DescribeProducersHandler(broker))
                .register(new DescribeTopicPartitionsHandler(broker))
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
                .register(new DescribeAclsHandler())
                .register(new CreateAclsHandler())
                .register(new DeleteAclsHandler());

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
                .register(new DescribeUserScramCredentialsHandler(broker));

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

        network.acceptConnections();
        log.info("Brook node {} of cluster {} started in {} ms, serving {}:{}", config.nodeId(), meta.clusterId(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), listener.advertisedHost(), advertisedPort);
        return new BrookNode(config, scheduler, delayed, requestExecutor, markerExecutor, controller, logManager, cleaner,
                network, bound, meta.clusterId());
    }

    /**
     * The one place that stops a configuration this build cannot run yet (remove it when the quorum of
     * issue 18 is wired into the node): Brook runs as one node that is broker, controller and its whole
     * quorum. Called after the meta.properties checks and before anything is written.
     */
    private static void refuseWhatThisBuildCannotRun(BrokerConfig config) throws IOException {
        if (config.isMultiNodeQuorum()) {
            throw new IOException("a quorum of more than one controller is not available in this build yet; "
                    + "run one node that is its own quorum (leave controller.quorum.voters and "
                    + "controller.quorum.bootstrap.servers unset)");
        }
        if (!config.isBroker() || !config.isController()) {
            throw new IOException("a node with process.roles=" + String.join(",", config.processRoles())
                    + " is not available in this build yet; run one node with process.roles=broker,controller");
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
        network.close();
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
        controller.close();
        logManager.close();
    }
}
