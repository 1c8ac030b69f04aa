package io.brook.coordinator.transaction;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The records of {@code __transaction_state} in Kafka's format, so Kafka's tools can read them:
 * key = version int16 (0) + transactional id string; value = version int16 (0), producer id
 * int64, epoch int16, timeout int32, state int8, partitions (nullable array of topic string and
 * int32 array), last update int64, start int64. A null value (tombstone) removes the id.
 */
public final class TransactionRecords {
    private static final short KEY_VERSION = 0;
    private static final short VALUE_VERSION = 0;
    /** Versions this reader knows; version 1 adds only tagged fields after the same layout. */
    private static final short MAX_VALUE_VERSION = 1;

    private TransactionRecords() {
    }

    /** The {@code __transaction_state} partition of a transactional id (Kafka's hashing). */
    public static int partitionFor(String transactionalId, int partitions) {
        return Utils.abs(transactionalId.hashCode()) % partitions;
    }

    public static byte[] key(String transactionalId) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 2 + id.length).putShort(KEY_VERSION).putShort((short) id.length).put(id).array();
    }

    /** The transactional id of a key, or null when the key is not a version-0 transaction key. */
    public static String parseKey(ByteBuffer key) {
        ByteBuffer b = key.duplicate();
        if (b.remaining() < 4 || b.getShort() != KEY_VERSION) {
            return null;
        }
        return string(b);
    }

    public static byte[] value(TransactionRecord r) {
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        for (TopicPartition tp : r.partitions()) {
            byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
        }
        int size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
        for (Map.Entry<String, List<Integer>> e : byTopic.entrySet()) {
            size += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + 4 * e.getValue().size();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putShort(VALUE_VERSION).putLong(r.producerId()).putShort(r.producerEpoch()).putInt(r.timeoutMs())
                .put(r.state().id()).putInt(byTopic.size());
        for (Map.Entry<String, List<Integer>> e : byTopic.entrySet()) {
            byte[] topic = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putShort((short) topic.length).put(topic).putInt(e.getValue().size());
            e.getValue().stream().sorted().forEach(b::putInt);
        }
        b.putLong(r.lastUpdateMs()).putLong(r.startMs());
        return b.array();
    }

    /**
     * Reads a value.
     *
     * @throws IllegalArgumentException for a version this reader does not know or a malformed value
     */
    public static TransactionRecord parseValue(String transactionalId, ByteBuffer value) {
        ByteBuffer b = value.duplicate();
        try {
            short version = b.getShort();
            if (version < 0 || version > MAX_VALUE_VERSION) {
                throw new IllegalArgumentException("Unknown transaction log value version " + version);
            }
            long producerId = b.getLong();
            short epoch = b.getShort();
            int timeoutMs = b.getInt();
            TransactionState state = TransactionState.fromId(b.get());
            Set<TopicPartition> partitions = new HashSet<>();
            int topics = version == 0 ? b.getInt() : readUnsignedVarint(b) - 1;
            for (int i = 0; i < topics; i++) {
                String topic = version == 0 ? string(b) : compactString(b);
                int count = version == 0 ? b.getInt() : readUnsignedVarint(b) - 1;
                for (int j = 0; j < count; j++) {
                    partitions.add(new TopicPartition(topic, b.getInt()));
                }
                if (version > 0) {
                    skipTaggedFields(b);
                }
            }
            return new TransactionRecord(transactionalId, producerId, epoch, timeoutMs, state, partitions,
                    b.getLong(), b.getLong());
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("Truncated transaction log value", e);
        }
    }

    private static String string(ByteBuffer b) {
        short length = b.getShort();
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String compactString(ByteBuffer b) {
        int length = readUnsignedVarint(b) - 1;
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static int readUnsignedVarint(ByteBuffer b) {
        return org.apache.kafka.common.utils.ByteUtils.readUnsignedVarint(b);
    }

    private static void skipTaggedFields(ByteBuffer b) {
        int fields = readUnsignedVarint(b);
        for (int i = 0; i < fields; i++) {
            readUnsignedVarint(b);
            int size = readUnsignedVarint(b);
            b.position(b.position() + size);
        }
    }
}
