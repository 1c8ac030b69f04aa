package io.brook.server.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.server.quota.ControllerMutationQuotaManager.Mutations;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ControllerMutationQuotaManagerTest {
    private static final String KEY = "controller_mutation_rate";

    /** The quotas after setting {@code controller_mutation_rate} on the entity {type, name} (null name: default). */
    private static ClientQuotasImage quota(String type, String name, double value) {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType(type).setEntityName(name));
        entry.setOps(new ArrayList<>(List.of(new AlterClientQuotasRequestData.OpData().setKey(KEY).setValue(value))));
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        request.entries().add(entry);
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    @Test
    void strictRefusesATopicOnceTheBucketIsBelowZeroAndTheResponseSaysHowLongToWait() {
        AtomicLong clock = new AtomicLong(1_000_000);
        // 2 partitions/s over 1 sample of 1 s: a burst of 2
        ControllerMutationQuotaManager manager = new ControllerMutationQuotaManager(
                () -> quota("client-id", "admin", 2), clock::get, 1, 1000);
        Mutations first = manager.forRequest("ANONYMOUS", "admin", true);
        first.record(1);
        first.record(3); // one token left: a topic of 3 is taken whole, leaving -2
        ThrottlingQuotaExceededException refused = assertThrows(ThrottlingQuotaExceededException.class,
                () -> first.record(1));
        assertEquals(1000, refused.throttleTimeMs(), "2 tokens short at 2/s");
        assertTrue(refused.getMessage().contains("controller_mutation_rate"), refused.getMessage());
        clock.addAndGet(400);
        assertEquals(600, first.throttleTimeMs(), "the response tells what is left of the wait");

        Mutations unthrottled = manager.forRequest("ANONYMOUS", "admin", true);
        clock.addAndGet(600);
        unthrottled.record(5);
        assertEquals(0, unthrottled.throttleTimeMs(), "a strict request that got everything is not throttled");
        assertThrows(ThrottlingQuotaExceededException.class,
                () -> manager.forRequest("ANONYMOUS", "admin", true).record(1));
    }

    @Test
    void permissiveDoesEverythingAndThrottles() {
        AtomicLong clock = new AtomicLong(1_000_000);
        ControllerMutationQuotaManager manager = new ControllerMutationQuotaManager(
                () -> quota("client-id", "admin", 2), clock::get, 1, 1000);
        Mutations old = manager.forRequest("ANONYMOUS", "admin", false);
        old.record(2);
        old.record(4);
        old.record(4);
        assertEquals(4000, old.throttleTimeMs(), "8 below zero at 2/s");
        Mutations within = manager.forRequest("ANONYMOUS", "other", false);
        within.record(100);
        assertEquals(0, within.throttleTimeMs(), "another client id has no quota");
    }

    @Test
    void aRefundGivesBackWhatTheControllerDidNotDo() {
        AtomicLong clock = new AtomicLong(1_000_000);
        ControllerMutationQuotaManager manager = new ControllerMutationQuotaManager(
                () -> quota("client-id", "admin", 1), clock::get, 1, 1000);
        Mutations request = manager.forRequest("ANONYMOUS", "admin", true);
        request.record(5);
        request.refund(5); // say the topic existed already
        request.record(1); // the bucket is full again: not refused
        assertEquals(0, request.throttleTimeMs());
    }

    @Test
    void precedenceAndCountingFollowTheByteQuotas() {
        AtomicLong clock = new AtomicLong(1_000_000);
        AtomicReference<ClientQuotasImage> quotas = new AtomicReference<>(quota("user", "alice", 1));
        ControllerMutationQuotaManager manager = new ControllerMutationQuotaManager(quotas::get, clock::get, 1, 1000);
        manager.forRequest("alice", "one", true).record(2);
        assertThrows(ThrottlingQuotaExceededException.class, () -> manager.forRequest("alice", "two", true).record(1),
                "one bucket for all of alice's clients");
        assertSame(Mutations.UNLIMITED, manager.forRequest("bob", "one", true), "bob has no quota");
        manager.forRequest("bob", "one", true).record(1_000_000);
        quotas.set(ClientQuotasImage.EMPTY);
        manager.forRequest("alice", "two", true).record(1_000_000); // removed: unlimited at once
        quotas.set(quota("client-id", null, 1));
        manager.forRequest("carol", "a", true).record(2);
        manager.forRequest("carol", "b", true).record(2); // the default client quota counts each client id alone
        assertThrows(ThrottlingQuotaExceededException.class, () -> manager.forRequest("carol", "b", true).record(1));
    }

    @Test
    void refilledBucketsAreDropped() {
        AtomicLong clock = new AtomicLong(1_000_000);
        ControllerMutationQuotaManager manager = new ControllerMutationQuotaManager(
                () -> quota("client-id", null, 10), clock::get, 11, 1000);
        for (int i = 0; i < 100; i++) {
            manager.forRequest("ANONYMOUS", "client-" + i, true).record(1);
        }
        manager.forRequest("ANONYMOUS", "heavy", true).record(500); // 390 below zero: 39 s to refill
        assertEquals(101, manager.trackedBuckets());
        clock.addAndGet(12_000);
        manager.forRequest("ANONYMOUS", "late", true).record(1);
        assertEquals(2, manager.trackedBuckets(), "the refilled ones are dropped, heavy and late are kept");
        assertThrows(ThrottlingQuotaExceededException.class, () -> manager.forRequest("ANONYMOUS", "heavy", true)
                .record(1), "a bucket still below zero keeps its debt");
    }

    @Test
    void strictSinceTheVersionsKafkaNames() {
        assertFalse(ControllerMutationQuotaManager.strict(ApiKeys.CREATE_TOPICS, (short) 5));
        assertTrue(ControllerMutationQuotaManager.strict(ApiKeys.CREATE_TOPICS, (short) 6));
        assertFalse(ControllerMutationQuotaManager.strict(ApiKeys.CREATE_PARTITIONS, (short) 2));
        assertTrue(ControllerMutationQuotaManager.strict(ApiKeys.CREATE_PARTITIONS, (short) 3));
        assertFalse(ControllerMutationQuotaManager.strict(ApiKeys.DELETE_TOPICS, (short) 4));
        assertTrue(ControllerMutationQuotaManager.strict(ApiKeys.DELETE_TOPICS, (short) 5));
    }
}
