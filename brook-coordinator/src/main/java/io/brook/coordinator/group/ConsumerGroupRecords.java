package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.ByteUtils;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A consumer group of KIP-848 as {@code __consumer_offsets} keeps it, in Kafka's record layout so Kafka's tools
 * read it: the group's epoch (record type 3), each member's metadata (5), the target assignment's epoch (6) and
 * each member's part of it (7), each member's current assignment (8). A record with a null value deletes what
 * its key names. Topics are stored by id; the coordinator works with names, so encoding and decoding take the
 * mapping as the metadata has it (partitions of a topic that no longer exists are left out).
 */
public final class ConsumerGroupRecords {
    static final short GROUP_METADATA = 3;
    static final short MEMBER_METADATA = 5;
    static final short TARGET_METADATA = 6;
    static final short TARGET_MEMBER = 7;
    static final short CURRENT_ASSIGNMENT = 8;
    private static final short VALUE_VERSION = 0;
    /** Kafka's MemberState values, stored with the current assignment. */
    static final byte STABLE = 0;
    static final byte UNREVOKED_PARTITIONS = 1;
    static final byte UNRELEASED_PARTITIONS = 2;

    private ConsumerGroupRecords() {
    }

    /** One record; {@link #isTombstone()} when it deletes what its key names. */
    public sealed interface GroupRecord permits GroupEpoch, MemberMetadata, TargetEpoch, TargetMember,
            CurrentAssignment {
        /** The record type (Kafka's key version). */
        short type();

        /** The member the record is about, null for the group's own records. */
        String memberId();

        boolean isTombstone();

        /** The deletion of this record's key. */
        GroupRecord tombstone();
    }

    /**
     * The group epoch, and a hash of the subscribed topics' partition counts the group was assigned for (Kafka's
     * MetadataHash: when it differs from the metadata's, the group rebalances). {@code epoch} null: deleted.
     */
    public record GroupEpoch(Integer epoch, long metadataHash) implements GroupRecord {
        public short type() {
            return GROUP_METADATA;
        }

        public String memberId() {
            return null;
        }

        public boolean isTombstone() {
            return epoch == null;
        }

        public GroupRecord tombstone() {
            return new GroupEpoch(null, 0);
        }
    }

    /** A member's metadata; {@code value} null: the member is gone. */
    public record MemberMetadata(String memberId, MemberValue value) implements GroupRecord {
        public short type() {
            return MEMBER_METADATA;
        }

        public boolean isTombstone() {
            return value == null;
        }

        public GroupRecord tombstone() {
            return new MemberMetadata(memberId, null);
        }
    }

    /** @param subscribedTopicNames sorted, so equal subscriptions give equal records */
    public record MemberValue(String instanceId, String rackId, String clientId, String clientHost,
                              List<String> subscribedTopicNames, String subscribedTopicRegex, int rebalanceTimeoutMs,
                              String serverAssignor) {
    }

    /** The epoch the target assignment was computed for; null: deleted. */
    public record TargetEpoch(Integer assignmentEpoch) implements GroupRecord {
        public short type() {
            return TARGET_METADATA;
        }

        public String memberId() {
            return null;
        }

        public boolean isTombstone() {
            return assignmentEpoch == null;
        }

        public GroupRecord tombstone() {
            return new TargetEpoch(null);
        }
    }

    /** A member's part of the target assignment; null: deleted. */
    public record TargetMember(String memberId, Set<TopicPartition> partitions) implements GroupRecord {
        public short type() {
            return TARGET_MEMBER;
        }

        public boolean isTombstone() {
            return partitions == null;
        }

        public GroupRecord tombstone() {
            return new TargetMember(memberId, null);
        }
    }

    /** Where a member is in its reconciliation; {@code value} null: deleted. */
    public record CurrentAssignment(String memberId, CurrentValue value) implements GroupRecord {
        public short type() {
            return CURRENT_ASSIGNMENT;
        }

        public boolean isTombstone() {
            return value == null;
        }

        public GroupRecord tombstone() {
            return new CurrentAssignment(memberId, null);
        }
    }

