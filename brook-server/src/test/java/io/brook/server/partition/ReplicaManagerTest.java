package io.brook.server.partition;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import io.brook.server.config.BrokerConfig;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import io.brook.metadata.record.MetadataRecords;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

/** {@link ReplicaManager} applies committed deltas to the logs of a real {@link LogManager}. */
@Timeout(120)
class ReplicaManagerTest {
    private static final int NODE = 1;
    private static final Uuid A = new Uuid(1, 1);
    private static final Uuid B = new Uuid(2, 2);

    @TempDir
    File dir;
    private LogManager logManager;
    private ReplicaManager replicas;
    private MetadataImage image = MetadataImage.EMPTY;

    @BeforeEach
    void open() throws Exception {
        logManager = new LogManager(List.of(new File(dir, "data")), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(NODE, logManager, BrokerConfig.defaults().topicDefaults());
    }

    @AfterEach
    void close() throws Exception {
        logManager.close();
    }

    private MetadataDelta commit(List<ApiMessageAndVersion> records) {
        MetadataDelta delta = new MetadataDelta(image);
        records.forEach(delta::replay);
        image = delta.apply(image.offset() + records.size());
        replicas.onMetadataUpdate(delta, image);
        return delta;
    }

    private static List<ApiMessageAndVersion> topic(String name, Uuid id, int partitions, List<Integer> replicas) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(MetadataRecords.topic(name, id));
        for (int p = 0; p < partitions; p++) {
            records.add(partition(id, p, replicas, replicas, replicas.get(0), 0, 0));
        }
        return records;
    }

    @Test
    void aReassignmentCreatesTheNewReplicasLogAndDeletesTheLogOfTheReplicaItRemoves() throws Exception {
        TopicPartition tp = new TopicPartition("moved", 0);
        commit(topic("moved", A, 1, List.of(2)));
        assertNull(replicas.partition(tp), "not a replica here");
        // reassigned [2] -> [1]: this node is added as a follower
        commit(List.of(MetadataRecords.partitionChange(A, 0, List.of(1, 2), null, -2)));
        Partition added = replicas.partition(tp);
        assertNotNull(added);
        assertFalse(added.isLeader());
        File partitionDir = added.log().dir();
        assertTrue(partitionDir.isDirectory());
        // and moved away again: the log goes
        commit(List.of(MetadataRecords.partitionChange(A, 0, List.of(2), null, -2)));
        assertNull(replicas.partition(tp));
        assertNull(logManager.get(tp));
        assertFalse(partitionDir.exists(), "the partition's directory is gone");
    }

    /**
     * A change committed between the image a starting node read and its publisher's registration (a restarted
     * leader once kept leading at its old epoch): the next change catches up with the whole image, and an image
     * older than the one applied is ignored.
     */
    @Test
    void aMissedChangeIsCaughtUpFromTheNextImageAndAnOlderImageIsIgnored() {
        TopicPartition tp = new TopicPartition("led", 0);
        commit(topic("led", A, 1, List.of(NODE, 2)));
        MetadataImage start = image;
        assertTrue(replicas.partition(tp).isLeader());
        // missed: broker 2 leads in epoch 1
        MetadataDelta missed = new MetadataDelta(image);
        missed.replay(MetadataRecords.partitionChange(A, 0, null, List.of(2), 2));
        image = missed.apply(image.offset() + 1);
        commit(List.of(producerIds(-1, -1, 1000)));
        Partition partition = replicas.partition(tp);
        assertFalse(partition.isLeader(), "caught up with the leader change it missed");
        assertEquals(1, partition.leaderEpoch());
        assertSame(image, replicas.image());

        replicas.onImage(start);
        assertFalse(replicas.partition(tp).isLeader(), "an older image changes nothing");
        assertEquals(1, replicas.partition(tp).leaderEpoch());
        assertSame(image, replicas.image());
    }

