package io.brook.metadata.log;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/** Brook's pre-Kafka metadata log encoding, as the old build wrote it: to test the legacy reader. */
final class LegacyEncoding {
    private LegacyEncoding() {
    }

    static byte[] record(ApiMessageAndVersion record) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (record.message() instanceof TopicRecord r) {
                out.writeByte(1);
                out.writeByte(0);
                writeString(out, r.name());
                writeUuid(out, r.topicId());
            } else if (record.message() instanceof PartitionRecord r) {
                out.writeByte(2);
                out.writeByte(0);
                writeUuid(out, r.topicId());
                out.writeInt(r.partitionId());
                writeInts(out, r.replicas());
                writeInts(out, r.isr());
                out.writeInt(r.leader());
                out.writeInt(r.leaderEpoch());
                out.writeInt(r.partitionEpoch());
            } else if (record.message() instanceof ConfigRecord r) {
                out.writeByte(3);
                out.writeByte(0);
                writeString(out, r.resourceName());
                writeString(out, r.name());
                writeString(out, r.value());
            } else if (record.message() instanceof RemoveTopicRecord r) {
                out.writeByte(4);
                out.writeByte(0);
                writeUuid(out, r.topicId());
            } else if (record.message() instanceof ProducerIdsRecord r) {
                out.writeByte(5);
                out.writeByte(0);
                out.writeLong(r.nextProducerId());
            } else {
                throw new IllegalArgumentException("no legacy encoding for " + record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The payload of a frame: record count, then length-prefixed records. */
    static byte[] payload(List<ApiMessageAndVersion> records) {
        List<byte[]> encoded = records.stream().map(LegacyEncoding::record).toList();
        ByteBuffer frame = ByteBuffer.allocate(4 + encoded.stream().mapToInt(b -> 4 + b.length).sum());
        frame.putInt(records.size());
        encoded.forEach(b -> frame.putInt(b.length).put(b));
        return frame.array();
    }

    /** A whole frame: length, CRC32C of the payload, payload. */
    static byte[] frame(List<ApiMessageAndVersion> records) {
        byte[] payload = payload(records);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return ByteBuffer.allocate(8 + payload.length).putInt(payload.length).putInt((int) crc.getValue())
                .put(payload).array();
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static void writeUuid(DataOutputStream out, Uuid id) throws IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    private static void writeInts(DataOutputStream out, List<Integer> values) throws IOException {
        out.writeInt(values.size());
        for (int v : values) {
            out.writeInt(v);
        }
    }
}
