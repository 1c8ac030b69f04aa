package io.brook.metadata.record;

import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One metadata record as the value of a log record, in Kafka's metadata record frame (Kafka's own
 * {@link MetadataRecordSerde}): unsigned varint frame version (1), unsigned varint api key, unsigned
 * varint record version, then the message in that version's schema.
 *
 * <p>Thread-safety: stateless.
 */
public final class MetadataRecordCodec {
    private MetadataRecordCodec() {
    }

    public static byte[] encode(ApiMessageAndVersion record) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = MetadataRecordSerde.INSTANCE.recordSize(record, cache);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        MetadataRecordSerde.INSTANCE.write(record, cache, new ByteBufferAccessor(buffer));
        return buffer.array();
    }

    /**
     * Decodes the record that fills {@code value} exactly.
     *
     * @throws IOException if it is not one (unknown api key or version, cut short, trailing bytes, a bad
     *                     field, tagged fields out of order); no other exception for any input
     */
    public static ApiMessageAndVersion decode(ByteBuffer value) throws IOException {
        ByteBuffer buffer = value.duplicate();
        int size = buffer.remaining();
        ApiMessageAndVersion record;
        try {
            record = MetadataRecordSerde.INSTANCE.read(new ByteBufferAccessor(buffer), size);
            // what decodes must encode again: Kafka's reader keeps unknown tagged fields (of the record and of
            // its nested structs) in any order, its writer refuses them unless strictly ascending
            encode(record);
        } catch (RuntimeException e) {
            throw new IOException("not a metadata record: " + e.getMessage(), e);
        }
        if (buffer.hasRemaining()) {
            throw new IOException(buffer.remaining() + " trailing bytes after metadata record " + record);
        }
        return record;
    }
}
