package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests the protocol fuzzer ({@link ProtocolFuzzTest}) found mishandled, each kept as a fixed
 * frame: the server answers them as Kafka does, and logs no error.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FuzzFindingsTest {
    @TempDir
    static File dataDir;
    static BrookFixture brook;

    @BeforeAll
    static void start() throws Exception {
        brook = new BrookFixture(dataDir, Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertEquals(List.of(), ProtocolFuzzTest.serverErrors(brook.logFile()));
        } finally {
            brook.close();
        }
    }

    /**
     * Found: deleting a topic whose name is near the 249-character limit failed (its directory's
     * {@code .<uuid>-delete} name was over 255 bytes), after which every metadata change failed.
     */
    @Test
    void aTopicWithTheLongestNameCanBeDeletedAndCreatedAgain() throws Exception {
        String name = "t".repeat(249);
        try (Admin admin = brook.admin()) {
            for (int round = 0; round < 2; round++) {
                admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                    producer.send(new ProducerRecord<>(name, new byte[]{1})).get(30, TimeUnit.SECONDS);
                }
                admin.deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
            }
            admin.createTopics(List.of(new NewTopic("after-" + name.substring(6), 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Found when DescribeUserScramCredentials was not served: kafka-clients could not build its UNSUPPORTED_VERSION
     * answer for a null user list, and the connection was closed. It is served now (SASL): a null list describes
     * every user, and the connection goes on.
     */
    @Test
    void describeUserScramCredentialsOfANullUserListDescribesEveryUser() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            DescribeUserScramCredentialsResponseData all = (DescribeUserScramCredentialsResponseData) c.call(
                    ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, (short) 0,
                    new DescribeUserScramCredentialsRequestData().setUsers(null));
            assertEquals(Errors.NONE.code(), all.errorCode());
            assertEquals(List.of(), all.results(), "no SCRAM user on this node");
        }
    }

    /** Found: the v10-11 answer cannot carry a topic without a name, so the connection was closed. */
    @Test
    void metadataV10AndV11RefuseTopicIdsWithInvalidRequest() throws Exception {
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            for (short version : new short[]{10, 11}) {
                MetadataResponseData byId = (MetadataResponseData) c.call(ApiKeys.METADATA, version,
                        new MetadataRequestData().setTopics(List.of(new MetadataRequestTopic().setName(null)
                                .setTopicId(Uuid.randomUuid()))));
                assertEquals(Errors.INVALID_REQUEST.code(), byId.topics().iterator().next().errorCode());
                MetadataResponseData both = (MetadataResponseData) c.call(ApiKeys.METADATA, version,
                        new MetadataRequestData().setTopics(List.of(new MetadataRequestTopic().setName("t")
                                .setTopicId(Uuid.randomUuid()))));
                assertEquals(Errors.INVALID_REQUEST.code(), both.topics().iterator().next().errorCode());
            }
            MetadataResponseData v12 = (MetadataResponseData) c.call(ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(List.of(new MetadataRequestTopic().setName(null)
                            .setTopicId(Uuid.randomUuid()))));
            assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), v12.topics().iterator().next().errorCode());
        }
    }
}
