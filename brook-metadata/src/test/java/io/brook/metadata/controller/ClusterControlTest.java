package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.PartitionImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.InconsistentClusterIdException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.FenceBrokerRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.UnfenceBrokerRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ClusterControlTest {
    private static final long TIMEOUT = 9_000;

    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, TIMEOUT);
    private final ClusterHarness h = new ClusterHarness();

    private static List<ApiMessage> messages(ClusterResult<?> result) {
        return result.records().stream().map(ApiMessageAndVersion::message).toList();
    }

    private BrokerHeartbeatRequestData beat(int id, long offset) {
        return new BrokerHeartbeatRequestData().setBrokerId(id).setBrokerEpoch(h.cluster.broker(id).epoch())
                .setCurrentMetadataOffset(offset);
    }

    @Test
    void aNewBrokerStartsFencedWithTheOffsetOfItsRecordAsEpoch() {
        h.createTopic("t", List.of(List.of(7))); // offsets 0-1: the registration lands at 2
        Uuid incarnation = Uuid.randomUuid();
        ClusterResult<?> result = control.register(h.cluster, h.image,
                ClusterHarness.registration(1, incarnation, "rack-a"), h.nextOffset(), Map.of(), 0);

        RegisterBrokerRecord record = (RegisterBrokerRecord) messages(result).get(0);
        assertEquals(1, result.records().size());
        assertEquals(2, record.brokerEpoch());
        assertTrue(record.fenced());
        assertEquals(4, result.records().get(0).version(), "the version Kafka 4.3.1 writes");
        h.apply(result);
        BrokerRegistration broker = h.cluster.broker(1);
        assertEquals(2, broker.epoch());
        assertEquals(incarnation, broker.incarnationId());
        assertEquals("rack-a", broker.rack().orElseThrow());
        assertEquals(List.of(new BrokerRegistration.Endpoint("PLAINTEXT", "localhost", 9091, (short) 0)),
                broker.endpoints());
        assertTrue(broker.fenced());
        assertFalse(broker.usable());
    }

    @Test
    void aRegistrationForAnotherClusterIsRefused() {
        BrokerRegistrationRequestData request = ClusterHarness.registration(1, Uuid.randomUuid(), null)
                .setClusterId("other");
        ApiException e = assertThrows(InconsistentClusterIdException.class,
                () -> control.register(h.cluster, h.image, request, 0, Map.of(), 0));
        assertEquals(Errors.INCONSISTENT_CLUSTER_ID, Errors.forException(e));
    }

    @Test
    void anotherIncarnationIsRefusedWhileTheOldSessionLivesAndReplacesItAfterwards() {
        Uuid first = Uuid.randomUuid();
        h.register(control, 1, first, null, 0);
        h.heartbeat(control, 1, false, 5_000);
        Uuid second = Uuid.randomUuid();

        ApiException e = assertThrows(DuplicateBrokerRegistrationException.class,
                () -> h.register(control, 1, second, null, 5_000 + TIMEOUT));
        assertEquals(Errors.DUPLICATE_BROKER_REGISTRATION, Errors.forException(e));
        assertEquals(first, h.cluster.broker(1).incarnationId());

        long epoch = h.register(control, 1, second, null, 5_001 + TIMEOUT);
        assertEquals(second, h.cluster.broker(1).incarnationId());
        assertEquals(epoch, h.cluster.broker(1).epoch());
        assertTrue(h.cluster.broker(1).fenced());
    }

    @Test
    void aFencedRegistrationIsReplacedAtOnceByANewIncarnation() {
        // a broker that finished its controlled shutdown (or never caught up) is fenced: its restart must
        // not wait out the session timeout
        h.register(control, 1, Uuid.randomUuid(), null, 0);
        assertTrue(h.cluster.broker(1).fenced());
        Uuid restarted = Uuid.randomUuid();
        h.register(control, 1, restarted, null, 1);
        assertEquals(restarted, h.cluster.broker(1).incarnationId());
    }

    @Test
    void theSameIncarnationMayRegisterAgainAtOnceAndKeepsItsState() {
        Uuid incarnation = Uuid.randomUuid();
        h.register(control, 1, incarnation, null, 0);
        long epoch = h.register(control, 1, incarnation, null, 1);
        assertEquals(epoch, h.cluster.broker(1).epoch());
        assertTrue(h.cluster.broker(1).fenced());

        h.heartbeat(control, 1, false, 2);
        h.registerUnfenced(control, 2, null, 2);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2)));
        ClusterResult<?> amended = control.register(h.cluster, h.image,
                ClusterHarness.registration(1, incarnation, null), h.nextOffset(), Map.of(), 3);
        assertEquals(1, amended.records().size(), "nothing moves");
        h.apply(amended);
        assertTrue(h.cluster.usable(1), "still unfenced, at a new epoch");
        assertEquals(1, h.partition(t, 0).leader());

        h.heartbeat(control, 1, true, 4);
        h.register(control, 1, incarnation, null, 5);
        assertTrue(h.cluster.broker(1).inControlledShutdown(), "only a new incarnation leaves controlled shutdown");
        h.register(control, 1, Uuid.randomUuid(), null, 5 + TIMEOUT + 1);
        assertFalse(h.cluster.broker(1).inControlledShutdown());
        assertTrue(h.cluster.broker(1).fenced());
    }

    @Test
    void aNewIncarnationOfALeaderGivesUpItsLeadershipsInTheSameBatch() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2), List.of(2, 1)));

        h.register(control, 1, Uuid.randomUuid(), null, TIMEOUT + 1); // broker 1 restarted, silent meanwhile

        assertEquals(new PartitionImage(0, List.of(1, 2), List.of(2), 2, 1, 1), h.partition(t, 0));
        assertEquals(new PartitionImage(1, List.of(2, 1), List.of(2), 2, 0, 1), h.partition(t, 1));
    }

    @Test
    void aBrokerMustSupportTheFinalizedFeatureLevels() {
        BrokerRegistrationRequestData request = ClusterHarness.registration(1, Uuid.randomUuid(), null);
        request.features().add(new BrokerRegistrationRequestData.Feature().setName("metadata.version")
                .setMinSupportedVersion((short) 7).setMaxSupportedVersion((short) 20));
        assertThrows(UnsupportedVersionException.class, () -> control.register(h.cluster, h.image, request, 0,
                Map.of("metadata.version", (short) 27), 0));
        assertThrows(UnsupportedVersionException.class, () -> control.register(h.cluster, h.image, request, 0,
                Map.of("kraft.version", (short) 1), 0), "an unlisted feature is supported at level 0 only");

        ClusterResult<?> ok = control.register(h.cluster, h.image, request, 0,
                Map.of("metadata.version", (short) 20, "kraft.version", (short) 0), 0);
        h.apply(ok);
        assertEquals(new BrokerRegistration.FeatureRange((short) 7, (short) 20),
                h.cluster.broker(1).supportedFeatures().get("metadata.version"));
    }

    @Test
    void heartbeatsOfUnknownBrokersOrOtherEpochsAreRefused() {
        assertThrows(BrokerIdNotRegisteredException.class, () -> control.heartbeat(h.cluster, h.image,
                new BrokerHeartbeatRequestData().setBrokerId(4).setBrokerEpoch(0), 0));
        h.register(control, 1, Uuid.randomUuid(), null, 0);
        ApiException e = assertThrows(StaleBrokerEpochException.class, () -> control.heartbeat(h.cluster,
                h.image, beat(1, 0).setBrokerEpoch(h.cluster.broker(1).epoch() - 1), 0));
        assertEquals(Errors.STALE_BROKER_EPOCH, Errors.forException(e));
    }

    @Test
    void aBrokerIsUnfencedOnceItHasSeenItsOwnRegistration() {
        h.createTopic("t", List.of(List.of(1)));
        long epoch = h.register(control, 1, Uuid.randomUuid(), null, 0);

        ClusterResult<BrokerHeartbeatResponseData> behind = control.heartbeat(h.cluster, h.image,
                beat(1, epoch - 1), 10);
        assertEquals(List.of(), behind.records());
        assertFalse(behind.response().isCaughtUp());
        assertTrue(behind.response().isFenced());

        ClusterResult<BrokerHeartbeatResponseData> wantsFence = control.heartbeat(h.cluster, h.image,
                beat(1, epoch).setWantFence(true), 20);
        assertEquals(List.of(), wantsFence.records());
        assertTrue(wantsFence.response().isFenced());

        ClusterResult<BrokerHeartbeatResponseData> caughtUp = control.heartbeat(h.cluster, h.image,
                beat(1, epoch), 30);
        assertEquals(new UnfenceBrokerRecord().setId(1).setEpoch(epoch), messages(caughtUp).get(0));
        assertTrue(caughtUp.response().isCaughtUp());
        assertFalse(caughtUp.response().isFenced());
        h.apply(caughtUp);
        assertTrue(h.cluster.usable(1));
    }

    @Test
    void anUnfencedBrokerTakesBackTheLeaderlessPartitionsItCanLead() {
        h.registerUnfenced(control, 1, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1)));
        h.apply(control.fenceStaleBrokers(h.cluster, h.image, TIMEOUT + 1));
        assertEquals(new PartitionImage(0, List.of(1), List.of(1), -1, 1, 1), h.partition(t, 0),
                "the ISR keeps its last member, the partition has no leader");

        h.heartbeat(control, 1, false, TIMEOUT + 2);

        assertFalse(h.cluster.broker(1).fenced());
        assertEquals(new PartitionImage(0, List.of(1), List.of(1), 1, 2, 2), h.partition(t, 0));
    }

    @Test
    void theFencePassFencesOnlyBrokersSilentForLongerThanTheSessionTimeout() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        h.registerUnfenced(control, 3, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3), List.of(3, 1)));
        h.heartbeat(control, 2, false, 1_000);
        h.heartbeat(control, 3, false, 1_000);

        assertEquals(List.of(), control.fenceStaleBrokers(h.cluster, h.image, TIMEOUT).records(),
                "silent for exactly the timeout: still alive");
        ClusterResult<List<Integer>> pass = control.fenceStaleBrokers(h.cluster, h.image, TIMEOUT + 1);
        assertEquals(List.of(1), pass.response());
        assertEquals(new FenceBrokerRecord().setId(1).setEpoch(h.cluster.broker(1).epoch()), messages(pass).get(0));
        h.apply(pass);

        assertTrue(h.cluster.broker(1).fenced());
        assertEquals(new PartitionImage(0, List.of(1, 2, 3), List.of(2, 3), 2, 1, 1), h.partition(t, 0));
        assertEquals(new PartitionImage(1, List.of(3, 1), List.of(3), 3, 0, 1), h.partition(t, 1));
        PartitionChangeRecord change = (PartitionChangeRecord) messages(pass).get(1);
        assertEquals(2, change.leader());
        PartitionChangeRecord isrOnly = (PartitionChangeRecord) messages(pass).get(2);
        assertEquals(PartitionMoves.NO_LEADER_CHANGE, isrOnly.leader(), "Kafka's 'leader unchanged'");
        assertEquals(2, pass.records().get(1).version(), "the version Kafka 4.3.1 writes");

        assertEquals(List.of(), control.fenceStaleBrokers(h.cluster, h.image, 10 * TIMEOUT).response()
                .stream().filter(b -> b == 1).toList(), "a fenced broker is not fenced again");
    }

    @Test
    void brokersFencedTogetherAreNotElectedForEachOther() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        h.registerUnfenced(control, 3, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3)));
        h.heartbeat(control, 3, false, 5_000);

        assertEquals(List.of(1, 2), h.apply(control.fenceStaleBrokers(h.cluster, h.image, TIMEOUT + 1)));
        assertEquals(new PartitionImage(0, List.of(1, 2, 3), List.of(3), 3, 1, 1), h.partition(t, 0));

        assertEquals(List.of(3), h.apply(control.fenceStaleBrokers(h.cluster, h.image, 5_001 + TIMEOUT)));
        assertEquals(new PartitionImage(0, List.of(1, 2, 3), List.of(3), -1, 2, 2), h.partition(t, 0));
    }

    @Test
    void aControlledShutdownMovesLeadershipsAndWaitsUntilTheOthersHaveSeenIt() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        h.registerUnfenced(control, 3, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2), List.of(2, 1), List.of(1)));

        ClusterResult<BrokerHeartbeatResponseData> enter = control.heartbeat(h.cluster, h.image,
                beat(1, h.image.offset()).setWantShutDown(true), 100);
        assertEquals(new BrokerRegistrationChangeRecord().setBrokerId(1).setBrokerEpoch(h.cluster.broker(1).epoch())
                .setInControlledShutdown((byte) 1), messages(enter).get(0));
        assertFalse(enter.response().shouldShutDown());
        h.apply(enter);
        assertTrue(h.cluster.broker(1).inControlledShutdown());
        assertFalse(h.cluster.usable(1));
        assertEquals(new PartitionImage(0, List.of(1, 2), List.of(2), 2, 1, 1), h.partition(t, 0));
        assertEquals(new PartitionImage(1, List.of(2, 1), List.of(2), 2, 0, 1), h.partition(t, 1));
        assertEquals(new PartitionImage(2, List.of(1), List.of(1), -1, 1, 1), h.partition(t, 2));

        assertFalse(h.heartbeat(control, 1, true, 200).shouldShutDown(),
                "brokers 2 and 3 have not reported the offset with the moves yet");
        h.heartbeat(control, 2, false, 300);
        assertFalse(h.heartbeat(control, 1, true, 400).shouldShutDown(), "broker 3 has not");
        h.heartbeat(control, 3, false, 500);
        BrokerHeartbeatResponseData done = h.heartbeat(control, 1, true, 600);
        assertTrue(done.shouldShutDown());
        assertTrue(done.isFenced(), "fenced with the answer, as Kafka's SHUTDOWN_NOW: listed no more");
        assertTrue(h.cluster.broker(1).fenced());

        h.apply(control.fenceStaleBrokers(h.cluster, h.image, 300 + TIMEOUT + 1));
        h.heartbeat(control, 3, false, 300 + TIMEOUT + 2);
        assertEquals(-1, h.partition(t, 2).leader(), "a broker in controlled shutdown is never elected");
    }

    @Test
    void aBrokerWithNothingToMoveMayShutDownAtOnce() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        h.createTopic("t", List.of(List.of(2)));
        BrokerHeartbeatResponseData response = h.heartbeat(control, 1, true, 10);
        assertTrue(response.shouldShutDown());
        assertTrue(response.isFenced());
        assertTrue(h.cluster.broker(1).fenced());

        long epoch = h.register(control, 3, Uuid.randomUuid(), null, 10);
        ClusterResult<BrokerHeartbeatResponseData> fenced = control.heartbeat(h.cluster, h.image,
                beat(3, epoch).setWantShutDown(true), 20);
        assertEquals(List.of(), fenced.records());
        assertTrue(fenced.response().shouldShutDown(), "a fenced broker may always go at once");
    }

    @Test
    void aBrokerAskingToBeFencedIsFencedAndGivesUpItsLeaderships() {
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2)));
        ClusterResult<BrokerHeartbeatResponseData> result = control.heartbeat(h.cluster, h.image,
                beat(1, h.image.offset()).setWantFence(true), 10);
        assertInstanceOf(FenceBrokerRecord.class, messages(result).get(0));
        assertTrue(h.apply(result).isFenced());
        assertEquals(2, h.partition(t, 0).leader());
    }

    @Test
    void unregisteringGivesUpLeadershipsThenTheRegistration() {
        assertThrows(BrokerIdNotRegisteredException.class, () -> control.unregister(h.cluster, h.image, 1));
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        Uuid t = h.createTopic("t", List.of(List.of(1, 2)));
        long epoch = h.cluster.broker(1).epoch();

        ClusterResult<Void> result = control.unregister(h.cluster, h.image, 1);
        List<ApiMessage> messages = messages(result);
        assertEquals(new UnregisterBrokerRecord().setBrokerId(1).setBrokerEpoch(epoch),
                messages.get(messages.size() - 1));
        h.apply(result);
        assertNull(h.cluster.broker(1));
        assertEquals(new PartitionImage(0, List.of(1, 2), List.of(2), 2, 1, 1), h.partition(t, 0));
        assertFalse(control.hasLiveSession(1, 1));
        h.register(control, 1, Uuid.randomUuid(), null, 1); // a new incarnation is welcome at once
    }

    @Test
    void aNewlyActiveControllerGivesEveryBrokerAFullSession() {
        h.registerUnfenced(control, 1, null, 0);
        ClusterControl next = new ClusterControl(ClusterHarness.CLUSTER_ID, TIMEOUT);
        next.activate(h.cluster, 50_000);
        assertEquals(List.of(), next.fenceStaleBrokers(h.cluster, h.image, 50_000 + TIMEOUT).response());
        assertEquals(List.of(1), next.fenceStaleBrokers(h.cluster, h.image, 50_001 + TIMEOUT).response());
        assertThrows(IllegalArgumentException.class, () -> new ClusterControl("c", 0));
    }
}
