package io.brook.server.handlers;

import io.brook.coordinator.group.GroupConfig;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionConfig;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.config.BrokerConfig;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.coordinator.CoordinatorLoader;
import io.brook.server.coordinator.CoordinatorTopics;
import io.brook.server.coordinator.LocalMarkerWriter;
import io.brook.server.coordinator.OffsetsTopic;
import io.brook.server.coordinator.TransactionTopic;
import io.brook.server.delayed.CoordinatorTimer;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.ProducerIdManager;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopic;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node 1 of a two-broker image: the internal topics' partitions alternate between node 1 and node 2,
 * and node 1 hosts only its own. Every API naming a group or a transactional id coordinated by node 2
 * is answered NOT_COORDINATOR in that API's shape for the version asked, without reaching node 1's
 * coordinators; the same requests for keys node 1 coordinates are served.
 */
@Timeout(120)
class NotCoordinatorTest {
    private static final int NODE = 1;
    private static final int OTHER = 2;
    private static final String TOPIC = "data";
    private static final short NOT_COORDINATOR = Errors.NOT_COORDINATOR.code();
    private static final long WAIT_SECONDS = 30;

    @TempDir
    File dir;
    private LocalMetadataController controller;
    private LogManager logManager;
    private DelayedOperations delayed;
    private ExecutorService executor;
    private BrokerContext broker;
    private CoordinatorLoader loader;
    /** Keys whose internal partition node 2 leads, and keys node 1 leads. */
    private String remoteGroup;
    private String localGroup;
    private String remoteTxn;
    private String localTxn;