    /**
     * @param memberEpoch the epoch the member must heartbeat with; -2 for a static member that left for a while
     *                    (it then keeps its real epoch in {@code previousMemberEpoch}), as Kafka stores it
     * @param state       Kafka's MemberState value
     */
    public record CurrentValue(int memberEpoch, int previousMemberEpoch, byte state, Set<TopicPartition> assigned,
                               Set<TopicPartition> revoking) {
    }

    /** A record's identity: two records with the same key are versions of one another. */
    public record Key(short type, String memberId) {
    }

    public static Key keyOf(GroupRecord record) {
        return new Key(record.type(), record.memberId());
    }

    // ------------------------------------------------------------------ bytes

    /** The key of a record type this class reads (3, 5, 6, 7, 8), else null. */
    public record DecodedKey(String groupId, short type, String memberId) {
    }

    public static DecodedKey parseKey(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        short type = b.getShort();
        return switch (type) {
            case GROUP_METADATA, TARGET_METADATA -> new DecodedKey(string(b), type, null);
            case MEMBER_METADATA, TARGET_MEMBER, CURRENT_ASSIGNMENT -> new DecodedKey(string(b), type, string(b));
            default -> null;
        };
    }

    public static byte[] key(String groupId, GroupRecord record) {
        byte[] group = groupId.getBytes(StandardCharsets.UTF_8);
        byte[] member = record.memberId() == null ? null : record.memberId().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 2 + group.length + (member == null ? 0 : 2 + member.length));
        b.putShort(record.type()).putShort((short) group.length).put(group);
        if (member != null) {
            b.putShort((short) member.length).put(member);
        }
        return b.array();
    }

    /** The value bytes, null for a tombstone. */
    public static byte[] value(GroupRecord record, Function<String, Uuid> topicIds) {
        if (record.isTombstone()) {
            return null;
        }
        Writer w = new Writer();
        w.int16(VALUE_VERSION);
        if (record instanceof GroupEpoch g) {
            w.int32(g.epoch());
            if (g.metadataHash() != 0) { // tagged field 0, left out at its default as Kafka does
                return w.uvarint(1).uvarint(0).uvarint(8).int64(g.metadataHash()).bytes();
            }
        } else if (record instanceof MemberMetadata m) {
            MemberValue v = m.value();
            w.string(v.instanceId()).string(v.rackId()).string(v.clientId()).string(v.clientHost());
            w.uvarint(v.subscribedTopicNames().size() + 1);
            v.subscribedTopicNames().forEach(w::string);
            w.string(v.subscribedTopicRegex()).int32(v.rebalanceTimeoutMs()).string(v.serverAssignor());
        } else if (record instanceof TargetEpoch t) {
            w.int32(t.assignmentEpoch());
        } else if (record instanceof TargetMember t) {
            w.topicPartitions(t.partitions(), topicIds);
        } else if (record instanceof CurrentAssignment c) {
            CurrentValue v = c.value();
            w.int32(v.memberEpoch()).int32(v.previousMemberEpoch()).int8(v.state());
            w.topicPartitions(v.assigned(), topicIds).topicPartitions(v.revoking(), topicIds);
        }
        w.uvarint(0); // no tagged fields
        return w.bytes();
    }

    /**
     * The record a key and value hold (value null: a tombstone); null when the value's version is one this node
     * cannot read.
     */
    public static GroupRecord parse(DecodedKey key, ByteBuffer value, Function<Uuid, String> topicNames) {
        if (value == null) {
            return switch (key.type()) {
                case GROUP_METADATA -> new GroupEpoch(null, 0);
                case MEMBER_METADATA -> new MemberMetadata(key.memberId(), null);
                case TARGET_METADATA -> new TargetEpoch(null);
                case TARGET_MEMBER -> new TargetMember(key.memberId(), null);
                default -> new CurrentAssignment(key.memberId(), null);
            };
        }
        ByteBuffer b = value.duplicate();
        if (b.getShort() != VALUE_VERSION) {
            return null;
        }
        return switch (key.type()) {
            case GROUP_METADATA -> {
                int epoch = b.getInt();
                long hash = 0;
                int tagged = ByteUtils.readUnsignedVarint(b);
                for (int i = 0; i < tagged; i++) {
                    int tag = ByteUtils.readUnsignedVarint(b);
                    int size = ByteUtils.readUnsignedVarint(b);
                    if (tag == 0 && size == 8) {
                        hash = b.getLong();
                    } else {
                        b.position(b.position() + size);
                    }
                }
                yield new GroupEpoch(epoch, hash);
            }
            case MEMBER_METADATA -> {
                String instanceId = compactString(b);
                String rackId = compactString(b);
                String clientId = compactString(b);
                String clientHost = compactString(b);
                int topics = ByteUtils.readUnsignedVarint(b) - 1;
                List<String> names = new ArrayList<>(Math.max(topics, 0));
                for (int i = 0; i < topics; i++) {
                    names.add(compactString(b));
                }
                yield new MemberMetadata(key.memberId(), new MemberValue(instanceId, rackId, clientId, clientHost,
                        names, compactString(b), b.getInt(), compactString(b)));
            }
            case TARGET_METADATA -> new TargetEpoch(b.getInt());
            case TARGET_MEMBER -> new TargetMember(key.memberId(), topicPartitions(b, topicNames));
            default -> new CurrentAssignment(key.memberId(), new CurrentValue(b.getInt(), b.getInt(), b.get(),
                    topicPartitions(b, topicNames), topicPartitions(b, topicNames)));
        };
    }

    private static Set<TopicPartition> topicPartitions(ByteBuffer b, Function<Uuid, String> topicNames) {
        int topics = ByteUtils.readUnsignedVarint(b) - 1;
        Set<TopicPartition> partitions = new java.util.HashSet<>();
        for (int i = 0; i < topics; i++) {
            Uuid id = new Uuid(b.getLong(), b.getLong());
            String name = topicNames.apply(id);
            int count = ByteUtils.readUnsignedVarint(b) - 1;
            for (int p = 0; p < count; p++) {
                int partition = b.getInt();
                if (name != null) {
                    partitions.add(new TopicPartition(name, partition));
                }
            }
            skipTaggedFields(b);
        }
        return partitions;
    }

    private static void skipTaggedFields(ByteBuffer b) {
        int tagged = ByteUtils.readUnsignedVarint(b);
        for (int i = 0; i < tagged; i++) {
            ByteUtils.readUnsignedVarint(b);
            int size = ByteUtils.readUnsignedVarint(b);
            b.position(b.position() + size);
        }
    }

    private static String compactString(ByteBuffer b) {
        int length = ByteUtils.readUnsignedVarint(b) - 1;
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String string(ByteBuffer b) {
        short length = b.getShort();
        byte[] bytes = new byte[Math.max(length, 0)];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The flexible-version encoding of Kafka's generated messages, for the few types these records use. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        private final ByteBuffer scratch = ByteBuffer.allocate(8);

        Writer int8(byte v) {
            out.write(v);
            return this;
        }

        Writer int16(short v) {
            out.write(scratch.clear().putShort(v).array(), 0, 2);
            return this;
        }

        Writer int32(int v) {
            out.write(scratch.clear().putInt(v).array(), 0, 4);
            return this;
        }

        Writer int64(long v) {
            out.write(scratch.clear().putLong(v).array(), 0, 8);
            return this;
        }

        Writer uvarint(int v) {
            while ((v & 0xffffff80) != 0) {
                out.write((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write(v);
            return this;
        }

        Writer string(String s) {
            if (s == null) {
                return uvarint(0);
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            uvarint(bytes.length + 1);
            out.write(bytes, 0, bytes.length);
            return this;
        }

        /** Partitions grouped by topic, topics and partitions sorted; topics without an id are left out. */
        Writer topicPartitions(Collection<TopicPartition> partitions, Function<String, Uuid> topicIds) {
            Map<Uuid, List<Integer>> byTopic = new TreeMap<>();
            for (TopicPartition tp : partitions) {
                Uuid id = topicIds.apply(tp.topic());
                if (id != null) {
                    byTopic.computeIfAbsent(id, t -> new ArrayList<>()).add(tp.partition());
                }
            }
            uvarint(byTopic.size() + 1);
            byTopic.forEach((id, list) -> {
                int64(id.getMostSignificantBits()).int64(id.getLeastSignificantBits());
                list.sort(null);
                uvarint(list.size() + 1);
                list.forEach(this::int32);
                uvarint(0); // the struct's tagged fields
            });
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
