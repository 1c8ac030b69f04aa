package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.metadata.AccessControlEntryRecord;
import org.apache.kafka.common.metadata.RemoveAccessControlEntryRecord;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The changes a run of ACL records makes to a base {@link AclsImage} (KRaft's {@code AclsDelta}):
 * {@code AccessControlEntryRecord} adds an ACL under its id, {@code RemoveAccessControlEntryRecord} removes
 * the ACL of an id. Adding an id that exists, or removing one that does not, throws
 * {@link IllegalStateException} and leaves the delta unusable, as {@link MetadataDelta} does.
 *
 * <p>Thread-safety: not thread-safe while records are replayed; read-only once applied.
 */
public final class AclsDelta {
    private final AclsImage base;
    /** ACLs added (a value) or removed (empty) by the delta, by id. */
    private final Map<Uuid, Optional<AclBinding>> changed = new LinkedHashMap<>();

    public AclsDelta(AclsImage base) {
        this.base = base;
    }

    /**
     * Adds one record to the delta when it is an ACL record.
     *
     * @return whether {@code message} was an ACL record (other records are left to their own deltas)
     */
    public boolean replay(ApiMessage message) {
        if (message instanceof AccessControlEntryRecord r) {
            if (exists(r.id())) {
                throw new IllegalStateException("ACL record for id " + r.id() + ", which exists: " + r);
            }
            changed.put(r.id(), Optional.of(MetadataRecords.aclBinding(r)));
            return true;
        }
        if (message instanceof RemoveAccessControlEntryRecord r) {
            if (!exists(r.id())) {
                throw new IllegalStateException("ACL removal for unknown id " + r.id());
            }
            changed.put(r.id(), Optional.empty());
            return true;
        }
        return false;
    }

    private boolean exists(Uuid id) {
        Optional<AclBinding> change = changed.get(id);
        return change != null ? change.isPresent() : base.acls().containsKey(id);
    }

    /** Whether an ACL record was replayed. */
    public boolean hasChanges() {
        return !changed.isEmpty();
    }

    /** ACLs added (a value) or removed (empty) by the delta, by id (read-only). */
    public Map<Uuid, Optional<AclBinding>> changes() {
        return java.util.Collections.unmodifiableMap(changed);
    }

    /** The base image itself when nothing changed, else the new image. */
    public AclsImage apply() {
        if (changed.isEmpty()) {
            return base;
        }
        Map<Uuid, AclBinding> acls = new HashMap<>(base.acls());
        changed.forEach((id, acl) -> {
            if (acl.isPresent()) {
                acls.put(id, acl.get());
            } else {
                acls.remove(id);
            }
        });
        return new AclsImage(acls);
    }
}
