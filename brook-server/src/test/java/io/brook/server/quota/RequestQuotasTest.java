package io.brook.server.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.server.api.RequestThreadTime;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class RequestQuotasTest {
    /** 1000 B/s for producing and consuming, for every client id. */
    private static ClientQuotasImage quotas() {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType("client-id").setEntityName(null));
        entry.ops().add(new AlterClientQuotasRequestData.OpData().setKey("producer_byte_rate").setValue(1000));
        entry.ops().add(new AlterClientQuotasRequestData.OpData().setKey("consumer_byte_rate").setValue(1000));
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        request.entries().add(entry);
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    private static final AtomicLong CLOCK = new AtomicLong(1_000_000);

    private static RequestQuotas requestQuotas(ClientQuotasImage quotas) {
        return new RequestQuotas(new ClientQuotaManager(() -> quotas, CLOCK::get, 11, 1000));
    }

    private static FetchResponseData fetchAnswer(int valueBytes) {
        FetchResponseData response = new FetchResponseData();
        response.responses().add(new FetchResponseData.FetchableTopicResponse().setTopic("t").setPartitions(List.of(
                new FetchResponseData.PartitionData().setPartitionIndex(0).setRecords(
                        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(new byte[valueBytes]))))));
        return response;
    }

    @Test
    void produceCountsRequestBytesAndTellsTheThrottleTime() {
        RequestQuotas quotas = requestQuotas(quotas());
        ProduceResponseData answer = new ProduceResponseData();
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "p", new ProduceRequestData(), 1000, answer));
        assertEquals(2000, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "p", new ProduceRequestData(), 1000, answer));
        assertEquals(2000, answer.throttleTimeMs());
        assertEquals(2000, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "p2", new ProduceRequestData(), 2000, null),
                "acks=0: no answer, still counted");
    }

    @Test
    void fetchesAreCountedByTheFetchItsThrottleTimeMutes() {
        RequestQuotas quotas = requestQuotas(quotas());
        FetchResponseData big = fetchAnswer(100_000);
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "c", new FetchRequestData(), 100, big),
                "the fetch counted its bytes itself (ConsumerFetchQuota): they are not counted again");
        assertEquals(0, big.throttleTimeMs());
        assertEquals(1500, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "c", new FetchRequestData(), 100,
                new FetchResponseData().setThrottleTimeMs(1500)), "a throttled fetch mutes for its throttle time");
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "c", new MetadataRequestData(), 100_000, null),
                "other APIs are not byte-rate limited");
    }

    @Test
    void aConsumerFetchOverItsQuotaIsNotCountedAndReadsAtMostOneSample() {
        ConsumerFetchQuota quota = new ConsumerFetchQuota(new ClientQuotaManager(RequestQuotasTest::quotas,
                CLOCK::get, 11, 1000));
        assertEquals(1000, quota.maxBytes("ANONYMOUS", "c"), "1000 B/s, samples of 1 s");
        assertEquals(0, quota.throttleMs("ANONYMOUS", "c", 1000, new RequestThreadTime()));
        long throttle = quota.throttleMs("ANONYMOUS", "c", 1000, new RequestThreadTime());
        assertTrue(throttle >= 1000, "2000 B in one sample against 1000 B/s: " + throttle);
        assertEquals(throttle, quota.throttleMs("ANONYMOUS", "c", 1000, new RequestThreadTime()),
                "the refused bytes were taken back: the same fetch is refused for as long again, not longer");
        CLOCK.addAndGet(throttle);
        assertEquals(0, quota.throttleMs("ANONYMOUS", "c", 1000, new RequestThreadTime()), "after its throttle time the fetch passes");
        CLOCK.addAndGet(11_000); // the window is empty again
        assertEquals(0, quota.throttleMs("ANONYMOUS", "c", 20_000, new RequestThreadTime()),
                "a batch of 20 s worth into an empty window passes (it would be refused for ever otherwise)");
        assertTrue(quota.throttleMs("ANONYMOUS", "c", 1, new RequestThreadTime()) > 0, "and the next fetch is throttled for it");
        ConsumerFetchQuota none = new ConsumerFetchQuota(new ClientQuotaManager(() -> ClientQuotasImage.EMPTY,
                CLOCK::get, 11, 1000));
        assertEquals(Long.MAX_VALUE, none.maxBytes("ANONYMOUS", "c"));
        assertEquals(0, none.throttleMs("ANONYMOUS", "c", 100_000_000, new RequestThreadTime()));
    }

    @Test
    void aConsumerFetchOverItsRequestPercentageIsThrottledAndItsTimeNotCountedTwice() throws Exception {
        ClientQuotaManager manager = new ClientQuotaManager(() -> requestQuota(0.01), CLOCK::get, 11, 1000);
        ConsumerFetchQuota quota = new ConsumerFetchQuota(manager);
        RequestThreadTime time = new RequestThreadTime();
        time.start();
        Thread.sleep(20); // 20 ms of a thread against 0.1 ms per second
        time.stop();
        long throttle = quota.throttleMs("ANONYMOUS", "f", 1000, time);
        assertTrue(throttle > 0 && throttle <= 1000, "throttled for at most one sample: " + throttle);
        assertTrue(time.counted(), "the fetch counted its request time");
        FetchResponseData empty = new FetchResponseData().setThrottleTimeMs((int) throttle);
        assertEquals(throttle, new RequestQuotas(manager).onResponse(KafkaPrincipal.ANONYMOUS, "f",
                new FetchRequestData(), 100, empty, time), "the network layer mutes for the fetch's throttle time");
        assertEquals(throttle, empty.throttleTimeMs(), "and does not count the same time again");
    }

    @Test
    void withoutQuotasNothingIsThrottled() {
        RequestQuotas quotas = requestQuotas(ClientQuotasImage.EMPTY);
        FetchResponseData big = fetchAnswer(100_000);
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "c", new FetchRequestData(), 100, big));
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "c", new ProduceRequestData(), 100_000_000, null));
    }

    @Test
    void mutationResponsesMuteForTheThrottleTheirHandlerSet() {
        RequestQuotas quotas = requestQuotas(ClientQuotasImage.EMPTY); // no byte quota: only the handler's throttle
        assertEquals(700, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "a",
                new org.apache.kafka.common.message.CreateTopicsRequestData(), 100,
                new org.apache.kafka.common.message.CreateTopicsResponseData().setThrottleTimeMs(700)));
        assertEquals(800, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "a",
                new org.apache.kafka.common.message.CreatePartitionsRequestData(), 100,
                new org.apache.kafka.common.message.CreatePartitionsResponseData().setThrottleTimeMs(800)));
        assertEquals(900, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "a",
                new org.apache.kafka.common.message.DeleteTopicsRequestData(), 100,
                new org.apache.kafka.common.message.DeleteTopicsResponseData().setThrottleTimeMs(900)));
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "a",
                new org.apache.kafka.common.message.CreateTopicsRequestData(), 100,
                new org.apache.kafka.common.message.CreateTopicsResponseData()));
    }

    /** request_percentage {@code percent} for every client id. */
    private static ClientQuotasImage requestQuota(double percent) {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType("client-id").setEntityName(null));
        entry.ops().add(new AlterClientQuotasRequestData.OpData().setKey("request_percentage").setValue(percent));
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        request.entries().add(entry);
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    @Test
    void handlerTimeCountsAgainstTheRequestPercentageOfAnyApiAtMostOneSample() {
        RequestQuotas quotas = requestQuotas(requestQuota(10)); // 100 ms of handler time per second
        MetadataResponseData first = new MetadataResponseData();
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "m", new MetadataRequestData(), 100, first,
                50_000_000), "50 ms: within the first sample");
        CLOCK.addAndGet(500);
        MetadataResponseData second = new MetadataResponseData();
        assertEquals(700, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "m", new MetadataRequestData(), 100, second,
                70_000_000), "120 ms at 10% need a window of 1.2 s, 0.5 s old");
        assertEquals(700, second.throttleTimeMs(), "set in any response that has the field");
        org.apache.kafka.common.message.ListOffsetsResponseData third =
                new org.apache.kafka.common.message.ListOffsetsResponseData();
        assertEquals(1000, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "m",
                new org.apache.kafka.common.message.ListOffsetsRequestData(), 100, third, 1_000_000_000L),
                "at most one sample, as Kafka caps a request throttle");
        assertEquals(1000, third.throttleTimeMs());
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "other", new MetadataRequestData(), 100,
                new MetadataResponseData(), 50_000_000), "each client id counts alone under the default entity");
    }

    @Test
    void interBrokerRequestsAreExemptFromTheRequestQuota() {
        RequestQuotas quotas = requestQuotas(requestQuota(0.001));
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "broker-2", new FetchRequestData()
                .setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(2)), 100, new FetchResponseData(),
                5_000_000_000L), "a follower fetch");
        assertEquals(0, quotas.onResponse(KafkaPrincipal.ANONYMOUS, "broker-2",
                new org.apache.kafka.common.message.BrokerHeartbeatRequestData(), 100,
                new org.apache.kafka.common.message.BrokerHeartbeatResponseData(), 5_000_000_000L), "a heartbeat");
        assertTrue(RequestQuotas.exemptFromRequestQuota(
                new org.apache.kafka.common.message.WriteTxnMarkersRequestData()));
        assertTrue(quotas.onResponse(KafkaPrincipal.ANONYMOUS, "consumer", new FetchRequestData(), 100,
                new FetchResponseData(), 5_000_000_000L) > 0, "a consumer's fetch counts");
    }
}
