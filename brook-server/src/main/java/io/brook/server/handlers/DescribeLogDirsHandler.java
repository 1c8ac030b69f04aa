package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import io.brook.storage.log.FutureLog;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsRequestData.DescribableLogDirTopic;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeLogDirs: each log directory of the node, its space or its error, and the size on disk of each partition;
 * a replica moving to another directory appears there too, as a future replica with its offset lag.
 */
public final class DescribeLogDirsHandler implements ApiHandler<DescribeLogDirsRequestData> {
    private final BrokerContext broker;

    public DescribeLogDirsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_LOG_DIRS;
    }

    @Override
    public CompletableFuture<DescribeLogDirsResponseData> handle(RequestContext context,
                                                                 DescribeLogDirsRequestData request) {
        Map<TopicPartition, Partition> hosted = broker.replicas().partitions();
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData();
        if (!Access.cluster(broker, context, AclOperation.DESCRIBE)) {
            // Kafka: the error (v3 and later have the field), no directories
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code()));
        }
        for (LogDir logDir : broker.replicas().logDirs()) {
            File dir = logDir.logDir().getAbsoluteFile();
            DescribeLogDirsResult result = new DescribeLogDirsResult().setLogDir(dir.getPath());
            response.results().add(result);
            if (logDir.isOffline()) { // Kafka's answer for an offline directory: the error, no partitions
                result.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                continue;
            }
            if (context.apiVersion() >= 4) {
                result.setTotalBytes(dir.getTotalSpace()).setUsableBytes(dir.getUsableSpace());
            }
            Map<String, List<DescribeLogDirsPartition>> byTopic = new TreeMap<>();
            for (PartitionLog log : logDir.all()) {
                TopicPartition tp = log.topicPartition();
                if (!hosted.containsKey(tp) || !wanted(request, tp)) {
                    continue;
                }
                byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(new DescribeLogDirsPartition()
                        .setPartitionIndex(tp.partition()).setPartitionSize(log.size())
                        .setOffsetLag(0).setIsFutureKey(false));
            }
            // a replica moving here (AlterReplicaLogDirs): its copy, and how far it is behind the current log
            for (FutureLog future : broker.replicas().futureLogs()) {
                TopicPartition tp = future.topicPartition();
                if (future.target() == logDir && hosted.containsKey(tp) && wanted(request, tp)) {
                    byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(new DescribeLogDirsPartition()
                            .setPartitionIndex(tp.partition()).setPartitionSize(future.log().size())
                            .setOffsetLag(future.offsetLag()).setIsFutureKey(true));
                }
            }
            byTopic.forEach((topic, partitions) -> result.topics().add(new DescribeLogDirsTopic().setName(topic)
                    .setPartitions(partitions)));
        }
        return CompletableFuture.completedFuture(response);
    }

    /** Null topics ask for every partition. */
    private static boolean wanted(DescribeLogDirsRequestData request, TopicPartition tp) {
        if (request.topics() == null) {
            return true;
        }
        DescribableLogDirTopic topic = request.topics().find(tp.topic());
        return topic != null && topic.partitions().contains(tp.partition());
    }
}
