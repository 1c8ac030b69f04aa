package io.brook.coordinator.transaction;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.ByteUtils;
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
 * int32 array), last update int64, start int64. A value with a next producer id is written as
 * version 1 (flexible: compact arrays and strings, tagged fields NextProducerId (1) and
 * NextProducerEpoch (3)). A null value (tombstone) removes the id.
 */
public final class TransactionRecords {
    private static final short KEY_VERSION = 0;
    private static final short VALUE_VERSION = 0;
    private static final short FLEXIBLE_VALUE_VERSION = 1;
    private static final int NEXT_PRODUCER_ID_TAG = 1;
    private static final int NEXT_PRODUCER_EPOCH_TAG = 3;
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
        boolean flexible = r.nextProducerId() >= 0;
        ByteBuffer b = ByteBuffer.allocate(64 + byTopic.size() * 16 + byTopic.entrySet().stream()
                .mapToInt(e -> e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 * e.getValue().size()).sum());
        b.putShort(flexible ? FLEXIBLE_VALUE_VERSION : VALUE_VERSION).putLong(r.producerId())
                .putShort(r.producerEpoch()).putInt(r.timeoutMs()).put(r.state().id());
        if (flexible) {
            ByteUtils.writeUnsignedVarint(byTopic.size() + 1, b);
        } else {
            b.putInt(byTopic.size());
        }
        for (Map.Entry<String, List<Integer>> e : byTopic.entrySet()) {
            byte[] topic = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (flexible) {
                ByteUtils.writeUnsignedVarint(topic.length + 1, b);
                b.put(topic);
                ByteUtils.writeUnsignedVarint(e.getValue().size() + 1, b);
            } else {
                b.putShort((short) topic.length).put(topic).putInt(e.getValue().size());
            }
            e.getValue().stream().sorted().forEach(b::putInt);
            if (flexible) {
                ByteUtils.writeUnsignedVarint(0, b); // no tagged fields in the partition entry
            }
        }
        b.putLong(r.lastUpdateMs()).putLong(r.startMs());
        if (flexible) {
            ByteUtils.writeUnsignedVarint(2, b);
            ByteUtils.writeUnsignedVarint(NEXT_PRODUCER_ID_TAG, b);
            ByteUtils.writeUnsignedVarint(8, b);
            b.putLong(r.nextProducerId());
            ByteUtils.writeUnsignedVarint(NEXT_PRODUCER_EPOCH_TAG, b);
            ByteUtils.writeUnsignedVarint(2, b);
            b.putShort(r.nextProducerEpoch());
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
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
            long lastUpdateMs = b.getLong();
            long startMs = b.getLong();
            long nextProducerId = RecordBatch.NO_PRODUCER_ID;
            short nextProducerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
            if (version > 0) {
                int fields = readUnsignedVarint(b);
                for (int i = 0; i < fields; i++) {
                    int tag = readUnsignedVarint(b);
                    int size = readUnsignedVarint(b);
                    if (tag == NEXT_PRODUCER_ID_TAG) {
                        nextProducerId = b.getLong();
                    } else if (tag == NEXT_PRODUCER_EPOCH_TAG) {
                        nextProducerEpoch = b.getShort();
                    } else {
                        b.position(b.position() + size);
                    }
                }
            }
            return new TransactionRecord(transactionalId, producerId, epoch, timeoutMs, state, partitions,
                    lastUpdateMs, startMs, nextProducerId, nextProducerEpoch);
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
        return ByteUtils.readUnsignedVarint(b);
    }

    private static void skipTaggedFields(ByteBuffer b) {
        // the tagged fields of a partition entry (none are defined)
        int fields = readUnsignedVarint(b);
        for (int i = 0; i < fields; i++) {
            readUnsignedVarint(b);
            int size = readUnsignedVarint(b);
            b.position(b.position() + size);
        }
    }
}
