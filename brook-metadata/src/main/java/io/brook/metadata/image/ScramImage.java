package io.brook.metadata.image;

import io.brook.metadata.scram.ScramCredential;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SCRAM credentials at one point of the metadata log (KRaft's {@code ScramImage}): per user name,
 * per mechanism, the salted keys of {@link ScramCredential} (never a password). Made only by
 * {@link ScramDelta#apply()}.
 *
 * <p>Thread-safety: immutable, shared freely between threads.
 */
public final class ScramImage {
    public static final ScramImage EMPTY = new ScramImage(Map.of());

    private final Map<String, Map<ScramMechanism, ScramCredential>> users;

    ScramImage(Map<String, Map<ScramMechanism, ScramCredential>> users) {
        this.users = users;
    }

    /** The credential of {@code user} for {@code mechanism}, or null. */
    public ScramCredential credential(String user, ScramMechanism mechanism) {
        Map<ScramMechanism, ScramCredential> byMechanism = users.get(user);
        return byMechanism == null ? null : byMechanism.get(mechanism);
    }

    /** Every user with at least one credential, to their credentials by mechanism (read-only). */
    public Map<String, Map<ScramMechanism, ScramCredential>> users() {
        return users;
    }

    /** The records that rebuild this image from an empty one (for snapshots), by user name then mechanism. */
    public List<ApiMessageAndVersion> toRecords() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        new TreeMap<>(users).forEach((user, byMechanism) -> new TreeMap<>(byMechanism).forEach((mechanism, c) ->
                records.add(record(user, mechanism, c))));
        return records;
    }

    /** Kafka's record of one credential. */
    public static ApiMessageAndVersion record(String user, ScramMechanism mechanism, ScramCredential credential) {
        return new ApiMessageAndVersion(new UserScramCredentialRecord().setName(user)
                .setMechanism(mechanism.type()).setSalt(credential.salt()).setStoredKey(credential.storedKey())
                .setServerKey(credential.serverKey()).setIterations(credential.iterations()), (short) 0);
    }

    /** Kafka's record removing one credential. */
    public static ApiMessageAndVersion removalRecord(String user, ScramMechanism mechanism) {
        return new ApiMessageAndVersion(new RemoveUserScramCredentialRecord().setName(user)
                .setMechanism(mechanism.type()), (short) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramImage other && users.equals(other.users);
    }

    @Override
    public int hashCode() {
        return users.hashCode();
    }

    @Override
    public String toString() {
        return "ScramImage(users " + new TreeMap<>(users).keySet() + ")";
    }
}
