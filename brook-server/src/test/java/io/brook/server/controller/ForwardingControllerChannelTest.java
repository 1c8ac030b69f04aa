package io.brook.server.controller;

import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.InconsistentClusterIdException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker that is not the active controller forwards its metadata changes in Kafka's request data:
 * every operation through {@link ForwardingControllerChannel} -> bytes -> {@link ForwardedRequestServer}
 * must commit the same change and refuse with the same exception (class and message) as the local call.
 */
class ForwardingControllerChannelTest {
    private static final String CLUSTER_ID = "forwarding-test-cluster";
    private static final long SESSION_MS = 9_000;
    /** The controller's session clock (ms), moved by the tests. */
    private final AtomicLong clock = new AtomicLong(1_000_000);
    @TempDir
    File dir;
    private MetadataController controller;
    private LocalControllerChannel local;
    private ForwardingControllerChannel forwarding;
    private final AtomicInteger forwarded = new AtomicInteger();

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        local = new LocalControllerChannel(controller, () -> List.of(1), 3, (short) 1, Short.MAX_VALUE,
                () -> QuorumDescription.singleNode(1, 0, controller.image().offset() + 1, 0), CLUSTER_ID, SESSION_MS,
                clock::get);
        ForwardedRequestServer server = new ForwardedRequestServer(local);
        forwarding = new ForwardingControllerChannel(request -> {
            forwarded.incrementAndGet();
            ByteBuffer copy = ByteBuffer.allocate(request.remaining()).put(request.duplicate()).flip();
            return server.serve(copy).thenApply(answer ->
                    ByteBuffer.allocate(answer.remaining()).put(answer.duplicate()).flip());
        });
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    @Test
    void createTopicIsCommittedWithTheControllersDefaults() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("orders", -1, (short) -1, Map.of(),
                Map.of("cleanup.policy", "compact")), false));
        assertEquals(3, created.numPartitions());
        assertEquals(1, created.replicationFactor());
        assertEquals(created.topicId(), controller.image().topic("orders").id());
        assertEquals("compact", controller.image().topic("orders").configs().get("cleanup.policy"));
        assertEquals(1, forwarded.get());
    }

    @Test
    void validateOnlyWritesNothing() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("dry", 2, (short) 1, Map.of(), Map.of()),
                true));
        assertEquals(2, created.numPartitions());
        assertNull(controller.image().topic("dry"));
    }

    @Test
    void refusalsArriveAsTheSameExceptionAsALocalCall() throws Exception {
        get(local.createTopic(new NewTopic("t", 2, (short) 1, Map.of(), Map.of()), false));
        assertSameRefusal(local.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false),
                forwarding.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false),
                TopicExistsException.class);
        assertSameRefusal(local.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                forwarding.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertSameRefusal(local.createPartitions("t", 1, null, false),
                forwarding.createPartitions("t", 1, null, false), InvalidPartitionsException.class);
        assertSameRefusal(local.alterTopicConfigs("nope", Map.of("retention.ms", "1"), false),
                forwarding.alterTopicConfigs("nope", Map.of("retention.ms", "1"), false),
                UnknownTopicOrPartitionException.class);
        Uuid unknown = Uuid.randomUuid();
        assertSameRefusal(local.deleteTopic(null, unknown), forwarding.deleteTopic(null, unknown),
                UnknownTopicIdException.class);
    }

    @Test
    void partitionsConfigsAndDeletionAreCommitted() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false));
        get(forwarding.createPartitions("t", 4, List.of(List.of(1), List.of(1), List.of(1)), false));
        assertEquals(4, controller.image().topic("t").partitions().size());
        get(forwarding.alterTopicConfigs("t", Map.of("retention.ms", "1000"), false));
        assertEquals(Map.of("retention.ms", "1000"), controller.image().topic("t").configs());
        get(forwarding.alterTopicConfigs("t", Map.of(), false));
        assertEquals(Map.of(), controller.image().topic("t").configs());
        ControllerChannel.DeletedTopic deleted = get(forwarding.deleteTopic(null, created.topicId()));
        assertEquals("t", deleted.name());
        assertEquals(created.topicId(), deleted.id());
        assertNull(controller.image().topic("t"));
    }

    @Test
    void aClusterWithoutReplicationRefusesMoreThanOneReplicaLocallyAndForwarded() throws Exception {
        LocalControllerChannel cluster = new LocalControllerChannel(controller, () -> List.of(1, 2, 3), 3, (short) 1,
                1, () -> QuorumDescription.singleNode(1, 0, 0, 0));
        ForwardedRequestServer server = new ForwardedRequestServer(cluster);
        ForwardingControllerChannel toCluster = new ForwardingControllerChannel(server::serve);
        assertSameRefusal(cluster.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                toCluster.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertSameRefusal(cluster.createTopic(new NewTopic("a2", -1, (short) -1, Map.of(0, List.of(1, 2)), Map.of()),
                        false),
                toCluster.createTopic(new NewTopic("a2", -1, (short) -1, Map.of(0, List.of(1, 2)), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertEquals(3, get(toCluster.createTopic(new NewTopic("r1", 3, (short) 1, Map.of(), Map.of()), false))
                .numPartitions());
        assertNull(controller.image().topic("r3"));
    }

    @Test
    void theQuorumIsDescribedAsTheActiveControllerSeesIt() throws Exception {
        get(local.createTopic(new NewTopic("t", 2, (short) 1, Map.of(), Map.of()), false));
        QuorumDescription described = get(forwarding.describeQuorum());
        assertEquals(get(local.describeQuorum()), described);
        assertEquals(controller.image().offset() + 1, described.highWatermark());
        assertEquals(List.of(1), described.voters().stream().map(QuorumDescription.Replica::id).toList());
    }

    @Test
    void producerIdBlocksNeverOverlap() throws Exception {
        ControllerChannel.ProducerIdBlock first = get(forwarding.allocateProducerIds(1));
        ControllerChannel.ProducerIdBlock second = get(local.allocateProducerIds(1));
        ControllerChannel.ProducerIdBlock third = get(forwarding.allocateProducerIds(2));
        assertTrue(first.size() > 0);
        assertEquals(first.firstId() + first.size(), second.firstId());
        assertEquals(second.firstId() + second.size(), third.firstId());
        assertNotEquals(first.firstId(), third.firstId());
    }

    @Test
    void aclsAreCreatedAndDeletedThroughTheForwardedRequestsWithPerEntryResults() throws Exception {
        org.apache.kafka.common.acl.AclBinding read = new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC,
                        "orders", org.apache.kafka.common.resource.PatternType.PREFIXED),
                new org.apache.kafka.common.acl.AccessControlEntry("User:alice", "*",
                        org.apache.kafka.common.acl.AclOperation.READ,
                        org.apache.kafka.common.acl.AclPermissionType.ALLOW));
        org.apache.kafka.common.acl.AclBinding badCluster = new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(
                        org.apache.kafka.common.resource.ResourceType.CLUSTER, "other",
                        org.apache.kafka.common.resource.PatternType.LITERAL), read.entry());
        List<org.apache.kafka.common.requests.ApiError> created = get(forwarding.createAcls(List.of(read, badCluster)));
        assertEquals(org.apache.kafka.common.protocol.Errors.NONE, created.get(0).error());
        assertEquals(org.apache.kafka.common.protocol.Errors.INVALID_REQUEST, created.get(1).error());
        assertTrue(created.get(1).message().contains("kafka-cluster"), created.get(1).message());
        assertEquals(List.of(read), List.copyOf(controller.image().acls().acls().values()));

        var deleted = get(forwarding.deleteAcls(List.of(org.apache.kafka.common.acl.AclBindingFilter.ANY)));
        assertEquals(List.of(read), deleted.get(0).deleted());
        assertTrue(controller.image().acls().isEmpty());
    }

    @Test
    void clientQuotasAreForwardedWithPerEntryResultsAndValidateOnlyWritesNothing() throws Exception {
        var request = new org.apache.kafka.common.message.AlterClientQuotasRequestData();
        for (String[] entry : new String[][] {{"fast", "producer_byte_rate"}, {"fast", "retention.ms"}}) {
            var data = new org.apache.kafka.common.message.AlterClientQuotasRequestData.EntryData();
            data.entity().add(new org.apache.kafka.common.message.AlterClientQuotasRequestData.EntityData()
                    .setEntityType("client-id").setEntityName(entry[0]));
            data.ops().add(new org.apache.kafka.common.message.AlterClientQuotasRequestData.OpData().setKey(entry[1])
                    .setValue(1000));
            request.entries().add(data);
        }
        var dryRun = get(forwarding.alterClientQuotas(request.duplicate().setValidateOnly(true)));
        assertEquals(List.of((short) 0, org.apache.kafka.common.protocol.Errors.INVALID_REQUEST.code()),
                dryRun.entries().stream().map(e -> e.errorCode()).toList());
        assertTrue(controller.image().clientQuotas().isEmpty(), "validate-only wrote nothing");
        var written = get(forwarding.alterClientQuotas(request));
        assertEquals(dryRun.entries().stream().map(e -> e.errorCode()).toList(),
                written.entries().stream().map(e -> e.errorCode()).toList());
        assertEquals(1000.0, controller.image().clientQuotas().quota(
                io.brook.metadata.quota.ClientQuotaEntity.single("client-id", "fast"), "producer_byte_rate"));
        assertEquals(2, forwarded.get());
    }

    @Test
    void anUnreadableRequestFailsWithoutReachingTheController() {
        ForwardedRequestServer server = new ForwardedRequestServer(local);
        ExecutionException e = assertThrows(ExecutionException.class, () ->
                server.serve(ByteBuffer.wrap(new byte[]{0x7f, 0x7f, 0, 0})).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("unknown API key"), e.getCause().getMessage());
    }

    // ---- broker lifecycle ----

    private static BrokerRegistrationRequestData registration(int id, Uuid incarnation) {
        BrokerRegistrationRequestData request = new BrokerRegistrationRequestData().setBrokerId(id)
                .setClusterId(CLUSTER_ID).setIncarnationId(incarnation).setRack("r" + id);
        request.listeners().add(new BrokerRegistrationRequestData.Listener().setName("PLAINTEXT")
                .setHost("broker-" + id).setPort(9092).setSecurityProtocol((short) 0));
        return request;
    }

    private static BrokerHeartbeatRequestData heartbeat(int id, long epoch, long offset) {
        return new BrokerHeartbeatRequestData().setBrokerId(id).setBrokerEpoch(epoch)
                .setCurrentMetadataOffset(offset).setWantFence(false);
    }

    @Test
    void aForwardedRegistrationIsCommittedFencedAndItsHeartbeatUnfencesItOnceCaughtUp() throws Exception {
        long epoch = get(forwarding.registerBroker(registration(2, Uuid.randomUuid()))).brokerEpoch();
        BrokerRegistration registered = controller.image().cluster().broker(2);
        assertEquals(epoch, registered.epoch());
        assertEquals(controller.image().offset(), epoch, "the epoch is the offset of its RegisterBrokerRecord");
        assertTrue(registered.fenced());
        assertEquals("r2", registered.rack().orElseThrow());

        BrokerHeartbeatResponseData behind = get(forwarding.brokerHeartbeat(heartbeat(2, epoch, epoch - 1)));
        assertFalse(behind.isCaughtUp());
        assertTrue(behind.isFenced());
        BrokerHeartbeatResponseData caughtUp = get(forwarding.brokerHeartbeat(heartbeat(2, epoch, epoch)));
        assertTrue(caughtUp.isCaughtUp());
        assertFalse(caughtUp.isFenced());
        assertFalse(controller.image().cluster().broker(2).fenced());

        get(forwarding.unregisterBroker(2));
        assertNull(controller.image().cluster().broker(2));
        assertEquals(4, forwarded.get(), "register, two heartbeats, unregister: each forwarded");
    }

    @Test
    void lifecycleRefusalsArriveAsTheSameExceptionAsALocalCall() throws Exception {
        Uuid incarnation = Uuid.randomUuid();
        long epoch = get(local.registerBroker(registration(2, incarnation))).brokerEpoch();
        get(local.brokerHeartbeat(heartbeat(2, epoch, epoch))); // unfenced: only then is another process a duplicate
        BrokerRegistrationRequestData wrongCluster = registration(3, Uuid.randomUuid()).setClusterId("other");
        assertSameRefusal(local.registerBroker(wrongCluster), forwarding.registerBroker(wrongCluster),
                InconsistentClusterIdException.class, false);
        BrokerRegistrationRequestData duplicate = registration(2, Uuid.randomUuid());
        assertSameRefusal(local.registerBroker(duplicate), forwarding.registerBroker(duplicate),
                DuplicateBrokerRegistrationException.class, false);
        assertSameRefusal(local.brokerHeartbeat(heartbeat(7, 0, 0)), forwarding.brokerHeartbeat(heartbeat(7, 0, 0)),
                BrokerIdNotRegisteredException.class, false);
        assertSameRefusal(local.brokerHeartbeat(heartbeat(2, epoch + 1, 0)),
                forwarding.brokerHeartbeat(heartbeat(2, epoch + 1, 0)), StaleBrokerEpochException.class, false);
        assertSameRefusal(local.unregisterBroker(7), forwarding.unregisterBroker(7),
                BrokerIdNotRegisteredException.class);
    }

    @Test
    void theFencePassFencesABrokerSilentLongerThanTheSessionTimeout() throws Exception {
        long epoch = get(local.registerBroker(registration(2, Uuid.randomUuid()))).brokerEpoch();
        get(local.brokerHeartbeat(heartbeat(2, epoch, epoch)));
        clock.addAndGet(SESSION_MS);
        assertEquals(List.of(), get(local.fenceStaleBrokers()), "silent for exactly the timeout: alive");
        assertFalse(controller.image().cluster().broker(2).fenced());
        clock.addAndGet(1);
        assertEquals(List.of(2), get(local.fenceStaleBrokers()));
        assertTrue(controller.image().cluster().broker(2).fenced());
    }

    @Test
    void aControllerThatBecomesActiveGivesEveryRegisteredBrokerAFullSession() throws Exception {
        long epoch = get(local.registerBroker(registration(2, Uuid.randomUuid()))).brokerEpoch();
        get(local.brokerHeartbeat(heartbeat(2, epoch, epoch))); // unfenced
        controller.close();
        clock.addAndGet(10 * SESSION_MS); // the old session is long over, but a new controller cannot know
        controller = LocalMetadataController.open(dir);
        LocalControllerChannel restarted = new LocalControllerChannel(controller, () -> List.of(1), 3, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0), CLUSTER_ID, SESSION_MS, clock::get);
        assertInstanceOf(DuplicateBrokerRegistrationException.class,
                cause(restarted.registerBroker(registration(2, Uuid.randomUuid()))));
        clock.addAndGet(SESSION_MS + 1);
        Uuid next = Uuid.randomUuid();
        get(restarted.registerBroker(registration(2, next)));
        assertEquals(next, controller.image().cluster().broker(2).incarnationId());
    }

    @Test
    void aChannelWithoutTheLifecycleRefusesRegistrations() {
        LocalControllerChannel plain = new LocalControllerChannel(controller, () -> List.of(1), 3, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0));
        assertInstanceOf(org.apache.kafka.common.errors.UnsupportedVersionException.class,
                cause(plain.registerBroker(registration(2, Uuid.randomUuid()))));
    }

    // ---- AlterPartition ----

    /** A v3 AlterPartition from {@code sender} for partition 0 of {@code topic}, members at their current epochs. */
    private AlterPartitionRequestData alterPartition(int sender, Uuid topic, int leaderEpoch, int partitionEpoch,
                                                     List<Integer> isr) {
        AlterPartitionRequestData.PartitionData partition = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(0).setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch);
        for (int member : isr) {
            partition.newIsrWithEpochs().add(new AlterPartitionRequestData.BrokerState().setBrokerId(member)
                    .setBrokerEpoch(controller.image().cluster().broker(member).epoch()));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(sender)
                .setBrokerEpoch(controller.image().cluster().broker(sender).epoch());
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(topic)
                .setPartitions(new java.util.ArrayList<>(List.of(partition))));
        return request;
    }

    @Test
    void aForwardedAlterPartitionChangesTheIsrAndAnswersThePartitionsNewState() throws Exception {
        for (int id = 2; id <= 3; id++) {
            long epoch = get(forwarding.registerBroker(registration(id, Uuid.randomUuid()))).brokerEpoch();
            get(forwarding.brokerHeartbeat(heartbeat(id, epoch, controller.image().offset())));
        }
        Uuid topic = Uuid.randomUuid();
        get(controller.submit(image -> ControllerResult.of(List.of(MetadataRecords.topic("replicated", topic),
                MetadataRecords.partition(topic, 0, List.of(2, 3), List.of(2, 3), 2, 0, 0)), null)));
        int before = forwarded.get();

        AlterPartitionResponseData shrunk = get(forwarding.alterPartition(alterPartition(2, topic, 0, 0, List.of(2))));
        assertEquals(Errors.NONE.code(), shrunk.errorCode());
        AlterPartitionResponseData.PartitionData answer = shrunk.topics().get(0).partitions().get(0);
        assertEquals(topic, shrunk.topics().get(0).topicId());
        assertEquals(Errors.NONE.code(), answer.errorCode());
        assertEquals(List.of(2), answer.isr());
        assertEquals(List.of(2, 0, 1), List.of(answer.leaderId(), answer.leaderEpoch(), answer.partitionEpoch()));
        PartitionImage committed = controller.image().topic(topic).partitions().get(0);
        assertEquals(List.of(2), committed.isr(), "committed before the answer");
        assertEquals(1, committed.partitionEpoch());
        assertEquals(0, committed.leaderEpoch());

        // the version 2 field (plain ids) survives the version 3 encoding as members of unknown epoch
        AlterPartitionRequestData plain = alterPartition(2, topic, 0, 1, List.of());
        plain.topics().get(0).partitions().get(0).setNewIsr(new java.util.ArrayList<>(List.of(2, 3)));
        AlterPartitionResponseData grown = get(forwarding.alterPartition(plain));
        assertEquals(List.of(2, 3), grown.topics().get(0).partitions().get(0).isr());
        assertEquals(List.of(2, 3), controller.image().topic(topic).partitions().get(0).isr());
        assertEquals(before + 2, forwarded.get(), "both forwarded");

        // a partition's refusal is in the answer, the same as a local call's
        AlterPartitionRequestData stale = alterPartition(2, topic, 0, 1, List.of(2));
        AlterPartitionResponseData viaBytes = get(forwarding.alterPartition(stale));
        assertEquals(get(local.alterPartition(stale)), viaBytes);
        assertEquals(Errors.INVALID_UPDATE_VERSION.code(), viaBytes.topics().get(0).partitions().get(0).errorCode());
        assertEquals(2, controller.image().topic(topic).partitions().get(0).partitionEpoch(), "nothing written");

        // the whole request's refusal arrives as the same exception
        AlterPartitionRequestData staleSender = alterPartition(2, topic, 0, 2, List.of(2));
        staleSender.setBrokerEpoch(staleSender.brokerEpoch() - 1);
        assertSameRefusal(local.alterPartition(staleSender), forwarding.alterPartition(staleSender),
                StaleBrokerEpochException.class, false);
    }

    @Test
    void onTheActiveControllerARoutedAlterPartitionIsDecidedLocally() throws Exception {
        long epoch = get(local.registerBroker(registration(2, Uuid.randomUuid()))).brokerEpoch();
        RoutingControllerChannel routing = new RoutingControllerChannel(controller, local, forwarding);
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(2).setBrokerEpoch(epoch);
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(Uuid.randomUuid())
                .setPartitions(new java.util.ArrayList<>(List.of(new AlterPartitionRequestData.PartitionData()))));
        AlterPartitionResponseData response = get(routing.alterPartition(request));
        assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), response.topics().get(0).partitions().get(0).errorCode());
        assertEquals(0, forwarded.get(), "decided here, not forwarded");
    }

    @Test
    void aChannelWithoutTheLifecycleRefusesAlterPartition() {
        LocalControllerChannel plain = new LocalControllerChannel(controller, () -> List.of(1), 3, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0));
        assertInstanceOf(org.apache.kafka.common.errors.UnsupportedVersionException.class,
                cause(plain.alterPartition(new AlterPartitionRequestData().setBrokerId(1).setBrokerEpoch(0))));
    }

    // ---- ElectLeaders (issue 19) ----

    /** Brokers 2 and 3 unfenced, "elect" partition 0 on [2, 3] led by 3 (ISR both) and partition 1 on [3, 2]. */
    private Uuid electSetUp() throws Exception {
        for (int id = 2; id <= 3; id++) {
            long epoch = get(local.registerBroker(registration(id, Uuid.randomUuid()))).brokerEpoch();
            get(local.brokerHeartbeat(heartbeat(id, epoch, controller.image().offset())));
        }
        Uuid topic = Uuid.randomUuid();
        get(controller.submit(image -> ControllerResult.of(List.of(MetadataRecords.topic("elect", topic),
                MetadataRecords.partition(topic, 0, List.of(2, 3), List.of(2, 3), 3, 0, 0),
                MetadataRecords.partition(topic, 1, List.of(3, 2), List.of(2, 3), 3, 0, 0)), null)));
        return topic;
    }

    private static org.apache.kafka.common.message.ElectLeadersRequestData elect(byte type, Integer... partitions) {
        org.apache.kafka.common.message.ElectLeadersRequestData request =
                new org.apache.kafka.common.message.ElectLeadersRequestData().setElectionType(type);
        request.topicPartitions().add(new org.apache.kafka.common.message.ElectLeadersRequestData.TopicPartitions()
                .setTopic("elect").setPartitions(List.of(partitions)));
        return request;
    }

    @Test
    void aForwardedPreferredElectionIsCommittedBeforeItsPerPartitionAnswers() throws Exception {
        Uuid topic = electSetUp();
        org.apache.kafka.common.message.ElectLeadersResponseData response = get(forwarding.electLeaders(
                elect(io.brook.metadata.controller.LeaderElection.PREFERRED, 0, 1, 9)));
        assertEquals(1, forwarded.get());
        assertEquals(Errors.NONE.code(), response.errorCode());
        List<org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult> answers =
                response.replicaElectionResults().get(0).partitionResult();
        assertEquals(List.of(Errors.NONE.code(), Errors.ELECTION_NOT_NEEDED.code(),
                Errors.UNKNOWN_TOPIC_OR_PARTITION.code()), answers.stream().map(a -> a.errorCode()).toList());
        PartitionImage elected = controller.image().topic(topic).partitions().get(0);
        assertEquals(2, elected.leader(), "committed before the answer");
        assertEquals(1, elected.leaderEpoch());

        // every partition (null): nothing is needed any more, so nothing is answered
        org.apache.kafka.common.message.ElectLeadersResponseData all = get(forwarding.electLeaders(
                new org.apache.kafka.common.message.ElectLeadersRequestData().setTopicPartitions(null)));
        assertEquals(List.of(), all.replicaElectionResults());
    }

    // ---- partition reassignments (issue 19) ----

    @Test
    void aForwardedReassignmentIsCommittedBeforeItsAnswerAndListedWhileInProgress() throws Exception {
        Uuid topic = electSetUp();
        long epoch = get(local.registerBroker(registration(4, Uuid.randomUuid()))).brokerEpoch();
        get(local.brokerHeartbeat(heartbeat(4, epoch, controller.image().offset())));
        org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData request =
                new org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData();
        request.topics().add(new org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData
                .ReassignableTopic().setName("elect").setPartitions(new java.util.ArrayList<>(List.of(
                        new org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData
                                .ReassignablePartition().setPartitionIndex(0).setReplicas(List.of(4, 3)),
                        new org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData
                                .ReassignablePartition().setPartitionIndex(1).setReplicas(null)))));
        org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData response =
                get(forwarding.alterPartitionReassignments(request));
        assertEquals(1, forwarded.get());
        assertEquals(List.of(Errors.NONE.code(), Errors.NO_REASSIGNMENT_IN_PROGRESS.code()),
                response.responses().get(0).partitions().stream().map(p -> p.errorCode()).toList());
        PartitionImage moving = controller.image().topic(topic).partitions().get(0);
        assertEquals(List.of(4, 3, 2), moving.replicas(), "committed before the answer");
        assertEquals(List.of(4), moving.addingReplicas());

        org.apache.kafka.common.message.ListPartitionReassignmentsResponseData listed = get(
                forwarding.listPartitionReassignments(new org.apache.kafka.common.message
                        .ListPartitionReassignmentsRequestData().setTopics(null)));
        assertEquals(2, forwarded.get());
        assertEquals(List.of(4, 3, 2), listed.topics().get(0).partitions().get(0).replicas());
        assertEquals(List.of(2), listed.topics().get(0).partitions().get(0).removingReplicas());
    }

    @Test
    void aForwardedElectionsRefusalArrivesAsTheSameExceptionAndTheRoutedOneRunsLocally() throws Exception {
        electSetUp();
        assertSameRefusal(local.electLeaders(elect((byte) 5, 0)), forwarding.electLeaders(elect((byte) 5, 0)),
                org.apache.kafka.common.errors.InvalidRequestException.class, false);
        int before = forwarded.get();
        RoutingControllerChannel routing = new RoutingControllerChannel(controller, local, forwarding);
        assertEquals(Errors.NONE.code(), get(routing.electLeaders(elect(
                io.brook.metadata.controller.LeaderElection.PREFERRED, 0))).replicaElectionResults().get(0)
                .partitionResult().get(0).errorCode());
        assertEquals(before, forwarded.get(), "decided here, not forwarded");
    }

    @Test
    void theRebalanceMovesLeadershipBackToThePreferredReplicaOfAnImbalancedBroker() throws Exception {
        Uuid topic = electSetUp(); // broker 2 is preferred for partition 0 and leads none of its 1: 100%
        assertEquals(List.of(new org.apache.kafka.common.TopicPartition("elect", 0)),
                get(local.rebalanceLeaders(10)));
        assertEquals(2, controller.image().topic(topic).partitions().get(0).leader());
        assertEquals(List.of(), get(local.rebalanceLeaders(10)));
    }

    private static void assertSameRefusal(CompletableFuture<?> local, CompletableFuture<?> forwarded,
                                          Class<? extends Throwable> expected, boolean sameMessage) {
        Throwable l = cause(local);
        Throwable f = cause(forwarded);
        assertInstanceOf(expected, l);
        assertInstanceOf(expected, f);
        if (sameMessage) {
            assertEquals(l.getMessage(), f.getMessage());
        }
    }

    private static void assertSameRefusal(CompletableFuture<?> local, CompletableFuture<?> forwarded,
                                          Class<? extends Throwable> expected) {
        Throwable l = cause(local);
        Throwable f = cause(forwarded);
        assertInstanceOf(expected, l);
        assertInstanceOf(expected, f);
        assertEquals(l.getMessage(), f.getMessage());
    }

    private static Throwable cause(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        Throwable t = e.getCause();
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }
}
