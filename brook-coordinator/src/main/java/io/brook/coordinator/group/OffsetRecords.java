package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of {@code __consumer_offsets}, in Kafka's layout so Kafka's tools can read the topic. Offset
 * commits: key version 1 (group, topic, partition) and value version 3 (offset, leader epoch, metadata, commit
 * timestamp). Classic groups ({@link StoredGroup}): key version 2 (group) and value version 3 (protocol type,
 * generation, protocol, leader, state timestamp, members). A null value deletes what its key names.
 */
public final class OffsetRecords {
    private static final short OFFSET_KEY_VERSION = 1;
    private static final short OFFSET_VALUE_VERSION = 3;
    private static final short GROUP_KEY_VERSION = 2;
    /** The last version without tagged fields (Kafka writes it too); 4 is flexible and not read here. */
    private static final short GROUP_VALUE_VERSION = 3;

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

    public static byte[] groupKey(String groupId) {
        byte[] group = groupId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 2 + group.length).putShort(GROUP_KEY_VERSION)
                .putShort((short) group.length).put(group).array();
    }

    public static byte[] groupValue(StoredGroup group) {
        byte[] type = utf8(group.protocolType());
        byte[] protocol = utf8(group.protocolName());
        byte[] leader = utf8(group.leaderId());
        int size = 2 + 2 + type.length + 4 + 2 + length(protocol) + 2 + length(leader) + 8 + 4;
        for (StoredGroup.StoredMember m : group.members()) {
            size += 2 + utf8(m.memberId()).length + 2 + length(utf8(m.instanceId())) + 2 + utf8(m.clientId()).length
                    + 2 + utf8(m.clientHost()).length + 4 + 4 + 4 + m.subscription().length + 4
                    + m.assignment().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putShort(GROUP_VALUE_VERSION);
        putString(b, type);
        b.putInt(group.generation());
        putString(b, protocol);
        putString(b, leader);
        b.putLong(group.currentStateTimestamp());
        b.putInt(group.members().size());
        for (StoredGroup.StoredMember m : group.members()) {
            putString(b, utf8(m.memberId()));
            putString(b, utf8(m.instanceId()));
            putString(b, utf8(m.clientId()));
            putString(b, utf8(m.clientHost()));
            b.putInt(m.rebalanceTimeoutMs()).putInt(m.sessionTimeoutMs());
            b.putInt(m.subscription().length).put(m.subscription());
            b.putInt(m.assignment().length).put(m.assignment());
        }
        return b.array();
    }

    /** The group of a group-metadata key (version 2), or null for another kind of record. */
    public static String parseGroupKey(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        return b.getShort() == GROUP_KEY_VERSION ? string(b) : null;
    }

    /** Group-metadata values of versions 0 to 3; null for a later version, which this node cannot read. */
    public static StoredGroup parseGroupValue(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        short version = b.getShort();
        if (version < 0 || version > GROUP_VALUE_VERSION) {
            return null;
        }
        String type = string(b);
        int generation = b.getInt();
        String protocol = string(b);
        String leader = string(b);
        long timestamp = version >= 2 ? b.getLong() : -1;
        int count = b.getInt();
        List<StoredGroup.StoredMember> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String memberId = string(b);
            String instanceId = version >= 3 ? string(b) : null;
            String clientId = string(b);
            String clientHost = string(b);
            int sessionTimeout;
            int rebalanceTimeout;
            if (version >= 1) {
                rebalanceTimeout = b.getInt();
                sessionTimeout = b.getInt();
            } else {
                sessionTimeout = b.getInt();
                rebalanceTimeout = sessionTimeout; // Kafka's rule for members stored before rebalance timeouts
            }
            members.add(new StoredGroup.StoredMember(memberId, instanceId, clientId, clientHost, rebalanceTimeout,
                    sessionTimeout, bytes(b), bytes(b)));
        }
        return new StoredGroup(type, generation, protocol, leader, timestamp, members);
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

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int length(byte[] nullable) {
        return nullable == null ? 0 : nullable.length;
    }

    private static void putString(ByteBuffer b, byte[] nullable) {
        if (nullable == null) {
            b.putShort((short) -1);
        } else {
            b.putShort((short) nullable.length).put(nullable);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        int length = b.getInt();
        byte[] bytes = new byte[Math.max(length, 0)];
        b.get(bytes);
        return bytes;
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
