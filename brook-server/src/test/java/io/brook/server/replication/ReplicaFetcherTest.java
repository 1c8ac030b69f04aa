package io.brook.server.replication;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.config.BrokerConfig;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ReplicaFetcher} against a scripted leader: what each round asks for after a partition is refused. */
@Timeout(60)
class ReplicaFetcherTest {
    private static final int NODE = 1;
    private static final int LEADER = 2;
    private static final Uuid TOPIC_ID = new Uuid(7, 7);
    private static final String TOPIC = "t";
    private static final Uuid DURABLE_TOPIC_ID = new Uuid(8, 8);
    private static final String DURABLE_TOPIC = "d";

    @TempDir
    File dir;
    private LogManager logManager;
    private ReplicaManager replicas;

    @BeforeEach
    void open() throws Exception {
        logManager = new LogManager(List.of(new File(dir, "data")), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(NODE, logManager, BrokerConfig.defaults().topicDefaults());
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.topic(TOPIC, TOPIC_ID));
        for (int p = 0; p < 2; p++) {
            records.add(MetadataRecords.partition(TOPIC_ID, p, List.of(LEADER, NODE), List.of(LEADER, NODE), LEADER, 0, 0));
        }
        records.add(MetadataRecords.topic(DURABLE_TOPIC, DURABLE_TOPIC_ID));
        records.add(MetadataRecords.topicConfig(DURABLE_TOPIC, LogConfig.DURABLE_APPEND_CONFIG, "true"));
        records.add(MetadataRecords.partition(DURABLE_TOPIC_ID, 0, List.of(LEADER, NODE), List.of(LEADER, NODE),
                LEADER, 0, 0));
        MetadataDelta delta = new MetadataDelta(MetadataImage.EMPTY);
        records.forEach(delta::replay);
        replicas.onMetadataUpdate(delta, delta.apply(records.size()));
    }

    @AfterEach
    void close() throws Exception {
        logManager.close();
    }

