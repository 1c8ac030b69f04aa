package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.quota.ClientQuotaEntity;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ClientQuotaControlTest {
    /** An entry of {@code parts} ({type, name} pairs, a null name for the default) with {@code ops}. */
    private static AlterClientQuotasRequestData.EntryData entry(String[][] parts,
                                                               AlterClientQuotasRequestData.OpData... ops) {
        AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
        for (String[] part : parts) {
            entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType(part[0])
                    .setEntityName(part[1]));
        }
        entry.setOps(new ArrayList<>(List.of(ops)));
        return entry;
    }

    private static AlterClientQuotasRequestData.OpData set(String key, double value) {
        return new AlterClientQuotasRequestData.OpData().setKey(key).setValue(value);
    }

    private static AlterClientQuotasRequestData.OpData remove(String key) {
        return new AlterClientQuotasRequestData.OpData().setKey(key).setRemove(true);
    }

    private static AlterClientQuotasRequestData request(AlterClientQuotasRequestData.EntryData... entries) {
        return new AlterClientQuotasRequestData().setEntries(new ArrayList<>(List.of(entries)));
    }

    private static List<Errors> errors(AlterClientQuotasResponseData response) {
        return response.entries().stream().map(e -> Errors.forCode(e.errorCode())).toList();
    }

    @Test
    void setsUserClientAndDefaultQuotasAndTheySurviveASnapshot() {
        ControllerResult<AlterClientQuotasResponseData> result = ClientQuotaControl.alter(MetadataImage.EMPTY, request(
                entry(new String[][] {{"client-id", "fast"}}, set("producer_byte_rate", 204800)),
                entry(new String[][] {{"user", null}}, set("consumer_byte_rate", 1000)),
                entry(new String[][] {{"user", "alice"}, {"client-id", null}}, set("producer_byte_rate", 5),
                        set("consumer_byte_rate", 6))));
        assertEquals(List.of(Errors.NONE, Errors.NONE, Errors.NONE), errors(result.response()));
        assertEquals(4, result.records().size());
        ClientQuotaRecord first = (ClientQuotaRecord) result.records().get(0).message();
        assertEquals("client-id", first.entity().get(0).entityType());
        assertEquals("fast", first.entity().get(0).entityName());
        MetadataImage image = MetadataImage.EMPTY.apply(result.records(), 0);
        assertEquals(204800.0, image.clientQuotas().quota(ClientQuotaEntity.single("client-id", "fast"),
                "producer_byte_rate"));
        assertEquals(1000.0, image.clientQuotas().quota(ClientQuotaEntity.single("user", null), "consumer_byte_rate"));
        assertEquals(Map.of("producer_byte_rate", 5.0, "consumer_byte_rate", 6.0),
                image.clientQuotas().entities().get(ClientQuotaEntity.userAndClient("alice", null)));
        // the default user (a null name) is not the user named "" nor any other user
        assertNull(image.clientQuotas().quota(ClientQuotaEntity.single("user", "alice"), "consumer_byte_rate"));
        assertEquals(image, MetadataImage.EMPTY.apply(image.records(), image.offset()));
        assertEquals(image, MetadataDelta.between(MetadataImage.EMPTY, image).apply(image.offset()));
        assertEquals(MetadataImage.EMPTY.apply(List.of(), 0), MetadataDelta.between(image, MetadataImage.EMPTY)
                .apply(0));

        // removing the last key of an entity removes the entity; removing an unset key writes nothing
        ControllerResult<AlterClientQuotasResponseData> removal = ClientQuotaControl.alter(image, request(
                entry(new String[][] {{"client-id", "fast"}}, remove("producer_byte_rate"),
                        remove("consumer_byte_rate"))));
        assertEquals(List.of(Errors.NONE), errors(removal.response()));
        assertEquals(1, removal.records().size());
        MetadataImage after = image.apply(removal.records(), 1);
        assertTrue(!after.clientQuotas().entities().containsKey(ClientQuotaEntity.single("client-id", "fast")));
        assertEquals(2, after.clientQuotas().entities().size());
    }

    @Test
    void refusesWhatKafkaRefusesAndWhatBrookDoesNotEnforceEachEntryAlone() {
        ControllerResult<AlterClientQuotasResponseData> result = ClientQuotaControl.alter(MetadataImage.EMPTY, request(
                entry(new String[][] {}, set("producer_byte_rate", 1)),
                entry(new String[][] {{"user", "a"}, {"user", "b"}}, set("producer_byte_rate", 1)),
                entry(new String[][] {{"topic", "t"}}, set("producer_byte_rate", 1)),
                entry(new String[][] {{"client-id", "c"}}, set("retention.ms", 1)),
                entry(new String[][] {{"client-id", "c"}}, set("producer_byte_rate", 0)),
                entry(new String[][] {{"client-id", "c"}}, set("producer_byte_rate", -5)),
                entry(new String[][] {{"client-id", "c"}}, set("producer_byte_rate", 1.5)),
                entry(new String[][] {{"client-id", "c"}}, set("request_percentage", -50)),
                entry(new String[][] {{"client-id", "c"}}, set("controller_mutation_rate", 0)),
                entry(new String[][] {{"ip", "1.2.3.4"}}, set("producer_byte_rate", 10)),
                entry(new String[][] {{"client-id", "c"}}, set("producer_byte_rate", 1), set("producer_byte_rate", 2)),
                entry(new String[][] {{"client-id", ""}}, set("producer_byte_rate", 1)),
                entry(new String[][] {{"client-id", "ok"}}, set("producer_byte_rate", 100))));
        List<Errors> errors = errors(result.response());
        for (int i = 0; i < errors.size() - 1; i++) {
            assertEquals(Errors.INVALID_REQUEST, errors.get(i), "entry " + i + ": "
                    + result.response().entries().get(i).errorMessage());
        }
        assertEquals(Errors.NONE, errors.get(errors.size() - 1));
        assertTrue(result.response().entries().get(7).errorMessage().contains("must be positive"));
        assertTrue(result.response().entries().get(3).errorMessage().contains("retention.ms"));
        assertEquals(1, result.records().size(), "only the valid entry is written");
        // the answer names each entity as asked
        assertEquals("ok", result.response().entries().get(12).entity().get(0).entityName());
    }

    @Test
    void acceptsIpConnectionCreationRatesAsKafkaDoes() {
        ControllerResult<AlterClientQuotasResponseData> result = ClientQuotaControl.alter(MetadataImage.EMPTY, request(
                entry(new String[][] {{"ip", "127.0.0.1"}}, set("connection_creation_rate", 5)),
                entry(new String[][] {{"ip", null}}, set("connection_creation_rate", 100)),
                entry(new String[][] {{"ip", "::1"}}, set("connection_creation_rate", 7)),
                entry(new String[][] {{"ip", "broker.example.com"}}, set("connection_creation_rate", 5)),
                entry(new String[][] {{"ip", "256.1.1.1"}}, set("connection_creation_rate", 5)),
                entry(new String[][] {{"ip", "10.0.0.1"}, {"user", "a"}}, set("connection_creation_rate", 5)),
                entry(new String[][] {{"ip", "10.0.0.1"}}, set("consumer_byte_rate", 5)),
                entry(new String[][] {{"client-id", "c"}}, set("connection_creation_rate", 5)),
                entry(new String[][] {{"ip", "10.0.0.1"}}, set("connection_creation_rate", 2.5)),
                entry(new String[][] {{"ip", "10.0.0.1"}}, set("connection_creation_rate", 0)),
                entry(new String[][] {{"ip", "10.0.0.1"}}, set("connection_creation_rate", 1e10)),
                entry(new String[][] {{"ip", ""}}, set("connection_creation_rate", 5))));
        List<Errors> errors = errors(result.response());
        assertEquals(List.of(Errors.NONE, Errors.NONE, Errors.NONE), errors.subList(0, 3));
        for (int i = 3; i < errors.size(); i++) {
            assertEquals(Errors.INVALID_REQUEST, errors.get(i), "entry " + i + ": "
                    + result.response().entries().get(i).errorMessage());
        }
        assertTrue(result.response().entries().get(3).errorMessage().contains("not a valid IP"));
        assertTrue(result.response().entries().get(5).errorMessage().contains("cannot be combined"));
        assertTrue(result.response().entries().get(10).errorMessage().contains("Integer"));
        MetadataImage image = MetadataImage.EMPTY.apply(result.records(), 0);
        assertEquals(5.0, image.clientQuotas().quota(ClientQuotaEntity.single("ip", "127.0.0.1"),
                "connection_creation_rate"));
        assertEquals(100.0, image.clientQuotas().quota(ClientQuotaEntity.single("ip", null),
                "connection_creation_rate"));
        assertEquals(image, MetadataImage.EMPTY.apply(image.records(), image.offset()), "kept in snapshots");

        ControllerResult<AlterClientQuotasResponseData> removal = ClientQuotaControl.alter(image, request(
                entry(new String[][] {{"ip", "127.0.0.1"}}, remove("connection_creation_rate"))));
        assertEquals(List.of(Errors.NONE), errors(removal.response()));
        assertNull(image.apply(removal.records(), 1).clientQuotas().quota(ClientQuotaEntity.single("ip",
                "127.0.0.1"), "connection_creation_rate"));
    }

    @Test
    void acceptsControllerMutationAndRequestQuotasThatAreNotWhole() {
        // Kafka's controller_mutation_rate and request_percentage are DOUBLEs, unlike the byte rates
        ControllerResult<AlterClientQuotasResponseData> result = ClientQuotaControl.alter(MetadataImage.EMPTY, request(
                entry(new String[][] {{"client-id", "c"}}, set("controller_mutation_rate", 2.5)),
                entry(new String[][] {{"user", null}}, set("controller_mutation_rate", 10)),
                entry(new String[][] {{"user", "u"}, {"client-id", "c"}}, set("request_percentage", 12.5))));
        assertEquals(List.of(Errors.NONE, Errors.NONE, Errors.NONE), errors(result.response()));
        MetadataImage image = MetadataImage.EMPTY.apply(result.records(), 0);
        assertEquals(2.5, image.clientQuotas().quota(ClientQuotaEntity.single("client-id", "c"),
                "controller_mutation_rate"));
    }
}
