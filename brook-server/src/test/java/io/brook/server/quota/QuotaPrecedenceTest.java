package io.brook.server.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.quota.ClientQuotaEntity;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@Timeout(30)
class QuotaPrecedenceTest {
    private static final String KEY = "producer_byte_rate";
    /** Kafka's order, most specific first: {user, client-id} with null for the default entity. */
    private static final String[][] ORDER = {
        {"alice", "app"}, {"alice", "<default>"}, {"alice", null},
        {"<default>", "app"}, {"<default>", "<default>"}, {"<default>", null},
        {null, "app"}, {null, "<default>"}};

    /** The quotas of entities {@code ORDER[from..]}, the one at index i of value i + 1. */
    private static ClientQuotasImage quotasFrom(int from) {
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        for (int i = from; i < ORDER.length; i++) {
            AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
            if (ORDER[i][0] != null) {
                entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType("user")
                        .setEntityName(ORDER[i][0].equals("<default>") ? null : ORDER[i][0]));
            }
            if (ORDER[i][1] != null) {
                entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType("client-id")
                        .setEntityName(ORDER[i][1].equals("<default>") ? null : ORDER[i][1]));
            }
            entry.setOps(new ArrayList<>(List.of(new AlterClientQuotasRequestData.OpData().setKey(KEY)
                    .setValue(i + 1))));
            request.entries().add(entry);
        }
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    @Test
    void theMostSpecificEntityWinsInKafkasOrder() {
        for (int from = 0; from < ORDER.length; from++) {
            QuotaPrecedence.Applied applied = QuotaPrecedence.resolve(quotasFrom(from), KEY, "alice", "app");
            assertEquals(from + 1, applied.limit(), "with the entities from " + from + " on");
            // counted by the user when the entity has a user part, by the client id when it has a client part
            String user = ORDER[from][0] == null ? "" : "alice";
            String client = ORDER[from][1] == null ? "" : "app";
            assertEquals(List.of(user, client), List.of(applied.countedUser(), applied.countedClientId()),
                    "entity " + applied.entity());
        }
    }

    @Test
    void otherUsersAndClientsGetOnlyTheDefaultsAndOtherKeysNothing() {
        ClientQuotasImage quotas = quotasFrom(0);
        QuotaPrecedence.Applied bob = QuotaPrecedence.resolve(quotas, KEY, "bob", "other");
        assertEquals(ClientQuotaEntity.userAndClient(null, null), bob.entity());
        assertEquals(List.of("bob", "other"), List.of(bob.countedUser(), bob.countedClientId()));
        assertNull(QuotaPrecedence.resolve(quotas, "consumer_byte_rate", "alice", "app"));
        assertNull(QuotaPrecedence.resolve(ClientQuotasImage.EMPTY, KEY, "alice", "app"));
        // only /clients/<default>: each client id is counted alone, whoever the user
        QuotaPrecedence.Applied byClient = QuotaPrecedence.resolve(quotasFrom(7), KEY, "bob", "other");
        assertEquals(List.of("", "other"), List.of(byClient.countedUser(), byClient.countedClientId()));
    }
}