    @Test
    void aRefusedPartitionSitsOutItsRetryPauseWhileTheOthersKeepFetching() throws Exception {
        ScriptedLeader leader = new ScriptedLeader();
        AtomicLong nanos = new AtomicLong(1_000);
        ReplicaFetcher fetcher = new ReplicaFetcher(NODE, LEADER, leader, () -> 5L,
                ReplicaFetcher.Throttle.NONE, nanos::get);
        for (int p = 0; p < 2; p++) {
            fetcher.add(replicas.partition(new TopicPartition(TOPIC, p)), 0);
        }
        leader.refused.add(0);
        assertTrue(fetcher.round()); // both truncate (nothing to cut); no fetch yet
        assertTrue(fetcher.round()); // both fetch; partition 0 is refused
        assertEquals(Set.of(0, 1), leader.lastFetched);
        leader.refused.clear();

        leader.lastTruncated = Set.of();
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ReplicaFetcher.PARTITION_RETRY_MS) - 1);
        assertTrue(fetcher.round());
        assertEquals(Set.of(), leader.lastTruncated, "the refused partition waits out its pause");
        assertEquals(Set.of(1), leader.lastFetched, "the other partition fetches without waiting");

        nanos.addAndGet(1);
        assertTrue(fetcher.round());
        assertEquals(Set.of(0), leader.lastTruncated, "after its pause it truncates again");
        fetcher.round();
        assertEquals(Set.of(0, 1), leader.lastFetched, "after truncating again it fetches with the others");
    }

    /**
     * In durable mode the next fetch offset counts as replicated at the leader (it acknowledges acks=all), so a
     * round fsyncs what it appended before it returns; a topic not in durable mode is left to the page cache.
     */
    @Test
    void aDurableTopicsFetchedRecordsAreFsyncedBeforeTheNextFetch() throws Exception {
        ScriptedLeader leader = new ScriptedLeader();
        leader.recordsPerFetch = 2;
        ReplicaFetcher fetcher = new ReplicaFetcher(NODE, LEADER, leader, () -> 5L);
        TopicPartition durable = new TopicPartition(DURABLE_TOPIC, 0);
        TopicPartition plain = new TopicPartition(TOPIC, 0);
        fetcher.add(replicas.partition(durable), 0);
        fetcher.add(replicas.partition(plain), 0);
        fetcher.round(); // truncation
        for (int round = 1; round <= 3; round++) {
            fetcher.round();
            PartitionLog durableLog = replicas.partition(durable).log();
            assertEquals(2L * round, durableLog.logEndOffset());
            assertEquals(2L * round, durableLog.durableEnd().offset(), "fsynced by the end of round " + round);
            PartitionLog plainLog = replicas.partition(plain).log();
            assertEquals(2L * round, plainLog.logEndOffset());
            assertEquals(0, plainLog.durableEnd().offset(), "not in durable mode: no fsync");
        }
    }

    /**
     * Fetch sessions with the leader (KIP-227): after the full first fetch a request names only the partitions whose
     * fetch offset moved; a leader that lost the session gets a full fetch in the very next round, not after a
     * back-off.
     */
    @Test
    void afterTheFirstFetchOnlyPartitionsThatMovedAreSentAndALostSessionStartsOverAtOnce() throws Exception {
        ScriptedLeader leader = new ScriptedLeader();
        leader.sessionId = 42;
        leader.recordsPerFetch = 2;
        leader.withData.add(0);
        ReplicaFetcher fetcher = new ReplicaFetcher(NODE, LEADER, leader, () -> 5L);
        for (int p = 0; p < 2; p++) {
            fetcher.add(replicas.partition(new TopicPartition(TOPIC, p)), 0);
        }
        fetcher.round(); // truncation
        fetcher.round();
        assertEquals(0, leader.lastEpoch, "the first fetch opens a session");
        assertEquals(Set.of(0, 1), leader.lastFetched);

        fetcher.round();
        assertEquals(1, leader.lastEpoch);
        assertEquals(Set.of(0), leader.lastFetched, "only the partition whose fetch offset moved is sent");
        assertEquals(4, replicas.partition(new TopicPartition(TOPIC, 0)).log().logEndOffset());

        leader.lostSession = true;
        fetcher.round(); // FETCH_SESSION_ID_NOT_FOUND: no exception, so no back-off
        leader.lostSession = false;
        fetcher.round();
        assertEquals(0, leader.lastEpoch, "a new session");
        assertEquals(Set.of(0, 1), leader.lastFetched, "with every partition");
        assertEquals(6, replicas.partition(new TopicPartition(TOPIC, 0)).log().logEndOffset());
        assertEquals(0, replicas.partition(new TopicPartition(TOPIC, 1)).log().logEndOffset());
    }

    /**
     * A leader whose log is empty: OffsetForLeaderEpoch knows no epoch, Fetch returns no records, and partitions in
     * {@link #refused} get FENCED_LEADER_EPOCH.
     */
    private static final class ScriptedLeader implements BrokerLink {
        final Set<Integer> refused = new TreeSet<>();
        volatile Set<Integer> lastFetched = Set.of();
        volatile Set<Integer> lastTruncated = Set.of();
        /** How many records each fetched partition gets, at its fetch offset (0: the leader's log is empty). */
        volatile int recordsPerFetch;
        /** The partitions of topic t that get records (topic d always does); empty: all. */
        final Set<Integer> withData = new TreeSet<>();
        /** The fetch session a full fetch opens (0: none, every fetch is full). */
        volatile int sessionId;
        /** Whether the leader has lost its session: an incremental fetch gets FETCH_SESSION_ID_NOT_FOUND. */
        volatile boolean lostSession;
        volatile int lastEpoch = -1;

        @Override
        @SuppressWarnings("unchecked")
        public <R extends AbstractResponse> R send(AbstractRequest.Builder<?> builder, long timeoutMs) {
            AbstractRequest request = builder.build();
            if (request instanceof OffsetsForLeaderEpochRequest offsets) {
                OffsetForLeaderEpochResponseData data = new OffsetForLeaderEpochResponseData();
                Set<Integer> asked = new TreeSet<>();
                for (OffsetForLeaderTopic topic : offsets.data().topics()) {
                    OffsetForLeaderTopicResult result = new OffsetForLeaderTopicResult().setTopic(topic.topic());
                    topic.partitions().forEach(p -> {
                        asked.add(p.partition());
                        result.partitions().add(new EpochEndOffset().setPartition(p.partition())
                                .setLeaderEpoch(-1).setEndOffset(-1));
                    });
                    data.topics().add(result);
                }
                lastTruncated = asked;
                return (R) new OffsetsForLeaderEpochResponse(data);
            }
            FetchRequest fetch = (FetchRequest) request;
            lastEpoch = fetch.data().sessionEpoch();
            boolean incremental = fetch.data().sessionEpoch() > 0;
            if (incremental && lostSession) {
                lastFetched = Set.of();
                return (R) FetchResponse.of(Errors.FETCH_SESSION_ID_NOT_FOUND, 0, 0, new LinkedHashMap<>(), List.of());
            }
            LinkedHashMap<TopicIdPartition, FetchResponseData.PartitionData> answers = new LinkedHashMap<>();
            Set<Integer> asked = new TreeSet<>();
            for (FetchRequestData.FetchTopic topic : fetch.data().topics()) {
                for (FetchRequestData.FetchPartition p : topic.partitions()) {
                    asked.add(p.partition());
                    Errors error = refused.contains(p.partition()) ? Errors.FENCED_LEADER_EPOCH : Errors.NONE;
                    boolean durable = topic.topicId().equals(DURABLE_TOPIC_ID);
                    int count = durable || withData.isEmpty() || withData.contains(p.partition()) ? recordsPerFetch : 0;
                    answers.put(new TopicIdPartition(topic.topicId(), p.partition(), durable ? DURABLE_TOPIC : TOPIC),
                            new FetchResponseData.PartitionData().setPartitionIndex(p.partition())
                                    .setErrorCode(error.code()).setHighWatermark(p.fetchOffset() + count)
                                    .setLogStartOffset(0).setRecords(records(p.fetchOffset(), count)));
                }
            }
            lastFetched = asked;
            return (R) FetchResponse.of(Errors.NONE, 0, sessionId, answers, List.of());
        }

        private MemoryRecords records(long baseOffset, int count) {
            if (count == 0) {
                return MemoryRecords.EMPTY;
            }
            SimpleRecord[] batch = new SimpleRecord[count];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = new SimpleRecord(("v" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8));
            }
            return MemoryRecords.withRecords(baseOffset, Compression.NONE, 0, batch);
        }

        @Override
        public void close() {
        }
    }
}
