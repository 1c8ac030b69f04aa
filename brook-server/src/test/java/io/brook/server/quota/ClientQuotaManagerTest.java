package io.brook.server.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ClientQuotaManagerTest {
    private static final String PRODUCE = "producer_byte_rate";

    /** The quotas after setting {@code key} to {@code value} on the entity {type, name} (null name: default). */
    private static ClientQuotasImage quota(String type, String name, String key, double value) {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType(type).setEntityName(name));
        entry.setOps(new ArrayList<>(List.of(new AlterClientQuotasRequestData.OpData().setKey(key).setValue(value))));
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        request.entries().add(entry);
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    @Test
    void aDefaultClientQuotaLimitsEachClientIdAloneAndOthersNot() {
        AtomicLong clock = new AtomicLong(1_000_000);
        ClientQuotaManager manager = new ClientQuotaManager(() -> quota("client-id", null, PRODUCE, 1000),
                clock::get, 11, 1000);
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "ANONYMOUS", "a", 1000));
        assertEquals(2000, manager.recordAndGetThrottleMs(PRODUCE, "ANONYMOUS", "a", 1000));
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "ANONYMOUS", "b", 1000), "b has its own rate");
        assertEquals(0, manager.recordAndGetThrottleMs("consumer_byte_rate", "ANONYMOUS", "a", 1_000_000),
                "no consumer quota");
    }

    @Test
    void aUserQuotaIsSharedByItsClientsAndAChangeAppliesAtOnce() {
        AtomicLong clock = new AtomicLong(1_000_000);
        AtomicReference<ClientQuotasImage> quotas = new AtomicReference<>(quota("user", "alice", PRODUCE, 1000));
        ClientQuotaManager manager = new ClientQuotaManager(quotas::get, clock::get, 11, 1000);
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "alice", "one", 1000));
        assertEquals(2000, manager.recordAndGetThrottleMs(PRODUCE, "alice", "two", 1000), "one rate for alice");
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "bob", "one", 1_000_000), "bob has no quota");
        quotas.set(quota("user", "alice", PRODUCE, 100_000));
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "alice", "one", 1000), "the raised quota applies");
        quotas.set(ClientQuotasImage.EMPTY);
        assertEquals(0, manager.recordAndGetThrottleMs(PRODUCE, "alice", "one", 1_000_000), "removed: unlimited");
    }

    @Test
    void idleRatesAreDropped() {
        AtomicLong clock = new AtomicLong(1_000_000);
        ClientQuotaManager manager = new ClientQuotaManager(() -> quota("client-id", null, PRODUCE, 1000),
                clock::get, 11, 1000);
        for (int i = 0; i < 100; i++) {
            manager.recordAndGetThrottleMs(PRODUCE, "ANONYMOUS", "client-" + i, 10);
        }
        assertEquals(100, manager.trackedRates());
        clock.addAndGet(12_000);
        manager.recordAndGetThrottleMs(PRODUCE, "ANONYMOUS", "late", 10);
        assertTrue(manager.trackedRates() <= 1, "idle rates kept: " + manager.trackedRates());
    }
}