    @BeforeEach
    void startNodeOne() throws Exception {
        BrokerConfig config = BrokerConfig.defaults();
        controller = LocalMetadataController.open(new File(dir, "metadata"));
        LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(NODE, OTHER), 1,
                (short) 1, 1, () -> null);
        logManager = new LogManager(List.of(new File(dir, "data")), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        ReplicaManager replicas = new ReplicaManager(NODE, logManager, config.topicDefaults());
        replicas.onImage(controller.image());
        controller.addPublisher(replicas::onMetadataUpdate);
        executor = Executors.newFixedThreadPool(2);
        delayed = new DelayedOperations(executor);
        CoordinatorTimer timer = new CoordinatorTimer(delayed.timer());
        NewTopic offsetsSpec = OffsetsTopic.spec(8, (short) 1, 1 << 20);
        NewTopic transactionsSpec = TransactionTopic.spec(8, (short) 1, 1, 1 << 20);
        OffsetsTopic offsets = OffsetsTopic.createIfAbsent(channel, controller, replicas, offsetsSpec);
        GroupCoordinator groups = new GroupCoordinator(new GroupConfig(6000, 300000, 0, 100, 4096), offsets, timer,
                System::currentTimeMillis);
        TransactionTopic transactionTopic = TransactionTopic.createIfAbsent(channel, controller, replicas,
                transactionsSpec);
        LocalMarkerWriter markers = new LocalMarkerWriter(replicas, groups, offsets, delayed, executor);
        ProducerIdManager producerIds = new ProducerIdManager(channel, NODE);
        TransactionCoordinator transactions = new TransactionCoordinator(new TransactionConfig(900000, 604800000L, 0),
                transactionTopic, markers, producerIds::nextId, timer, System::currentTimeMillis);
        channel.createTopic(new NewTopic(TOPIC, 2, (short) 1, Map.of(), Map.of()), false)
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (replicas.image().topic(TOPIC) == null || replicas.image().topic(Topic.GROUP_METADATA_TOPIC_NAME) == null
                || replicas.image().topic(Topic.TRANSACTION_STATE_TOPIC_NAME) == null) {
            assertTrue(System.nanoTime() < deadline, "the topics did not reach the replica manager's image");
            Thread.sleep(10);
        }
        loader = new CoordinatorLoader(NODE, replicas, offsets, groups, transactionTopic, transactions);
        loader.start(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        broker = new BrokerContext(NODE, "cluster", config, "localhost", 9092, replicas, channel, delayed, producerIds,
                groups, offsets, transactionTopic, new CoordinatorTopics(channel, offsetsSpec, transactionsSpec),
                transactions, markers, loader, null, Map.of(), () -> NODE, io.brook.server.security.acl.BrokerAuthorizer.disabled());
        remoteGroup = keyLedBy(OTHER, CoordinatorType.GROUP);
        localGroup = keyLedBy(NODE, CoordinatorType.GROUP);
        remoteTxn = keyLedBy(OTHER, CoordinatorType.TRANSACTION);
        localTxn = keyLedBy(NODE, CoordinatorType.TRANSACTION);
    }

    @AfterEach
    void stop() throws Exception {
        loader.close();
        delayed.close();
        executor.shutdownNow();
        logManager.close();
        controller.close();
    }

    private String keyLedBy(int node, CoordinatorType type) {
        for (int i = 0; i < 1000; i++) {
            String key = type.name().toLowerCase() + "-" + i;
            if (broker.coordinatorNode(key, type) == node) {
                return key;
            }
        }
        throw new AssertionError("no " + type + " key is led by node " + node);
    }

    private static <Q extends ApiMessage, R extends ApiMessage> R call(ApiHandler<Q> handler, int version, Q request)
            throws Exception {
        RequestContext context = new RequestContext(new RequestHeader(handler.apiKey(), (short) version, "test", 1),
                InetAddress.getLoopbackAddress(), "c1", "", "", "PLAINTEXT", SecurityProtocol.PLAINTEXT,
                KafkaPrincipal.ANONYMOUS);
        @SuppressWarnings("unchecked")
        R response = (R) handler.handle(context, request).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return response;
    }

    private JoinGroupRequestData join(String group) {
        JoinGroupRequestProtocolCollection protocols = new JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]));
        return new JoinGroupRequestData().setGroupId(group).setMemberId("").setSessionTimeoutMs(10000)
                .setRebalanceTimeoutMs(10000).setProtocolType("consumer").setProtocols(protocols);
    }

    @Test
    void theClassicGroupProtocolIsRefusedForAGroupAnotherNodeCoordinates() throws Exception {
        JoinGroupHandler joinHandler = new JoinGroupHandler(broker);
        for (int version : new int[]{5, 9}) {
            JoinGroupResponseData join = call(joinHandler, version, join(remoteGroup).setMemberId("m-1"));
            assertEquals(NOT_COORDINATOR, join.errorCode(), "JoinGroup v" + version);
            assertEquals("m-1", join.memberId());
            assertEquals(-1, join.generationId());
            assertEquals(version < 7 ? "" : null, join.protocolName());
        }
        assertEquals(Errors.MEMBER_ID_REQUIRED.code(), ((JoinGroupResponseData) call(joinHandler, 9,
                join(localGroup))).errorCode(), "a group this node coordinates is served");

        SyncGroupResponseData sync = call(new SyncGroupHandler(broker), 5,
                new SyncGroupRequestData().setGroupId(remoteGroup).setMemberId("m-1").setGenerationId(1));
        assertEquals(NOT_COORDINATOR, sync.errorCode());

        HeartbeatResponseData heartbeat = call(new HeartbeatHandler(broker), 4,
                new HeartbeatRequestData().setGroupId(remoteGroup).setMemberId("m-1").setGenerationId(1));
        assertEquals(NOT_COORDINATOR, heartbeat.errorCode());
        assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), ((HeartbeatResponseData) call(new HeartbeatHandler(broker), 4,
                new HeartbeatRequestData().setGroupId(localGroup).setMemberId("m-1").setGenerationId(1))).errorCode());

        LeaveGroupHandler leave = new LeaveGroupHandler(broker);
        LeaveGroupResponseData v2 = call(leave, 2, new LeaveGroupRequestData().setGroupId(remoteGroup)
                .setMemberId("m-1"));
        assertEquals(NOT_COORDINATOR, v2.errorCode());
        LeaveGroupResponseData v5 = call(leave, 5, new LeaveGroupRequestData().setGroupId(remoteGroup)
                .setMembers(List.of(new MemberIdentity().setMemberId("m-1"))));
        assertEquals(NOT_COORDINATOR, v5.errorCode());
        assertTrue(v5.members().isEmpty(), "the whole request is refused, not each member");
    }

    @Test
    void offsetsOfAGroupAnotherNodeCoordinatesAreNeitherCommittedNorFetchedNorDeleted() throws Exception {
        OffsetCommitHandler commit = new OffsetCommitHandler(broker);
        OffsetCommitResponseData committed = call(commit, 9, commitRequest(remoteGroup, TOPIC));
        committed.topics().forEach(t -> t.partitions().forEach(p -> assertEquals(NOT_COORDINATOR, p.errorCode(),
                "OffsetCommit " + t.name() + "-" + p.partitionIndex())));
        assertEquals(2, committed.topics().get(0).partitions().size());
        OffsetCommitResponseData mixed = call(commit, 9, commitRequest(remoteGroup, "no-such-topic"));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), mixed.topics().get(0).partitions().get(0).errorCode(),
                "an unknown topic is answered as such before the coordinator is asked");
        OffsetCommitResponseData local = call(commit, 9, commitRequest(localGroup, TOPIC));
        local.topics().forEach(t -> t.partitions().forEach(p -> assertEquals(Errors.NONE.code(), p.errorCode())));

        OffsetFetchHandler fetch = new OffsetFetchHandler(broker);
        OffsetFetchResponseData v7 = call(fetch, 7, new OffsetFetchRequestData().setGroupId(remoteGroup)
                .setTopics(List.of(new OffsetFetchRequestTopic().setName(TOPIC).setPartitionIndexes(List.of(0)))));
        assertEquals(NOT_COORDINATOR, v7.errorCode());
        assertTrue(v7.topics().isEmpty());
        OffsetFetchResponseData v9 = call(fetch, 9, new OffsetFetchRequestData().setGroups(List.of(
                new OffsetFetchRequestGroup().setGroupId(remoteGroup).setTopics(List.of(
                        new OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(0, 1)))),
                new OffsetFetchRequestGroup().setGroupId(localGroup).setTopics(List.of(
                        new OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(0, 1)))))));
        assertEquals(NOT_COORDINATOR, v9.groups().get(0).errorCode(), "per group from v8");
        assertTrue(v9.groups().get(0).topics().isEmpty());
        assertEquals(Errors.NONE.code(), v9.groups().get(1).errorCode());
        assertEquals(42, v9.groups().get(1).topics().get(0).partitions().get(0).committedOffset(),
                "the group this node coordinates answers its commit");

        OffsetDeleteRequestTopicCollection topics = new OffsetDeleteRequestTopicCollection();
        topics.add(new OffsetDeleteRequestTopic().setName(TOPIC)
                .setPartitions(List.of(new OffsetDeleteRequestPartition().setPartitionIndex(0))));
        OffsetDeleteResponseData deleted = call(new OffsetDeleteHandler(broker), 0,
                new OffsetDeleteRequestData().setGroupId(remoteGroup).setTopics(topics));
        assertEquals(NOT_COORDINATOR, deleted.errorCode());
        assertTrue(deleted.topics().isEmpty());
    }

    private static OffsetCommitRequestData commitRequest(String group, String topic) {
        return new OffsetCommitRequestData().setGroupId(group).setGenerationIdOrMemberEpoch(-1).setMemberId("")
                .setTopics(List.of(new OffsetCommitRequestTopic().setName(topic).setPartitions(List.of(
                        new OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(42),
                        new OffsetCommitRequestPartition().setPartitionIndex(1).setCommittedOffset(42)))));
    }

    @Test
    void groupsAnotherNodeCoordinatesAreNotDescribedOrDeletedHere() throws Exception {
        DescribeGroupsResponseData described = call(new DescribeGroupsHandler(broker), 5,
                new DescribeGroupsRequestData().setGroups(List.of(remoteGroup, localGroup)));
        assertEquals(NOT_COORDINATOR, described.groups().get(0).errorCode());
        assertEquals(remoteGroup, described.groups().get(0).groupId());
        assertEquals(Errors.NONE.code(), described.groups().get(1).errorCode(), "per group");

        DeleteGroupsResponseData deleted = call(new DeleteGroupsHandler(broker), 2,
                new DeleteGroupsRequestData().setGroupsNames(List.of(remoteGroup, localGroup)));
        assertEquals(NOT_COORDINATOR, deleted.results().find(remoteGroup).errorCode());
        assertNotEquals(NOT_COORDINATOR, deleted.results().find(localGroup).errorCode());

        ConsumerGroupDescribeResponseData consumerDescribed = call(new ConsumerGroupDescribeHandler(broker), 0,
                new ConsumerGroupDescribeRequestData().setGroupIds(List.of(remoteGroup, localGroup)));
        assertEquals(NOT_COORDINATOR, consumerDescribed.groups().get(0).errorCode());
        assertEquals(Errors.GROUP_ID_NOT_FOUND.code(), consumerDescribed.groups().get(1).errorCode());

        ConsumerGroupHeartbeatHandler heartbeat = new ConsumerGroupHeartbeatHandler(broker);
        ConsumerGroupHeartbeatResponseData refused = call(heartbeat, 0, new ConsumerGroupHeartbeatRequestData()
                .setGroupId(remoteGroup).setMemberId("m-1").setMemberEpoch(0).setRebalanceTimeoutMs(10000)
                .setSubscribedTopicNames(List.of(TOPIC)).setTopicPartitions(List.of()));
        assertEquals(NOT_COORDINATOR, refused.errorCode());
        ConsumerGroupHeartbeatResponseData served = call(heartbeat, 0, new ConsumerGroupHeartbeatRequestData()
                .setGroupId(localGroup).setMemberId("m-1").setMemberEpoch(0).setRebalanceTimeoutMs(10000)
                .setSubscribedTopicNames(List.of(TOPIC)).setTopicPartitions(List.of()));
        assertEquals(Errors.NONE.code(), served.errorCode());
    }

    @Test
    void transactionsAnotherNodeCoordinatesAreRefused() throws Exception {
        InitProducerIdHandler init = new InitProducerIdHandler(broker);
        InitProducerIdResponseData refused = call(init, 5, new InitProducerIdRequestData()
                .setTransactionalId(remoteTxn).setTransactionTimeoutMs(60000).setProducerId(-1)
                .setProducerEpoch((short) -1));
        assertEquals(NOT_COORDINATOR, refused.errorCode());
        assertEquals(-1, refused.producerId());
        assertEquals(-1, refused.producerEpoch());
        InitProducerIdResponseData idempotent = call(init, 5, new InitProducerIdRequestData()
                .setTransactionalId(null).setTransactionTimeoutMs(60000).setProducerId(-1)
                .setProducerEpoch((short) -1));
        assertEquals(Errors.NONE.code(), idempotent.errorCode(), "an idempotent producer needs no coordinator");
        InitProducerIdResponseData local = call(init, 5, new InitProducerIdRequestData()
                .setTransactionalId(localTxn).setTransactionTimeoutMs(60000).setProducerId(-1)
                .setProducerEpoch((short) -1));
        assertEquals(Errors.NONE.code(), local.errorCode());

        AddPartitionsToTxnHandler add = new AddPartitionsToTxnHandler(broker);
        AddPartitionsToTxnResponseData v3 = call(add, 3, new AddPartitionsToTxnRequestData()
                .setV3AndBelowTransactionalId(remoteTxn).setV3AndBelowProducerId(1)
                .setV3AndBelowProducerEpoch((short) 0)
                .setV3AndBelowTopics(topics(TOPIC)));
        v3.resultsByTopicV3AndBelow().forEach(t -> t.resultsByPartition().forEach(p ->
                assertEquals(NOT_COORDINATOR, p.partitionErrorCode())));
        assertEquals(2, v3.resultsByTopicV3AndBelow().find(TOPIC).resultsByPartition().size());
        AddPartitionsToTxnTransactionCollection batch = new AddPartitionsToTxnTransactionCollection();
        batch.add(new AddPartitionsToTxnTransaction().setTransactionalId(remoteTxn).setProducerId(1)
                .setProducerEpoch((short) 0).setVerifyOnly(true).setTopics(topics(TOPIC)));
        batch.add(new AddPartitionsToTxnTransaction().setTransactionalId(localTxn).setProducerId(local.producerId())
                .setProducerEpoch(local.producerEpoch()).setVerifyOnly(false).setTopics(topics(TOPIC)));
        AddPartitionsToTxnResponseData v5 = call(add, 5, new AddPartitionsToTxnRequestData().setTransactions(batch));
        AddPartitionsToTxnResult remote = v5.resultsByTransaction().find(remoteTxn);
        remote.topicResults().forEach(t -> t.resultsByPartition().forEach(p ->
                assertEquals(NOT_COORDINATOR, p.partitionErrorCode())));
        v5.resultsByTransaction().find(localTxn).topicResults().forEach(t -> t.resultsByPartition().forEach(p ->
                assertEquals(Errors.NONE.code(), p.partitionErrorCode(), "per transaction from v4")));

        AddOffsetsToTxnResponseData offsets = call(new AddOffsetsToTxnHandler(broker), 4,
                new AddOffsetsToTxnRequestData().setTransactionalId(remoteTxn).setProducerId(1)
                        .setProducerEpoch((short) 0).setGroupId(localGroup));
        assertEquals(NOT_COORDINATOR, offsets.errorCode());

        EndTxnResponseData end = call(new EndTxnHandler(broker), 5, new EndTxnRequestData()
                .setTransactionalId(remoteTxn).setProducerId(1).setProducerEpoch((short) 0).setCommitted(true));
        assertEquals(NOT_COORDINATOR, end.errorCode());
        assertEquals(-1, end.producerId());

        DescribeTransactionsResponseData described = call(new DescribeTransactionsHandler(broker), 0,
                new DescribeTransactionsRequestData().setTransactionalIds(List.of(remoteTxn, localTxn)));
        assertEquals(NOT_COORDINATOR, described.transactionStates().get(0).errorCode());
        assertEquals(remoteTxn, described.transactionStates().get(0).transactionalId());
        assertEquals(Errors.NONE.code(), described.transactionStates().get(1).errorCode(), "per transactional id");
    }

    @Test
    void transactionalOffsetsGoToTheGroupsCoordinator() throws Exception {
        TxnOffsetCommitHandler handler = new TxnOffsetCommitHandler(broker);
        for (int version : new int[]{3, 5}) {
            TxnOffsetCommitResponseData response = call(handler, version, new TxnOffsetCommitRequestData()
                    .setTransactionalId(localTxn).setGroupId(remoteGroup).setProducerId(1).setProducerEpoch((short) 0)
                    .setTopics(List.of(new TxnOffsetCommitRequestTopic().setName(TOPIC).setPartitions(List.of(
                            new TxnOffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(7),
                            new TxnOffsetCommitRequestPartition().setPartitionIndex(1).setCommittedOffset(7))))));
            List<Short> errors = new ArrayList<>();
            response.topics().forEach(t -> t.partitions().forEach(p -> errors.add(p.errorCode())));
            assertEquals(List.of(NOT_COORDINATOR, NOT_COORDINATOR), errors, "TxnOffsetCommit v" + version);
        }
    }

    private static AddPartitionsToTxnTopicCollection topics(String topic) {
        AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnTopic().setName(topic).setPartitions(List.of(0, 1)));
        return topics;
    }
}
