package io.brook.server.node;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a broker tells the controller about its replicas' log directories (KIP-858): only what the metadata lacks. */
@Timeout(30)
class DirectoryAssignmentsTest {
    private static final Uuid TOPIC = new Uuid(1, 1);
    private static final Uuid A = new Uuid(7, 1);
    private static final Uuid B = new Uuid(7, 2);

    /** "t": partition 0 on [1, 2] with 1's replica known in A, partition 1 on [1, 2] unknown, partition 2 on [2, 3]. */
    private static MetadataImage image() {
        List<ApiMessageAndVersion> records = List.of(MetadataRecords.topic("t", TOPIC),
                MetadataRecords.newPartition(TOPIC, 0, List.of(1, 2), List.of(A, DirectoryId.UNASSIGNED)),
                MetadataRecords.partition(TOPIC, 1, List.of(1, 2), List.of(1, 2), 1, 0, 0),
                MetadataRecords.partition(TOPIC, 2, List.of(2, 3), List.of(2, 3), 2, 0, 0));
        return MetadataImage.EMPTY.apply(records, records.size() - 1);
    }

    @Test
    void sendsTheReplicasWhoseDirectoryTheMetadataDoesNotName() {
        Map<TopicPartition, Uuid> local = Map.of(new TopicPartition("t", 0), A, new TopicPartition("t", 1), B,
                new TopicPartition("t", 2), A, new TopicPartition("gone", 0), A);
        Map<TopicPartition, Uuid> topicIds = Map.of(new TopicPartition("t", 0), TOPIC, new TopicPartition("t", 1),
                TOPIC, new TopicPartition("t", 2), TOPIC, new TopicPartition("gone", 0), new Uuid(9, 9));
        // 0 is known in A already; 2 is not broker 1's; "gone" is not in the metadata
        assertEquals(Map.of(B, Map.of(TOPIC, List.of(1))), DirectoryAssignments.needed(image(), 1, local, topicIds));
        // moved from A to B: sent again
        assertEquals(Map.of(B, Map.of(TOPIC, List.of(0))), DirectoryAssignments.needed(image(), 1,
                Map.of(new TopicPartition("t", 0), B), topicIds));
        // a log left from an older topic of the same name is not this topic's replica
        assertEquals(Map.of(), DirectoryAssignments.needed(image(), 1, Map.of(new TopicPartition("t", 1), B),
                Map.of(new TopicPartition("t", 1), new Uuid(9, 9))));
    }
}
