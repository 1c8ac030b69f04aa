package io.brook.metadata.image;

import io.brook.metadata.scram.ScramCredential;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes a run of SCRAM records makes to a base {@link ScramImage} (KRaft's {@code ScramDelta}):
 * a {@code UserScramCredentialRecord} sets (or replaces) one user's credential for one mechanism, a
 * {@code RemoveUserScramCredentialRecord} removes it; removing one that does not exist throws
 * {@link IllegalStateException}, as Kafka's replay does.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied.
 */
public final class ScramDelta {
    private record Key(String user, ScramMechanism mechanism) {
    }

    private final ScramImage base;
    /** Credentials set (a value) or removed (null) by the delta, in order of change. */
    private final Map<Key, ScramCredential> changed = new LinkedHashMap<>();

    public ScramDelta(ScramImage base) {
        this.base = base;
    }

    /**
     * Adds one record to the delta when it is a SCRAM record.
     *
     * @return whether {@code message} was a SCRAM record (other records are left to their own deltas)
     */
    public boolean replay(ApiMessage message) {
        if (message instanceof UserScramCredentialRecord r) {
            changed.put(new Key(r.name(), mechanism(r.mechanism())), new ScramCredential(r.salt(), r.storedKey(),
                    r.serverKey(), r.iterations()));
            return true;
        }
        if (message instanceof RemoveUserScramCredentialRecord r) {
            Key key = new Key(r.name(), mechanism(r.mechanism()));
            if (current(key) == null) {
                throw new IllegalStateException("removal of a SCRAM credential that does not exist: " + key);
            }
            changed.put(key, null);
            return true;
        }
        return false;
    }

    /** Whether a SCRAM record was replayed. */
    public boolean changed() {
        return !changed.isEmpty();
    }

    /** The users whose credentials the delta set or removed. */
    public List<String> changedUsers() {
        return changed.keySet().stream().map(Key::user).distinct().toList();
    }

    private ScramCredential current(Key key) {
        return changed.containsKey(key) ? changed.get(key) : base.credential(key.user(), key.mechanism());
    }

    private static ScramMechanism mechanism(byte type) {
        ScramMechanism mechanism = ScramMechanism.fromType(type);
        if (mechanism == ScramMechanism.UNKNOWN) {
            throw new IllegalStateException("SCRAM record of unknown mechanism type " + type);
        }
        return mechanism;
    }

    public ScramImage apply() {
        if (changed.isEmpty()) {
            return base;
        }
        Map<String, Map<ScramMechanism, ScramCredential>> users = new HashMap<>(base.users());
        changed.forEach((key, credential) -> {
            Map<ScramMechanism, ScramCredential> byMechanism = new HashMap<>(users.getOrDefault(key.user(), Map.of()));
            if (credential == null) {
                byMechanism.remove(key.mechanism());
            } else {
                byMechanism.put(key.mechanism(), credential);
            }
            if (byMechanism.isEmpty()) {
                users.remove(key.user());
            } else {
                users.put(key.user(), Map.copyOf(byMechanism));
            }
        });
        return new ScramImage(Map.copyOf(users));
    }
}
