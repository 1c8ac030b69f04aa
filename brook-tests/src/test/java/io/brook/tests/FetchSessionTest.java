package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Incremental fetch sessions (KIP-227) over a raw connection, with topic ids (Fetch v17). */
class FetchSessionTest {
    private static final short VERSION = 17;
    @TempDir
    File dataDir;

    private static FetchRequestData request(int sessionId, int epoch, List<FetchTopic> topics) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20)
                .setSessionId(sessionId).setSessionEpoch(epoch).setTopics(topics);
    }

    private static FetchTopic topic(Uuid id, int partition, long offset) {
        return new FetchTopic().setTopicId(id).setPartitions(List.of(new FetchPartition().setPartition(partition)
                .setFetchOffset(offset).setPartitionMaxBytes(1 << 20).setCurrentLeaderEpoch(-1)));
    }

    private static int partitionCount(FetchResponseData response) {
        return response.responses().stream().mapToInt(t -> t.partitions().size()).sum();
    }

    @Test
    void sessionsCarryOnlyChanges() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir);
             Admin admin = brook.admin();
             KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of());
             RawConnection c = new RawConnection(brook.bootstrap())) {
            admin.createTopics(List.of(new NewTopic("a", 1, (short) 1), new NewTopic("b", 1, (short) 1))).all().get();
            Uuid a = admin.describeTopics(List.of("a")).allTopicNames().get().get("a").topicId();
            Uuid b = admin.describeTopics(List.of("b")).allTopicNames().get().get("b").topicId();

            FetchResponseData full = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION,
                    request(0, 0, List.of(topic(a, 0, 0), topic(b, 0, 0))));
            int session = full.sessionId();
            assertNotEquals(0, session, "epoch 0 opens a session");
            assertEquals(2, partitionCount(full), "a full response names every partition");

            FetchResponseData quiet = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION, request(session, 1, List.of()));
            assertEquals(Errors.NONE.code(), quiet.errorCode());
            assertEquals(session, quiet.sessionId());
            assertEquals(0, partitionCount(quiet), "nothing changed, nothing sent");

            producer.send(new ProducerRecord<>("b", 0, null, "news".getBytes())).get();
            FetchResponseData news = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION, request(session, 2, List.of()));
            assertEquals(1, partitionCount(news));
            FetchResponseData.PartitionData data = news.responses().get(0).partitions().get(0);
            assertEquals(b, news.responses().get(0).topicId());
            assertEquals(1, data.highWatermark());
            assertTrue(data.records().sizeInBytes() > 0);

            // the client moves b's offset forward and forgets a
            FetchRequestData moveAndForget = request(session, 3, List.of(topic(b, 0, 1)))
                    .setForgottenTopicsData(List.of(new ForgottenTopic().setTopicId(a).setPartitions(List.of(0))));
            assertEquals(0, partitionCount((FetchResponseData) c.call(ApiKeys.FETCH, VERSION, moveAndForget)));
            producer.send(new ProducerRecord<>("a", 0, null, "unheard".getBytes())).get();
            assertEquals(0, partitionCount((FetchResponseData) c.call(ApiKeys.FETCH, VERSION,
                    request(session, 4, List.of()))), "a forgotten partition is not reported");

            FetchResponseData stale = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION, request(session, 2, List.of()));
            assertEquals(Errors.INVALID_FETCH_SESSION_EPOCH.code(), stale.errorCode());
            FetchResponseData unknown = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION,
                    request(session + 1, 1, List.of()));
            assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND.code(), unknown.errorCode());

            FetchResponseData closed = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION,
                    request(session, -1, List.of(topic(a, 0, 0))));
            assertEquals(0, closed.sessionId(), "epoch -1 closes the session and fetches without one");
            assertEquals(1, partitionCount(closed));
            assertEquals(Errors.FETCH_SESSION_ID_NOT_FOUND.code(), ((FetchResponseData) c.call(ApiKeys.FETCH, VERSION,
                    request(session, 5, List.of()))).errorCode());
        }
    }
}
