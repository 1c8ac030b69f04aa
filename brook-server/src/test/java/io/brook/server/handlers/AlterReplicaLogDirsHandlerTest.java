package io.brook.server.handlers;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.api.RequestContext;
import io.brook.server.config.BrokerConfig;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData.AlterReplicaLogDir;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AlterReplicaLogDirsHandler} over a real {@link ReplicaManager} and {@link LogManager} with three log
 * directories (one taken offline), answering per partition as Kafka's {@code ReplicaManager.alterReplicaLogDirs}:
 * LOG_DIR_NOT_FOUND for a path that is not one of {@code log.dirs}, KAFKA_STORAGE_ERROR for an offline one (both
 * checked before the partition, so a partition not hosted here gets them too), REPLICA_NOT_AVAILABLE for a partition
 * this broker does not host, CLUSTER_AUTHORIZATION_FAILED without ALTER on the cluster. The copy itself:
 * {@code AlterReplicaLogDirsTest} in brook-tests.
 */
@Timeout(60)
class AlterReplicaLogDirsHandlerTest {
    private static final TopicPartition HOSTED = new TopicPartition("hosted", 0);
    private static final TopicPartition ABSENT = new TopicPartition("absent", 0);

    @TempDir
    File dir;
    private LogManager logManager;
    private ReplicaManager replicas;
    private BrokerContext broker;
    private String online;
    private String offline;

    @BeforeEach
    void open() throws Exception {
        List<File> dirs = List.of(new File(dir, "a"), new File(dir, "b"), new File(dir, "c"));
        logManager = new LogManager(dirs, Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(1, logManager, BrokerConfig.defaults().topicDefaults());
        Uuid id = new Uuid(7, 7);
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.topic(HOSTED.topic(), id));
        records.add(MetadataRecords.partition(id, 0, List.of(1), List.of(1), 1, 0, 0));
        MetadataDelta delta = new MetadataDelta(MetadataImage.EMPTY);
        records.forEach(delta::replay);
        replicas.onMetadataUpdate(delta, delta.apply(records.size()));
        File current = logManager.dirOf(HOSTED).logDir();
        List<LogDir> others = logManager.dirs().stream().filter(d -> !d.logDir().equals(current)).toList();
        online = others.get(0).logDir().getAbsolutePath();
        others.get(1).markOffline(new IOException("injected by the test"));
        offline = others.get(1).logDir().getAbsolutePath();

        broker = HandlerTestSupport.broker(replicas, null);
    }

    @AfterEach
    void close() throws Exception {
        replicas.stopReplication();
        logManager.close();
    }

    @Test
    void eachPartitionGetsKafkasCodeForWhyItCannotMove() throws Exception {
        String unknown = new File(dir, "not-configured").getAbsolutePath();
        Map<TopicPartition, Errors> answers = alter("admin", Map.of(
                unknown, List.of(HOSTED)));
        assertEquals(Map.of(HOSTED, Errors.LOG_DIR_NOT_FOUND), answers);
        assertEquals(Map.of(HOSTED, Errors.KAFKA_STORAGE_ERROR), alter("admin", Map.of(offline, List.of(HOSTED))));
        assertEquals(Map.of(ABSENT, Errors.REPLICA_NOT_AVAILABLE), alter("admin", Map.of(online, List.of(ABSENT))));
        // the destination first, as Kafka: a partition not hosted here, sent to a bad directory, gets its error
        assertEquals(Map.of(ABSENT, Errors.LOG_DIR_NOT_FOUND), alter("admin", Map.of(unknown, List.of(ABSENT))));
        assertEquals(Map.of(ABSENT, Errors.KAFKA_STORAGE_ERROR), alter("admin", Map.of(offline, List.of(ABSENT))));

        assertEquals(Map.of(HOSTED, Errors.CLUSTER_AUTHORIZATION_FAILED),
                alter("alice", Map.of(online, List.of(HOSTED))));
        assertEquals(Map.of(HOSTED, Errors.NONE), alter("admin", Map.of(online, List.of(HOSTED))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!online.equals(dirOf(HOSTED))) { // null for a moment while the copy is swapped in
            assertTrue(System.nanoTime() < deadline, "moved to " + online + " within 30 s: " + dirOf(HOSTED));
            Thread.sleep(20);
        }
    }

    private String dirOf(TopicPartition tp) {
        LogDir current = logManager.dirOf(tp);
        return current == null ? null : current.logDir().getAbsolutePath();
    }

    private Map<TopicPartition, Errors> alter(String user, Map<String, List<TopicPartition>> moves) throws Exception {
        AlterReplicaLogDirsRequestData request = new AlterReplicaLogDirsRequestData();
        moves.forEach((path, partitions) -> {
            AlterReplicaLogDir target = new AlterReplicaLogDir().setPath(path);
            for (TopicPartition tp : partitions) {
                target.topics().add(new AlterReplicaLogDirTopic().setName(tp.topic())
                        .setPartitions(List.of(tp.partition())));
            }
            request.dirs().add(target);
        });
        RequestContext context = HandlerTestSupport.request(ApiKeys.ALTER_REPLICA_LOG_DIRS, (short) 2, user);
        AlterReplicaLogDirsResponseData response = new AlterReplicaLogDirsHandler(broker).handle(context, request)
                .get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Errors> answers = new LinkedHashMap<>();
        for (var topic : response.results()) {
            for (var partition : topic.partitions()) {
                answers.put(new TopicPartition(topic.topicName(), partition.partitionIndex()),
                        Errors.forCode(partition.errorCode()));
            }
        }
        return answers;
    }
}