    @Test
    void aStrayLogOfAPartitionMovedAwayWhileTheNodeWasDownIsDeletedAtStartUp() throws Exception {
        TopicPartition tp = new TopicPartition("stray", 0);
        commit(topic("stray", A, 1, List.of(1)));
        File partitionDir = replicas.partition(tp).log().dir();
        logManager.close();
        // the node is down while the partition moves to broker 2
        MetadataDelta moved = new MetadataDelta(image);
        moved.replay(MetadataRecords.partitionChange(A, 0, List.of(2), List.of(2), 2));
        image = moved.apply(image.offset() + 1);
        logManager = new LogManager(List.of(new File(dir, "data")), Time.SYSTEM, null);
        MetadataImage restartImage = image;
        logManager.loadLogs(topic -> replicas.logConfig(restartImage.topic(topic)),
                topic -> restartImage.topic(topic).id());
        assertNotNull(logManager.get(tp), "the log is still on disk");
        replicas = new ReplicaManager(NODE, logManager, BrokerConfig.defaults().topicDefaults());
        replicas.onImage(image);
        assertNull(replicas.partition(tp));
        assertNull(logManager.get(tp));
        assertFalse(partitionDir.exists());
    }

    @Test
    void aTopicOfManyPartitionsGetsEveryLogOnDiskBeforeTheImageMovesOn() {
        int count = 320;
        commit(topic("many", A, count, List.of(NODE)));
        assertSame(image, replicas.image());
        assertEquals(count, replicas.partitions().size());
        for (int p = 0; p < count; p++) {
            Partition partition = replicas.partition(new TopicPartition("many", p));
            assertNotNull(partition, "partition " + p);
            assertTrue(new File(dir, "data/many-" + p).isDirectory(), "directory of partition " + p);
            assertSame(partition.log(), logManager.get(new TopicPartition("many", p)));
        }
    }

    @Test
    void aDeltaTouchesOnlyWhatItChanged() {
        commit(topic("a", A, 40, List.of(NODE)));
        Map<TopicPartition, Partition> before = new HashMap<>(replicas.partitions());
        // a producer-id block, then a second topic (one partition hosted elsewhere), change nothing of "a"
        commit(List.of(producerIds(-1, -1, 1000)));
        List<ApiMessageAndVersion> b = new ArrayList<>(topic("b", B, 3, List.of(NODE)));
        b.add(partition(B, 3, List.of(2), List.of(2), 2, 0, 0));
        commit(b);
        assertEquals(43, replicas.partitions().size());
        assertNull(replicas.partition(new TopicPartition("b", 3)), "not a replica of b-3");
        before.forEach((tp, partition) -> assertSame(partition, replicas.partition(tp)));
        // a config of "a" reaches a's logs, not b's
        commit(List.of(topicConfig("a", "retention.ms", "12345")));
        assertEquals(12345, replicas.partition(new TopicPartition("a", 7)).log().config().retentionMs());
        assertFalse(replicas.partition(new TopicPartition("b", 0)).log().config().retentionMs() == 12345);
        // a new leader epoch for one partition
        commit(List.of(partition(A, 5, List.of(NODE), List.of(NODE), NODE, 3, 1)));
        assertEquals(3, replicas.partition(new TopicPartition("a", 5)).state().leaderEpoch());
        assertEquals(0, replicas.partition(new TopicPartition("a", 6)).state().leaderEpoch());
        // deleting "a" and re-creating it in one delta leaves fresh logs of the new topic
        List<ApiMessageAndVersion> recreate = new ArrayList<>();
        recreate.add(removeTopic(A));
        recreate.addAll(topic("a", new Uuid(3, 3), 2, List.of(NODE)));
        commit(recreate);
        assertEquals(5, replicas.partitions().size());
        assertEquals(new Uuid(3, 3), replicas.partition(new TopicPartition("a", 1)).log().topicId());
        assertNull(replicas.partition(new TopicPartition("a", 2)));
        assertEquals(40, before.size());
    }
}
