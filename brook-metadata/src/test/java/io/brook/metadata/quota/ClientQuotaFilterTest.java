package io.brook.metadata.quota;

import io.brook.metadata.controller.ClientQuotaControl;
import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(30)
class ClientQuotaFilterTest {
    /** /users/alice, /users/alice/clients/app, /users/<default>, /clients/app, /clients/<default>. */
    private static final ClientQuotasImage QUOTAS = quotas();

    private static ClientQuotasImage quotas() {
        AlterClientQuotasRequestData request = new AlterClientQuotasRequestData();
        String[][][] entities = {{{"user", "alice"}}, {{"user", "alice"}, {"client-id", "app"}}, {{"user", null}},
            {{"client-id", "app"}}, {{"client-id", null}}};
        for (String[][] entity : entities) {
            AlterClientQuotasRequestData.EntryData entry = new AlterClientQuotasRequestData.EntryData();
            for (String[] part : entity) {
                entry.entity().add(new AlterClientQuotasRequestData.EntityData().setEntityType(part[0])
                        .setEntityName(part[1]));
            }
            entry.ops().add(new AlterClientQuotasRequestData.OpData().setKey("producer_byte_rate").setValue(1000));
            request.entries().add(entry);
        }
        return MetadataImage.EMPTY.apply(ClientQuotaControl.alter(MetadataImage.EMPTY, request).records(), 0)
                .clientQuotas();
    }

    private static DescribeClientQuotasRequestData.ComponentData exact(String type, String name) {
        return new DescribeClientQuotasRequestData.ComponentData().setEntityType(type)
                .setMatchType(ClientQuotaFilter.MATCH_EXACT).setMatch(name);
    }

    private static DescribeClientQuotasRequestData.ComponentData byDefault(String type) {
        return new DescribeClientQuotasRequestData.ComponentData().setEntityType(type)
                .setMatchType(ClientQuotaFilter.MATCH_DEFAULT);
    }

    private static DescribeClientQuotasRequestData.ComponentData any(String type) {
        return new DescribeClientQuotasRequestData.ComponentData().setEntityType(type)
                .setMatchType(ClientQuotaFilter.MATCH_ANY);
    }

    private static List<String> describe(boolean strict, DescribeClientQuotasRequestData.ComponentData... components) {
        List<DescribeClientQuotasResponseData.EntryData> entries = ClientQuotaFilter.describe(QUOTAS,
                new DescribeClientQuotasRequestData().setStrict(strict)
                        .setComponents(new ArrayList<>(List.of(components))));
        return entries.stream().map(e -> {
            StringBuilder path = new StringBuilder();
            e.entity().forEach(p -> path.append('/').append(p.entityType()).append('/')
                    .append(p.entityName() == null ? "<default>" : p.entityName()));
            return path.toString();
        }).toList();
    }

    @Test
    void matchesExactDefaultAndAnyStrictlyOrNot() {
        assertEquals(5, describe(false).size());
        assertEquals(List.of(), describe(true));
        assertEquals(List.of("/client-id/app/user/alice", "/user/alice"), describe(false, exact("user", "alice")));
        assertEquals(List.of("/user/alice"), describe(true, exact("user", "alice")));
        assertEquals(List.of("/user/<default>"), describe(true, byDefault("user")));
        assertEquals(List.of("/client-id/<default>", "/client-id/app"), describe(true, any("client-id")));
        assertEquals(List.of("/client-id/<default>", "/client-id/app", "/client-id/app/user/alice"),
                describe(false, any("client-id")));
        assertEquals(List.of("/client-id/app/user/alice"), describe(true, any("user"), exact("client-id", "app")));
        assertEquals(List.of(), describe(false, byDefault("user"), any("client-id")));
    }

    @Test
    void aBadFilterIsAnInvalidRequest() {
        assertThrows(InvalidRequestException.class, () -> describe(false, any("user"), exact("user", "a")));
        assertThrows(InvalidRequestException.class, () -> describe(false, exact("user", null)));
        assertThrows(InvalidRequestException.class, () -> describe(false, any("topic")));
        assertThrows(InvalidRequestException.class, () -> describe(false, any("ip"), any("user")));
        assertThrows(InvalidRequestException.class, () -> describe(false,
                new DescribeClientQuotasRequestData.ComponentData().setEntityType("user").setMatchType((byte) 7)));
    }
}
