package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.storage.log.LogDir;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData.AlterReplicaLogDir;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData.AlterReplicaLogDirPartitionResult;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * AlterReplicaLogDirs (KIP-113): moves this broker's replicas of the given partitions to another of its log
 * directories. The answer comes once each move has started; the copy runs in the background and DescribeLogDirs
 * shows it as a future replica until it is swapped in. Errors per partition as Kafka's: LOG_DIR_NOT_FOUND for a
 * path not in {@code log.dirs}, KAFKA_STORAGE_ERROR for an offline directory (the destination checked first, as
 * Kafka's {@code ReplicaManager.alterReplicaLogDirs} does), REPLICA_NOT_AVAILABLE for a partition this broker does
 * not host; CLUSTER_AUTHORIZATION_FAILED for all without ALTER on the cluster.
 */
public final class AlterReplicaLogDirsHandler implements ApiHandler<AlterReplicaLogDirsRequestData> {
    private static final Logger log = LoggerFactory.getLogger(AlterReplicaLogDirsHandler.class);
    private final BrokerContext broker;

    public AlterReplicaLogDirsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_REPLICA_LOG_DIRS;
    }

    @Override
    public CompletableFuture<AlterReplicaLogDirsResponseData> handle(RequestContext context,
                                                                     AlterReplicaLogDirsRequestData request) {
        boolean authorized = Access.cluster(broker, context, AclOperation.ALTER);
        // a partition named under two directories goes to the last one, as in Kafka
        Map<TopicPartition, String> wanted = new LinkedHashMap<>();
        for (AlterReplicaLogDir dir : request.dirs()) {
            for (AlterReplicaLogDirTopic topic : dir.topics()) {
                for (int p : topic.partitions()) {
                    wanted.put(new TopicPartition(topic.name(), p), dir.path());
                }
            }
        }
        Map<String, AlterReplicaLogDirTopicResult> byTopic = new LinkedHashMap<>();
        wanted.forEach((tp, path) -> {
            Errors error = authorized ? move(tp, path) : Errors.CLUSTER_AUTHORIZATION_FAILED;
            byTopic.computeIfAbsent(tp.topic(), t -> new AlterReplicaLogDirTopicResult().setTopicName(t))
                    .partitions().add(new AlterReplicaLogDirPartitionResult().setPartitionIndex(tp.partition())
                            .setErrorCode(error.code()));
        });
        AlterReplicaLogDirsResponseData response = new AlterReplicaLogDirsResponseData();
        response.results().addAll(byTopic.values());
        return CompletableFuture.completedFuture(response);
    }

    private Errors move(TopicPartition tp, String path) {
        Errors destination = destinationError(broker.replicas().logDirs(), path);
        if (destination != Errors.NONE) {
            return destination;
        }
        try {
            broker.replicas().moveReplica(tp, path);
            return Errors.NONE;
        } catch (IOException e) {
            log.error("Could not start moving {} to {}", tp, path, e);
            return Errors.KAFKA_STORAGE_ERROR;
        } catch (RuntimeException e) {
            return errorFor(e);
        }
    }

    /**
     * Whether {@code path} can take a replica, checked before the partition as Kafka's
     * {@code ReplicaManager.alterReplicaLogDirs} does (so a partition not hosted here, moved to a bad directory, gets the
     * directory's error): LOG_DIR_NOT_FOUND when it is not one of {@code log.dirs} (the same absolute path),
     * KAFKA_STORAGE_ERROR when it is offline, NONE otherwise.
     */
    static Errors destinationError(List<LogDir> dirs, String path) {
        for (LogDir dir : dirs) {
            if (dir.logDir().getAbsolutePath().equals(path)) {
                return dir.isOffline() ? Errors.KAFKA_STORAGE_ERROR : Errors.NONE;
            }
        }
        return Errors.LOG_DIR_NOT_FOUND;
    }

    /** Kafka's code for why a move could not start (a storage failure of the target is KAFKA_STORAGE_ERROR). */
    static Errors errorFor(RuntimeException e) {
        Errors error = Errors.forException(e);
        return error == Errors.UNKNOWN_SERVER_ERROR && e instanceof IllegalStateException
                ? Errors.KAFKA_STORAGE_ERROR : error;
    }
}
