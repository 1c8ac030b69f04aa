package io.brook.server.quota;

import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.quota.ClientQuotaEntity;

import java.util.List;

/**
 * Which configured quota applies to a (user, client id) for one key, in Kafka's order (the first entity with a
 * value for the key wins):
 * {@code /users/<u>/clients/<c>}, {@code /users/<u>/clients/<default>}, {@code /users/<u>},
 * {@code /users/<default>/clients/<c>}, {@code /users/<default>/clients/<default>}, {@code /users/<default>},
 * {@code /clients/<c>}, {@code /clients/<default>}. The answer also names whose traffic the quota counts
 * together, as Kafka's metric tags do: the user when the entity has a user part, the client id when it has a
 * client-id part (so {@code /clients/<default>} limits each client id on its own, and {@code /users/<u>} all
 * of that user's clients together). Pure.
 */
public final class QuotaPrecedence {
    /** The quota that applies: its limit, the entity it was set on, and the (user, client id) it is counted by. */
    public record Applied(double limit, ClientQuotaEntity entity, String countedUser, String countedClientId) {
    }

    private QuotaPrecedence() {
    }

    /** The quota {@code key} for {@code user} and {@code clientId} in {@code quotas}, or null when none applies. */
    public static Applied resolve(ClientQuotasImage quotas, String key, String user, String clientId) {
        if (quotas.isEmpty()) {
            return null;
        }
        List<ClientQuotaEntity> order = List.of(
                ClientQuotaEntity.userAndClient(user, clientId),
                ClientQuotaEntity.userAndClient(user, null),
                ClientQuotaEntity.single(ClientQuotaEntity.USER, user),
                ClientQuotaEntity.userAndClient(null, clientId),
                ClientQuotaEntity.userAndClient(null, null),
                ClientQuotaEntity.single(ClientQuotaEntity.USER, null),
                ClientQuotaEntity.single(ClientQuotaEntity.CLIENT_ID, clientId),
                ClientQuotaEntity.single(ClientQuotaEntity.CLIENT_ID, null));
        for (ClientQuotaEntity entity : order) {
            Double limit = quotas.quota(entity, key);
            if (limit != null) {
                boolean byUser = entity.parts().containsKey(ClientQuotaEntity.USER);
                boolean byClient = entity.parts().containsKey(ClientQuotaEntity.CLIENT_ID);
                return new Applied(limit, entity, byUser ? user : "", byClient ? clientId : "");
            }
        }
        return null;
    }
}
