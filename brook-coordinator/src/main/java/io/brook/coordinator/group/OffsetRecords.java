package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Offset commits as records of {@code __consumer_offsets}, in Kafka's layout so Kafka's tools
 * can read the topic: key version 1 (group, topic, partition) and value version 3 (offset,
 * leader epoch, metadata, commit timestamp); a null value deletes the commit. Keys of other
 * versions (group metadata, version 2) are recognised and skipped.
 */
public final class OffsetRecords {
    private static final short OFFSET_KEY_VERSION = 1;
    private static final short OFFSET_VALUE_VERSION = 3;

    private OffsetRecords() {
    }

    /** A decoded offset-commit key. */
    public record Key(String groupId, TopicPartition partition) {
    }

    public static byte[] key(String groupId, TopicPartition tp) {
        byte[] group = groupId.getBytes(StandardCharsets.UTF_8);
        byte[] topic = tp.topic().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 2 + group.length + 2 + topic.length + 4)
                .putShort(OFFSET_KEY_VERSION)
                .putShort((short) group.length).put(group)
                .putShort((short) topic.length).put(topic)
                .putInt(tp.partition())
                .array();
    }

    public static byte[] value(CommittedOffset offset) {
        byte[] metadata = (offset.metadata() == null ? "" : offset.metadata()).getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 8 + 4 + 2 + metadata.length + 8)
                .putShort(OFFSET_VALUE_VERSION)
                .putLong(offset.offset())
                .putInt(offset.leaderEpoch())
                .putShort((short) metadata.length).put(metadata)
                .putLong(offset.commitTimestampMs())
                .array();
    }

    /** The offset-commit key, or null for another kind of record. */
    public static Key parseKey(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        short version = b.getShort();
        if (version != 0 && version != 1) {
            return null;
        }
        String group = string(b);
        String topic = string(b);
        return new Key(group, new TopicPartition(topic, b.getInt()));
    }

    /** Values of versions 1 and 3 (Kafka writes 3 since 2.1; 1 carries an extra expiry field). */
    public static CommittedOffset parseValue(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        short version = b.getShort();
        long offset = b.getLong();
        int leaderEpoch = version >= 3 ? b.getInt() : -1;
        String metadata = string(b);
        long timestamp = b.getLong();
        return new CommittedOffset(offset, leaderEpoch, metadata, timestamp);
    }

    private static String string(ByteBuffer b) {
        short length = b.getShort();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The partition of the offsets topic that holds a group (Kafka's rule). */
    public static int partitionFor(String groupId, int partitions) {
        int hash = groupId.hashCode();
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % partitions;
    }
}
