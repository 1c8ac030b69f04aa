package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsRequestData.DescribableLogDirTopic;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.protocol.ApiKeys;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** DescribeLogDirs: the node's log directory, its space, and the size on disk of each partition. */
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
        Map<String, List<DescribeLogDirsPartition>> byTopic = new TreeMap<>();
        for (Map.Entry<TopicPartition, Partition> e : broker.replicas().partitions().entrySet()) {
            TopicPartition tp = e.getKey();
            if (request.topics() != null) {
                DescribableLogDirTopic wanted = request.topics().find(tp.topic());
                if (wanted == null || !wanted.partitions().contains(tp.partition())) {
                    continue;
                }
            }
            byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(new DescribeLogDirsPartition()
                    .setPartitionIndex(tp.partition()).setPartitionSize(e.getValue().log().size())
                    .setOffsetLag(0).setIsFutureKey(false));
        }
        File dir = broker.config().logDir().getAbsoluteFile();
        DescribeLogDirsResult result = new DescribeLogDirsResult().setLogDir(dir.getPath());
        if (broker.replicas().logDirOffline()) { // Kafka's answer for an offline directory
            result.setErrorCode(org.apache.kafka.common.protocol.Errors.KAFKA_STORAGE_ERROR.code());
        }
        if (context.apiVersion() >= 4) {
            result.setTotalBytes(dir.getTotalSpace()).setUsableBytes(dir.getUsableSpace());
        }
        byTopic.forEach((topic, partitions) -> result.topics().add(new DescribeLogDirsTopic().setName(topic)
                .setPartitions(partitions)));
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData();
        response.results().add(result);
        return CompletableFuture.completedFuture(response);
    }
}
