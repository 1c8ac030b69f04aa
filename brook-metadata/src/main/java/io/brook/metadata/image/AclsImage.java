package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ACLs of the cluster (KRaft's {@code AclsImage}): every {@code AccessControlEntryRecord} still in
 * force, by its id, and an index by resource pattern so an authorization looks at the ACLs of one
 * resource instead of all of them. Literal patterns are found by name (plus the {@code *} wildcard name),
 * prefixed patterns by each prefix of the resource name, so a lookup costs the length of the name.
 *
 * <p>Thread-safety: immutable; shared freely between threads.
 */
public final class AclsImage {
    public static final AclsImage EMPTY = new AclsImage(Map.of());

    private final Map<Uuid, AclBinding> acls;
    /** ACLs by resource pattern (type, name, LITERAL or PREFIXED). */
    private final Map<ResourcePattern, List<AclBinding>> byPattern;
    /** How many ACLs each resource type has. */
    private final Map<ResourceType, Integer> countByType;

    AclsImage(Map<Uuid, AclBinding> acls) {
        this.acls = Map.copyOf(acls);
        Map<ResourcePattern, List<AclBinding>> index = new HashMap<>();
        Map<ResourceType, Integer> counts = new HashMap<>();
        for (AclBinding acl : this.acls.values()) {
            index.computeIfAbsent(acl.pattern(), p -> new ArrayList<>()).add(acl);
            counts.merge(acl.pattern().resourceType(), 1, Integer::sum);
        }
        index.replaceAll((pattern, list) -> List.copyOf(list));
        this.byPattern = index;
        this.countByType = counts;
    }

    /** Every ACL by id (read-only). */
    public Map<Uuid, AclBinding> acls() {
        return acls;
    }

    public boolean isEmpty() {
        return acls.isEmpty();
    }

    /** Whether any ACL names a resource of {@code type}. */
    public boolean hasAny(ResourceType type) {
        return countByType.containsKey(type);
    }

    /**
     * The ACLs whose pattern covers the resource {@code name} of {@code type}: LITERAL ones of that name or
     * of the wildcard name {@code *}, and PREFIXED ones whose name starts {@code name}. In no given order.
     */
    public List<AclBinding> matching(ResourceType type, String name) {
        List<AclBinding> found = new ArrayList<>();
        addAll(found, new ResourcePattern(type, name, PatternType.LITERAL));
        if (!ResourcePattern.WILDCARD_RESOURCE.equals(name)) {
            addAll(found, new ResourcePattern(type, ResourcePattern.WILDCARD_RESOURCE, PatternType.LITERAL));
        }
        for (int end = 1; end <= name.length(); end++) {
            addAll(found, new ResourcePattern(type, name.substring(0, end), PatternType.PREFIXED));
        }
        return found;
    }

    private void addAll(List<AclBinding> found, ResourcePattern pattern) {
        List<AclBinding> acls = byPattern.get(pattern);
        if (acls != null) {
            found.addAll(acls);
        }
    }

    /** The id of an ACL equal to {@code binding}, or null when there is none. */
    public Uuid idOf(AclBinding binding) {
        for (AclBinding acl : byPattern.getOrDefault(binding.pattern(), List.of())) {
            if (acl.equals(binding)) {
                for (Map.Entry<Uuid, AclBinding> entry : acls.entrySet()) {
                    if (entry.getValue().equals(binding)) {
                        return entry.getKey();
                    }
                }
            }
        }
        return null;
    }

    /** The records that rebuild these ACLs (in id order, so a snapshot is the same bytes for the same ACLs). */
    public List<ApiMessageAndVersion> toRecords() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        new TreeMap<>(acls).forEach((id, acl) -> records.add(MetadataRecords.acl(id, acl)));
        return Collections.unmodifiableList(records);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AclsImage other && acls.equals(other.acls);
    }

    @Override
    public int hashCode() {
        return acls.hashCode();
    }

    @Override
    public String toString() {
        return "AclsImage(" + acls.values() + ")";
    }
}
