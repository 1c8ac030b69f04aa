package io.brook.metadata.image;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.FenceBrokerRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.metadata.UnfenceBrokerRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ClusterDeltaTest {
    private static final Uuid INCARNATION = new Uuid(1, 2);

    private static RegisterBrokerRecord register(int id, long epoch) {
        RegisterBrokerRecord record = new RegisterBrokerRecord().setBrokerId(id).setBrokerEpoch(epoch)
                .setIncarnationId(INCARNATION).setRack(id % 2 == 0 ? "even" : null);
        record.endPoints().add(new RegisterBrokerRecord.BrokerEndpoint().setName("PLAINTEXT").setHost("h" + id)
                .setPort(9092).setSecurityProtocol((short) 0));
        record.features().add(new RegisterBrokerRecord.BrokerFeature().setName("metadata.version")
                .setMinSupportedVersion((short) 7).setMaxSupportedVersion((short) 27));
        return record;
    }

    private static ClusterImage replay(ClusterImage base, ApiMessage... records) {
        ClusterDelta delta = new ClusterDelta(base);
        for (ApiMessage record : records) {
            assertTrue(delta.replay(record), record.toString());
        }
        return delta.apply();
    }

    @Test
    void theFiveBrokerRecordsChangeTheRegistrations() {
        ClusterImage image = replay(ClusterImage.EMPTY, register(1, 10), register(2, 11));
        BrokerRegistration one = image.broker(1);
        assertEquals(new BrokerRegistration(1, 10, INCARNATION,
                List.of(new BrokerRegistration.Endpoint("PLAINTEXT", "h1", 9092, (short) 0)), Optional.empty(),
                Map.of("metadata.version", new BrokerRegistration.FeatureRange((short) 7, (short) 27)), true, false),
                one);
        assertEquals(Optional.of("even"), image.broker(2).rack());

        image = replay(image, new UnfenceBrokerRecord().setId(1).setEpoch(10));
        assertTrue(image.usable(1));
        image = replay(image, new BrokerRegistrationChangeRecord().setBrokerId(1).setBrokerEpoch(10)
                .setInControlledShutdown(ClusterDelta.IN_CONTROLLED_SHUTDOWN));
        assertTrue(image.broker(1).inControlledShutdown());
        assertFalse(image.broker(1).fenced());
        assertFalse(image.usable(1));
        image = replay(image, new FenceBrokerRecord().setId(1).setEpoch(10));
        assertTrue(image.broker(1).fenced());
        image = replay(image, new BrokerRegistrationChangeRecord().setBrokerId(2).setBrokerEpoch(11)
                .setFenced(ClusterDelta.UNFENCE));
        assertTrue(image.usable(2));
        image = replay(image, new BrokerRegistrationChangeRecord().setBrokerId(2).setBrokerEpoch(11)
                .setFenced(ClusterDelta.FENCE));
        assertTrue(image.broker(2).fenced());

        ClusterImage reregistered = replay(image, register(1, 20));
        assertEquals(20, reregistered.broker(1).epoch());
        assertFalse(reregistered.broker(1).inControlledShutdown(), "a new incarnation leaves controlled shutdown");
        assertSame(image.broker(2), reregistered.broker(2), "untouched brokers are shared");

        ClusterDelta last = new ClusterDelta(reregistered);
        last.replay(new UnregisterBrokerRecord().setBrokerId(1).setBrokerEpoch(20));
        last.replay(new UnfenceBrokerRecord().setId(2).setEpoch(11));
        assertEquals(Map.of(1, Optional.empty(), 2, Optional.of(reregistered.broker(2).withFenced(false))),
                last.changedBrokers());
        assertNull(last.broker(1));
        ClusterImage gone = last.apply();
        assertNull(gone.broker(1));
        assertEquals(1, gone.brokers().size());
        assertTrue(gone.usable(2));
    }

    @Test
    void aChangeForAnotherEpochOrAnUnknownBrokerIsRejected() {
        ClusterImage image = replay(ClusterImage.EMPTY, register(1, 10));
        assertThrows(IllegalStateException.class,
                () -> new ClusterDelta(image).replay(new FenceBrokerRecord().setId(1).setEpoch(9)));
        assertThrows(IllegalStateException.class,
                () -> new ClusterDelta(image).replay(new UnfenceBrokerRecord().setId(2).setEpoch(10)));
        assertThrows(IllegalStateException.class,
                () -> new ClusterDelta(image).replay(new UnregisterBrokerRecord().setBrokerId(1).setBrokerEpoch(11)));
        assertThrows(IllegalStateException.class, () -> new ClusterDelta(image).replay(
                new BrokerRegistrationChangeRecord().setBrokerId(1).setBrokerEpoch(10).setFenced((byte) 5)));
    }

    @Test
    void otherRecordsAreLeftToTheirOwnDeltas() {
        ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
        assertFalse(delta.replay(new TopicRecord().setName("t").setTopicId(Uuid.randomUuid())));
        assertSame(ClusterImage.EMPTY, delta.apply());
    }

    @Test
    void theImageRecordsRebuildItThroughKafkasSerde() {
        ClusterImage image = replay(ClusterImage.EMPTY, register(2, 11), register(1, 10),
                new UnfenceBrokerRecord().setId(1).setEpoch(10),
                new BrokerRegistrationChangeRecord().setBrokerId(1).setBrokerEpoch(10)
                        .setInControlledShutdown(ClusterDelta.IN_CONTROLLED_SHUTDOWN));
        List<ApiMessageAndVersion> records = image.toRecords();
        assertEquals(List.of(1, 2),
                records.stream().map(r -> ((RegisterBrokerRecord) r.message()).brokerId()).toList());

        MetadataRecordSerde serde = MetadataRecordSerde.INSTANCE;
        ClusterDelta delta = new ClusterDelta(ClusterImage.EMPTY);
        for (ApiMessageAndVersion record : records) {
            ObjectSerializationCache cache = new ObjectSerializationCache();
            ByteBuffer buffer = ByteBuffer.allocate(serde.recordSize(record, cache));
            serde.write(record, cache, new ByteBufferAccessor(buffer));
            buffer.flip();
            delta.replay(serde.read(new ByteBufferAccessor(buffer), buffer.remaining()).message());
        }
        assertEquals(image, delta.apply());
    }
}
