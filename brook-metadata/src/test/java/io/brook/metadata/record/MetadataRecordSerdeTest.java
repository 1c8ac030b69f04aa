package io.brook.metadata.record;

import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class MetadataRecordSerdeTest {
    private static final Uuid ID = new Uuid(0x0123456789abcdefL, -2L);

    static List<MetadataRecord> everyKind() {
        return List.of(
                new TopicRecord("orders", ID),
                new TopicRecord("", new Uuid(Long.MIN_VALUE, Long.MAX_VALUE)),
                new TopicRecord("ünï\u0000cødé-\uD83D\uDE00", ID),
                new PartitionRecord(ID, 7, List.of(1, 2, 3), List.of(3, 1), 3, 5, 9),
                new PartitionRecord(ID, Integer.MAX_VALUE, List.of(), List.of(), -1, Integer.MIN_VALUE, -1),
                new ConfigRecord("orders", "retention.ms", "86400000"),
                new ConfigRecord("orders", "cleanup.policy", null),
                new ConfigRecord("orders", "x", ""),
                new RemoveTopicRecord(ID),
                new ProducerIdsRecord(0),
                new ProducerIdsRecord(Long.MAX_VALUE));
    }

    @Test
    void everyRecordKindRoundTrips() throws IOException {
        for (MetadataRecord record : everyKind()) {
            byte[] bytes = MetadataRecordSerde.serialize(record);
            assertEquals(record, MetadataRecordSerde.deserialize(bytes), "round trip of " + record);
            assertArrayEquals(bytes, MetadataRecordSerde.serialize(MetadataRecordSerde.deserialize(bytes)));
        }
    }

    /** The layout is the on-disk format: pin it so a change is a deliberate format change. */
    @Test
    void layoutIsTypeVersionThenFields() {
        assertArrayEquals(new byte[]{5, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34},
                MetadataRecordSerde.serialize(new ProducerIdsRecord(0x1234)));
        ByteBuffer topic = ByteBuffer.wrap(MetadataRecordSerde.serialize(new TopicRecord("ab", ID)));
        assertEquals(1, topic.get());
        assertEquals(0, topic.get());
        assertEquals(1, topic.get()); // present
        assertEquals(2, topic.getShort());
        assertEquals('a', topic.get());
        assertEquals('b', topic.get());
        assertEquals(ID.getMostSignificantBits(), topic.getLong());
        assertEquals(ID.getLeastSignificantBits(), topic.getLong());
        assertEquals(0, topic.remaining());
    }

    @Test
    void everyProperPrefixOfARecordIsRejected() {
        for (MetadataRecord record : everyKind()) {
            byte[] bytes = MetadataRecordSerde.serialize(record);
            for (int n = 0; n < bytes.length; n++) {
                byte[] prefix = Arrays.copyOf(bytes, n);
                assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(prefix), record + " cut to " + n);
            }
        }
    }

    @Test
    void trailingBytesAreRejected() {
        for (MetadataRecord record : everyKind()) {
            byte[] bytes = MetadataRecordSerde.serialize(record);
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
            IOException e = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(longer));
            assertTrue(e.getMessage().contains("1 trailing bytes"), e.getMessage());
        }
    }

    @Test
    void unknownTypeAndVersionAreRejected() {
        IOException type = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(new byte[]{9, 0}));
        assertEquals("unknown metadata record type 9", type.getMessage());
        byte[] bytes = MetadataRecordSerde.serialize(new ProducerIdsRecord(1));
        bytes[1] = 1;
        IOException version = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(bytes));
        assertEquals("unknown metadata record version 1 for type 5", version.getMessage());
    }

    @Test
    void aPresenceFlagOtherThanZeroOrOneIsRejected() {
        byte[] bytes = MetadataRecordSerde.serialize(new ConfigRecord("t", "n", "v"));
        bytes[2] = 2; // the topic's presence flag
        IOException e = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(bytes));
        assertEquals("bad string presence flag 2", e.getMessage());
    }

    /** Only a config value may be absent: a topic without a name would break the image. */
    @Test
    void anAbsentRequiredStringIsRejected() {
        ByteBuffer topic = ByteBuffer.allocate(19).put((byte) 1).put((byte) 0).put((byte) 0)
                .putLong(1).putLong(2);
        IOException e = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(topic.array()));
        assertEquals("missing required string", e.getMessage());
        ByteBuffer config = ByteBuffer.allocate(7).put((byte) 3).put((byte) 0).put((byte) 1).putShort((short) 1)
                .put((byte) 't').put((byte) 0);
        assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(config.array()));
    }

    /** Modified UTF-8 has one encoding per string: 'A' as the two bytes C1 81 is refused. */
    @Test
    void anOverlongStringIsRejected() throws IOException {
        byte[] bytes = MetadataRecordSerde.serialize(new ConfigRecord("t", "n", "A"));
        byte[] overlong = Arrays.copyOf(bytes, bytes.length + 1);
        overlong[overlong.length - 3] = 2; // the value's length
        overlong[overlong.length - 2] = (byte) 0xc1;
        overlong[overlong.length - 1] = (byte) 0x81;
        assertEquals(new ConfigRecord("t", "n", "A"), MetadataRecordSerde.deserialize(bytes));
        IOException e = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(overlong));
        assertEquals("overlong modified UTF-8 in string A", e.getMessage());
    }

    /** A list length larger than the bytes left is refused before anything is allocated for it. */
    @Test
    void aListLengthBeyondTheDataIsRejected() {
        for (int n : new int[]{-1, Integer.MIN_VALUE, 1, 1_000_000, Integer.MAX_VALUE}) {
            ByteBuffer partition = ByteBuffer.allocate(26).put((byte) 2).put((byte) 0).putLong(1).putLong(2)
                    .putInt(0).putInt(n);
            IOException e = assertThrows(IOException.class, () -> MetadataRecordSerde.deserialize(partition.array()));
            assertEquals("bad list length " + n + " with 0 bytes left", e.getMessage());
        }
    }
}
