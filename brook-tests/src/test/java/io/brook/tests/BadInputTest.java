package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.DescribeDelegationTokenRequestData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.DescribeDelegationTokenResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed and invalid requests over a raw socket get Kafka's answer, and nobody else suffers. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BadInputTest {
    /**
     * One server for the class (its tests use distinct transactional ids, groups and producer ids on the topic
     * "t"); the tests that need other settings start servers of their own under {@link #dataDir}.
     */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of("socket.request.max.bytes", "65536"));
    @TempDir
    File dataDir;
    BrookFixture brook;
    RawConnection bystander;

    @BeforeEach
    void start() throws Exception {
        brook = SHARED.brook();
        try (Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        bystander = new RawConnection(brook.bootstrap());
        assertBystanderServed();
    }

    @AfterEach
    void stop() throws Exception {
        assertBystanderServed();
        bystander.close();
    }

    private void assertBystanderServed() throws Exception {
        ApiVersionsResponseData response = (ApiVersionsResponseData) bystander.call(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("bystander").setClientSoftwareVersion("1.0"));
        assertEquals(Errors.NONE.code(), response.errorCode());
    }

    private void assertClosedAfter(byte[] bytes) throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            c.sendBytes(bytes);
            assertTrue(c.closedByServer(), "the server closes the connection");
        }
    }

    @Test
    void garbageBytesCloseTheConnection() throws Exception {
        byte[] garbage = new byte[64];
        new java.util.Random(42).nextBytes(garbage);
        ByteBuffer frame = ByteBuffer.allocate(4 + garbage.length).putInt(garbage.length).put(garbage);
        assertClosedAfter(frame.array());
    }

    @Test
    void aFrameOverSocketRequestMaxBytesClosesTheConnection() throws Exception {
        assertClosedAfter(ByteBuffer.allocate(8).putInt(10_000_000).putInt(0).array());
    }

    @Test
    void anUnknownApiKeyClosesTheConnection() throws Exception {
        ByteBuffer frame = ByteBuffer.allocate(4 + 10);
        frame.putInt(10).putShort((short) 999).putShort((short) 0).putInt(1).putShort((short) -1);
        assertClosedAfter(frame.array());
    }

    @Test
    void aTruncatedBodyClosesTheConnection() throws Exception {
        byte[] full = RawConnection.frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData()
                .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("some-topic-name"))), 1);
        byte[] cut = Arrays.copyOf(full, full.length - 8);
        ByteBuffer.wrap(cut).putInt(cut.length - 4);
        assertClosedAfter(cut);
    }

    @Test
    void anApiVersionsVersionFromTheFutureGetsTheV0Downgrade() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            // request header v2, as a client would send for a flexible version: null client id, no tags
            ByteBuffer frame = ByteBuffer.allocate(4 + 11);
            frame.putInt(11).putShort(ApiKeys.API_VERSIONS.id).putShort((short) 99).putInt(7).putShort((short) -1)
                    .put((byte) 0);
            c.sendBytes(frame.array());
            ApiVersionsResponseData response = (ApiVersionsResponseData) c.read(ApiKeys.API_VERSIONS, (short) 0, 7);
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), response.errorCode());
            assertEquals(4, response.apiKeys().find(ApiKeys.API_VERSIONS.id).maxVersion());
        }
    }

    @Test
    void anApiBrookDoesNotServeYetIsRefusedWithUnsupportedVersion() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            DescribeDelegationTokenResponseData response = (DescribeDelegationTokenResponseData) c.call(
                    ApiKeys.DESCRIBE_DELEGATION_TOKEN, (short) 3, new DescribeDelegationTokenRequestData());
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), response.errorCode());
        }
    }

    @Test
    void aShareCoordinatorLookupIsRefusedClearly() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            FindCoordinatorResponseData response = (FindCoordinatorResponseData) c.call(ApiKeys.FIND_COORDINATOR,
                    (short) 6, new FindCoordinatorRequestData().setKeyType((byte) 2).setCoordinatorKeys(List.of("s")));
            assertEquals(Errors.INVALID_REQUEST.code(), response.coordinators().get(0).errorCode());
            response = (FindCoordinatorResponseData) c.call(ApiKeys.FIND_COORDINATOR, (short) 4,
                    new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of("tx")));
            assertEquals(Errors.NONE.code(), response.coordinators().get(0).errorCode());
            assertEquals(1, response.coordinators().get(0).nodeId());
        }
    }

    @Test
    void badTransactionalRequestsGetKafkasErrorsAndCommittedDataStays() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            InitProducerIdResponseData tooLong = (InitProducerIdResponseData) c.call(ApiKeys.INIT_PRODUCER_ID,
                    (short) 4, new InitProducerIdRequestData().setTransactionalId("tx").setTransactionTimeoutMs(900_001)
                            .setProducerId(-1).setProducerEpoch((short) -1));
            assertEquals(Errors.INVALID_TRANSACTION_TIMEOUT.code(), tooLong.errorCode());
            EndTxnResponseData unknown = (EndTxnResponseData) c.call(ApiKeys.END_TXN, (short) 3,
                    new EndTxnRequestData().setTransactionalId("nobody").setProducerId(5).setProducerEpoch((short) 0)
                            .setCommitted(true));
            assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING.code(), unknown.errorCode());

            InitProducerIdResponseData init = (InitProducerIdResponseData) c.call(ApiKeys.INIT_PRODUCER_ID,
                    (short) 4, new InitProducerIdRequestData().setTransactionalId("tx").setTransactionTimeoutMs(60_000)
                            .setProducerId(-1).setProducerEpoch((short) -1));
            assertEquals(Errors.NONE.code(), init.errorCode());
            long pid = init.producerId();
            short epoch = init.producerEpoch();
            MemoryRecords txnRecords = MemoryRecords.withTransactionalRecords(Compression.NONE, pid, epoch, 0,
                    new SimpleRecord(System.currentTimeMillis(), null, "sneaky".getBytes()));
            ProduceRequestData sneaky = produce((short) -1, "t", txnRecords).setTransactionalId("tx");
            assertEquals(Errors.INVALID_TXN_STATE.code(), produceError(c, sneaky),
                    "a transactional produce to a partition never added to the transaction");
            assertEquals(Errors.INVALID_TXN_STATE.code(), produceError(c, produce((short) -1, "t", txnRecords)),
                    "a transactional batch without a transactional id");

            AddOffsetsToTxnResponseData added = (AddOffsetsToTxnResponseData) c.call(ApiKeys.ADD_OFFSETS_TO_TXN,
                    (short) 3, new AddOffsetsToTxnRequestData().setTransactionalId("tx").setProducerId(pid)
                            .setProducerEpoch(epoch).setGroupId("g"));
            assertEquals(Errors.NONE.code(), added.errorCode());
            TxnOffsetCommitResponseData stale = (TxnOffsetCommitResponseData) c.call(ApiKeys.TXN_OFFSET_COMMIT,
                    (short) 3, new TxnOffsetCommitRequestData().setTransactionalId("tx").setGroupId("g")
                            .setProducerId(pid).setProducerEpoch(epoch).setGenerationId(4).setMemberId("gone")
                            .setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic()
                                    .setName("t").setPartitions(List.of(
                                            new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                                                    .setPartitionIndex(0).setCommittedOffset(1))))));
            assertEquals(Errors.ILLEGAL_GENERATION.code(), stale.topics().get(0).partitions().get(0).errorCode(),
                    "a generation of a group that does not exist");
            AddPartitionsToTxnResponseData fenced = (AddPartitionsToTxnResponseData) c.call(
                    ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 3, new AddPartitionsToTxnRequestData()
                            .setV3AndBelowTransactionalId("tx").setV3AndBelowProducerId(pid)
                            .setV3AndBelowProducerEpoch((short) (epoch - 1)).setV3AndBelowTopics(
                                    new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection(List.of(
                                            new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName("t")
                                                    .setPartitions(List.of(0))).iterator())));
            assertEquals(Errors.PRODUCER_FENCED.code(), fenced.resultsByTopicV3AndBelow().find("t")
                    .resultsByPartition().find(0).partitionErrorCode());
        }
    }

    @Test
    void badTransactionAdminRequestsAndUnstableOffsetsGetKafkasAnswers() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            ListTransactionsResponseData listed = (ListTransactionsResponseData) c.call(ApiKeys.LIST_TRANSACTIONS,
                    (short) 2, new ListTransactionsRequestData().setStateFilters(List.of("Bogus")));
            assertEquals(List.of("Bogus"), listed.unknownStateFilters());
            listed = (ListTransactionsResponseData) c.call(ApiKeys.LIST_TRANSACTIONS, (short) 2,
                    new ListTransactionsRequestData().setTransactionalIdPattern("("));
            assertEquals(Errors.INVALID_REGULAR_EXPRESSION.code(), listed.errorCode());
            DescribeTransactionsResponseData described = (DescribeTransactionsResponseData) c.call(
                    ApiKeys.DESCRIBE_TRANSACTIONS, (short) 0,
                    new DescribeTransactionsRequestData().setTransactionalIds(List.of("nobody")));
            assertEquals(Errors.TRANSACTIONAL_ID_NOT_FOUND.code(), described.transactionStates().get(0).errorCode());

            // offsets committed in an open transaction: require_stable readers are told to wait
            InitProducerIdResponseData init = (InitProducerIdResponseData) c.call(ApiKeys.INIT_PRODUCER_ID,
                    (short) 4, new InitProducerIdRequestData().setTransactionalId("stable").setTransactionTimeoutMs(60_000)
                            .setProducerId(-1).setProducerEpoch((short) -1));
            c.call(ApiKeys.ADD_OFFSETS_TO_TXN, (short) 3, new AddOffsetsToTxnRequestData().setTransactionalId("stable")
                    .setProducerId(init.producerId()).setProducerEpoch(init.producerEpoch()).setGroupId("sg"));
            TxnOffsetCommitResponseData committed = (TxnOffsetCommitResponseData) c.call(ApiKeys.TXN_OFFSET_COMMIT,
                    (short) 3, new TxnOffsetCommitRequestData().setTransactionalId("stable").setGroupId("sg")
                            .setProducerId(init.producerId()).setProducerEpoch(init.producerEpoch()).setGenerationId(-1)
                            .setMemberId("").setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic()
                                    .setName("t").setPartitions(List.of(
                                            new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                                                    .setPartitionIndex(0).setCommittedOffset(1))))));
            assertEquals(Errors.NONE.code(), committed.topics().get(0).partitions().get(0).errorCode());
            OffsetFetchResponseData fetched = (OffsetFetchResponseData) c.call(ApiKeys.OFFSET_FETCH, (short) 8,
                    new OffsetFetchRequestData().setRequireStable(true).setGroups(List.of(
                            new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("sg").setTopics(List.of(
                                    new OffsetFetchRequestData.OffsetFetchRequestTopics().setName("t")
                                            .setPartitionIndexes(List.of(0)))))));
            assertEquals(Errors.UNSTABLE_OFFSET_COMMIT.code(),
                    fetched.groups().get(0).topics().get(0).partitions().get(0).errorCode());
        }
    }

    private static ProduceRequestData produce(short acks, String topic, MemoryRecords records) {
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        return new ProduceRequestData().setAcks(acks).setTimeoutMs(5000).setTopicData(topics);
    }

    private static MemoryRecords records(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(), null,
                value.getBytes()));
    }

    private static short produceError(RawConnection c, ProduceRequestData request) throws Exception {
        ProduceResponseData response = (ProduceResponseData) c.call(ApiKeys.PRODUCE, (short) 9, request);
        return response.responses().iterator().next().partitionResponses().get(0).errorCode();
    }

    @Test
    void produceErrorsArePerPartitionKafkaCodes() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            assertEquals(Errors.INVALID_REQUIRED_ACKS.code(), produceError(c, produce((short) 5, "t", records("a"))));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
                    produceError(c, produce((short) 1, "missing", records("a"))));

            MemoryRecords corrupt = records("payload");
            ByteBuffer buffer = corrupt.buffer();
            buffer.put(buffer.limit() - 1, (byte) (buffer.get(buffer.limit() - 1) ^ 0x7f));
            assertEquals(Errors.CORRUPT_MESSAGE.code(), produceError(c, produce((short) 1, "t", corrupt)));

            ByteBuffer two = ByteBuffer.allocate(200);
            two.put(records("one").buffer()).put(records("two").buffer()).flip();
            assertEquals(Errors.INVALID_RECORD.code(),
                    produceError(c, produce((short) 1, "t", MemoryRecords.readableRecords(two))));

            assertEquals(Errors.NONE.code(), produceError(c, produce((short) 1, "t", records("fine"))));
        }
    }

    @Test
    void fetchErrorsAreKafkaCodes() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            FetchRequestData outOfRange = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
                    .setSessionEpoch(-1).setTopics(List.of(new FetchRequestData.FetchTopic().setTopic("t")
                            .setPartitions(List.of(new FetchRequestData.FetchPartition().setPartition(0)
                                    .setFetchOffset(100).setPartitionMaxBytes(1 << 20)))));
            FetchResponseData response = (FetchResponseData) c.call(ApiKeys.FETCH, (short) 12, outOfRange);
            assertEquals(Errors.OFFSET_OUT_OF_RANGE.code(), response.responses().get(0).partitions().get(0).errorCode());

            FetchRequestData unknownId = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
                    .setSessionEpoch(-1).setTopics(List.of(new FetchRequestData.FetchTopic()
                            .setTopicId(Uuid.randomUuid()).setPartitions(List.of(new FetchRequestData.FetchPartition()
                                    .setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
            response = (FetchResponseData) c.call(ApiKeys.FETCH, (short) 16, unknownId);
            assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), response.responses().get(0).partitions().get(0).errorCode());
        }
    }

    @Test
    void invalidTopicConfigsAreRefusedWithInvalidConfig() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            CreateTopicsRequestData.CreatableTopicConfigCollection configs =
                    new CreateTopicsRequestData.CreatableTopicConfigCollection();
            configs.add(new CreateTopicsRequestData.CreatableTopicConfig().setName("cleanup.policy").setValue("never"));
            CreateTopicsRequestData.CreatableTopicCollection topics = new CreateTopicsRequestData.CreatableTopicCollection();
            topics.add(new CreateTopicsRequestData.CreatableTopic().setName("x").setNumPartitions(1)
                    .setReplicationFactor((short) 1).setConfigs(configs));
            CreateTopicsResponseData response = (CreateTopicsResponseData) c.call(ApiKeys.CREATE_TOPICS, (short) 7,
                    new CreateTopicsRequestData().setTopics(topics).setTimeoutMs(5000));
            assertEquals(Errors.INVALID_CONFIG.code(), response.topics().find("x").errorCode());
        }
    }

    @Test
    void internalTopicsAreProtected() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap());
             Admin admin = brook.admin()) {
            assertEquals(Errors.INVALID_TOPIC_EXCEPTION.code(),
                    produceError(c, produce((short) 1, "__consumer_offsets", records("x"))));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.deleteTopics(List.of("__consumer_offsets")).all().get());
            assertInstanceOf(InvalidTopicException.class, e.getCause());
        }
    }

    /**
     * KAFKA-15591: on a partition that has never held a record, a producer's first batch must start at sequence 0.
     * A later batch that overtook a refused first one (sent before the leader had the partition) is answered
     * OUT_OF_ORDER_SEQUENCE_NUMBER, which the client retries after the first; taking it would leave a gap the first
     * batch could never fill, and the producer stuck until its delivery timeout.
     */
    @Test
    void aNeverWrittenPartitionRefusesAProducersFirstBatchAboveSequenceZero() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap()); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("first-sequence", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            // CreateTopics answers once the topic is committed; the node hosts the partition just after
            short error;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            do {
                MemoryRecords overtaking = MemoryRecords.withIdempotentRecords(Compression.NONE, 4343L, (short) 0,
                        17, new SimpleRecord(System.currentTimeMillis(), null, "second batch".getBytes()));
                error = produceError(c, produce((short) -1, "first-sequence", overtaking));
            } while (error == Errors.UNKNOWN_TOPIC_OR_PARTITION.code() && System.nanoTime() < deadline);
            assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(), error);
            MemoryRecords first = MemoryRecords.withIdempotentRecords(Compression.NONE, 4343L, (short) 0, 0,
                    new SimpleRecord(System.currentTimeMillis(), null, "first batch".getBytes()));
            assertEquals(Errors.NONE.code(), produceError(c, produce((short) -1, "first-sequence", first)));
            MemoryRecords other = MemoryRecords.withIdempotentRecords(Compression.NONE, 4444L, (short) 0, 17,
                    new SimpleRecord(System.currentTimeMillis(), null, "state expired elsewhere".getBytes()));
            assertEquals(Errors.NONE.code(), produceError(c, produce((short) -1, "first-sequence", other)),
                    "a partition that has held a record takes an unknown producer at any sequence");
        }
    }

    @Test
    void aRetriedIdempotentBatchIsWrittenOnce() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            MemoryRecords batch = MemoryRecords.withIdempotentRecords(Compression.NONE, 4242L, (short) 0, 0,
                    new SimpleRecord(System.currentTimeMillis(), null, "once".getBytes()));
            ProduceResponseData first = (ProduceResponseData) c.call(ApiKeys.PRODUCE, (short) 9,
                    produce((short) -1, "t", batch));
            MemoryRecords retry = MemoryRecords.withIdempotentRecords(Compression.NONE, 4242L, (short) 0, 0,
                    new SimpleRecord(System.currentTimeMillis(), null, "once".getBytes()));
            ProduceResponseData second = (ProduceResponseData) c.call(ApiKeys.PRODUCE, (short) 9,
                    produce((short) -1, "t", retry));
            long firstOffset = first.responses().iterator().next().partitionResponses().get(0).baseOffset();
            long secondOffset = second.responses().iterator().next().partitionResponses().get(0).baseOffset();
            assertEquals(Errors.NONE.code(), second.responses().iterator().next().partitionResponses().get(0)
                    .errorCode());
            assertEquals(firstOffset, secondOffset, "the retry is answered with the original offset");
            MemoryRecords gap = MemoryRecords.withIdempotentRecords(Compression.NONE, 4242L, (short) 0, 5,
                    new SimpleRecord(System.currentTimeMillis(), null, "gap".getBytes()));
            assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(), produceError(c, produce((short) -1, "t", gap)));
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterConnectionsMaxIdleMs() throws Exception {
        try (BrookFixture idle = new BrookFixture(new File(dataDir, "idle"), Map.of("connections.max.idle.ms", "500"));
             RawConnection c = new RawConnection(idle.bootstrap())) {
            assertServed(c);
            long idleSince = System.nanoTime();
            assertTrue(c.closedByServerWithin(10_000), "an idle connection is closed after connections.max.idle.ms");
            assertTrue(System.nanoTime() - idleSince >= 400_000_000L, "closed for idling, not at once");
        }
    }

    /** The idle timeout is far beyond the test: a closed connection was refused by the limit. */
    @Test
    void aThirdConnectionFromOneAddressIsRefusedAtOnceWhileTwoStayOpen() throws Exception {
        try (BrookFixture limited = new BrookFixture(new File(dataDir, "limited"), Map.of(
                "connections.max.idle.ms", "600000", "max.connections.per.ip", "2"));
             RawConnection first = new RawConnection(limited.bootstrap());
             RawConnection second = new RawConnection(limited.bootstrap())) {
            assertServed(first);
            assertServed(second);
            try (RawConnection third = new RawConnection(limited.bootstrap())) {
                long connected = System.nanoTime();
                assertTrue(third.closedByServerWithin(5_000), "a third connection from the same address is refused");
                assertTrue(System.nanoTime() - connected < 5_000_000_000L);
            }
            assertFalse(first.closedByServerWithin(1_000), "connections under the limit stay open");
            assertFalse(second.closedByServerWithin(1_000), "connections under the limit stay open");
            assertServed(first);
            assertServed(second);

            first.close(); // frees a place (once the server saw the close)
            long deadline = System.currentTimeMillis() + 10_000;
            while (true) {
                try (RawConnection again = new RawConnection(limited.bootstrap())) {
                    if (!again.closedByServerWithin(300)) {
                        assertServed(again);
                        break;
                    }
                }
                assertTrue(System.currentTimeMillis() < deadline, "a freed place is never given to a new connection");
            }
        }
    }

    private static void assertServed(RawConnection c) throws Exception {
        ApiVersionsResponseData response = (ApiVersionsResponseData) c.call(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("limit-test").setClientSoftwareVersion("1.0"));
        assertEquals(Errors.NONE.code(), response.errorCode());
    }

    @Test
    void offsetCommitsForUnknownTopicsOrMembersAreRefused() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            OffsetCommitRequestData unknownTopic = new OffsetCommitRequestData().setGroupId("g")
                    .setGenerationIdOrMemberEpoch(-1).setMemberId("").setTopics(List.of(
                            new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("missing").setPartitions(
                                    List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                                            .setPartitionIndex(0).setCommittedOffset(5)))));
            OffsetCommitResponseData response = (OffsetCommitResponseData) c.call(ApiKeys.OFFSET_COMMIT, (short) 9,
                    unknownTopic);
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
                    response.topics().get(0).partitions().get(0).errorCode());
            OffsetCommitRequestData unknownMember = new OffsetCommitRequestData().setGroupId("g")
                    .setGenerationIdOrMemberEpoch(3).setMemberId("nobody").setTopics(List.of(
                            new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("t").setPartitions(
                                    List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                                            .setPartitionIndex(0).setCommittedOffset(5)))));
            response = (OffsetCommitResponseData) c.call(ApiKeys.OFFSET_COMMIT, (short) 9, unknownMember);
            assertEquals(Errors.ILLEGAL_GENERATION.code(), response.topics().get(0).partitions().get(0).errorCode(),
                    "a generation of a group that does not exist");
        }
    }
}
