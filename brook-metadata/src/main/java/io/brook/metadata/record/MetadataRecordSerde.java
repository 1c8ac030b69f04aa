package io.brook.metadata.record;

import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary form of metadata records: a type byte, a version byte, then the fields in order
 * (strings as modified UTF-8 with a presence flag byte 0 or 1, uuids as two longs, int lists
 * count-prefixed). Only {@link ConfigRecord#value()} may be absent.
 */
public final class MetadataRecordSerde {
    private static final byte VERSION = 0;
    private static final byte TOPIC = 1;
    private static final byte PARTITION = 2;
    private static final byte CONFIG = 3;
    private static final byte REMOVE_TOPIC = 4;
    private static final byte PRODUCER_IDS = 5;

    private MetadataRecordSerde() {
    }

    public static byte[] serialize(MetadataRecord record) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (record instanceof TopicRecord r) {
                header(out, TOPIC);
                writeString(out, r.name());
                writeUuid(out, r.topicId());
            } else if (record instanceof PartitionRecord r) {
                header(out, PARTITION);
                writeUuid(out, r.topicId());
                out.writeInt(r.partition());
                writeInts(out, r.replicas());
                writeInts(out, r.isr());
                out.writeInt(r.leader());
                out.writeInt(r.leaderEpoch());
                out.writeInt(r.partitionEpoch());
            } else if (record instanceof ConfigRecord r) {
                header(out, CONFIG);
                writeString(out, r.topic());
                writeString(out, r.name());
                writeString(out, r.value());
            } else if (record instanceof RemoveTopicRecord r) {
                header(out, REMOVE_TOPIC);
                writeUuid(out, r.topicId());
            } else if (record instanceof ProducerIdsRecord r) {
                header(out, PRODUCER_IDS);
                out.writeLong(r.nextProducerId());
            } else {
                throw new IllegalArgumentException("unknown record " + record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes one record that must fill {@code data} exactly.
     *
     * @throws IOException if {@code data} is not the one encoding of such a record (cut short, unknown
     *                     type or version, a missing required string, a bad presence flag, string or list
     *                     length, overlong UTF-8, or trailing bytes); no other exception for any input
     */
    public static MetadataRecord deserialize(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        byte type = in.readByte();
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("unknown metadata record version " + version + " for type " + type);
        }
        MetadataRecord record = switch (type) {
            case TOPIC -> new TopicRecord(readRequiredString(in), readUuid(in));
            case PARTITION -> new PartitionRecord(readUuid(in), in.readInt(), readInts(in), readInts(in), in.readInt(),
                    in.readInt(), in.readInt());
            case CONFIG -> new ConfigRecord(readRequiredString(in), readRequiredString(in), readString(in));
            case REMOVE_TOPIC -> new RemoveTopicRecord(readUuid(in));
            case PRODUCER_IDS -> new ProducerIdsRecord(in.readLong());
            default -> throw new IOException("unknown metadata record type " + type);
        };
        if (in.available() > 0) {
            throw new IOException(in.available() + " trailing bytes after metadata record " + record);
        }
        return record;
    }

    private static void header(DataOutputStream out, byte type) throws IOException {
        out.writeByte(type);
        out.writeByte(VERSION);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        byte present = in.readByte();
        if (present != 0 && present != 1) {
            throw new IOException("bad string presence flag " + present);
        }
        if (present == 0) {
            return null;
        }
        int before = in.available();
        String s = in.readUTF();
        if (before - in.available() != 2 + encodedLength(s)) {
            throw new IOException("overlong modified UTF-8 in string " + s);
        }
        return s;
    }

    /** Length of {@code s} in modified UTF-8, as {@link DataOutputStream#writeUTF} writes it. */
    private static int encodedLength(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            length += c >= 0x0001 && c <= 0x007f ? 1 : c <= 0x07ff ? 2 : 3;
        }
        return length;
    }

    private static String readRequiredString(DataInputStream in) throws IOException {
        String s = readString(in);
        if (s == null) {
            throw new IOException("missing required string");
        }
        return s;
    }

    private static void writeUuid(DataOutputStream out, Uuid id) throws IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    private static Uuid readUuid(DataInputStream in) throws IOException {
        return new Uuid(in.readLong(), in.readLong());
    }

    private static void writeInts(DataOutputStream out, List<Integer> values) throws IOException {
        out.writeInt(values.size());
        for (int v : values) {
            out.writeInt(v);
        }
    }

    private static List<Integer> readInts(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / Integer.BYTES) {
            throw new IOException("bad list length " + n + " with " + in.available() + " bytes left");
        }
        List<Integer> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(in.readInt());
        }
        return List.copyOf(values);
    }
}
