package io.brook.metadata.controller;

import io.brook.metadata.image.AclsImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.SecurityUtils;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Pure decisions on ACLs, as Kafka's controller makes them (its {@code AclControlManager}): creating
 * writes one {@code AccessControlEntryRecord} per new ACL (an ACL that exists already succeeds without a
 * record), deleting writes one {@code RemoveAccessControlEntryRecord} per ACL some filter matches. Each
 * creation and each filter succeeds or fails on its own, with Kafka's {@code INVALID_REQUEST} for a binding
 * it would not store.
 */
public final class AclControl {
    /** The only name of the CLUSTER resource, as Kafka names it. */
    public static final String CLUSTER_NAME = "kafka-cluster";

    private AclControl() {
    }

    /** What one deletion filter did: its error, or the ACLs it removed. */
    public record AclDeletion(ApiError error, List<AclBinding> deleted) {
        public AclDeletion {
            deleted = List.copyOf(deleted);
        }
    }

    /** Creates {@code bindings}; the answer has one result per binding, in order. */
    public static ControllerResult<List<ApiError>> createAcls(MetadataImage image, List<AclBinding> bindings,
                                                             Supplier<Uuid> ids) {
        AclsImage acls = image.acls();
        List<ApiMessageAndVersion> records = new ArrayList<>();
        List<ApiError> results = new ArrayList<>();
        Set<AclBinding> added = new HashSet<>();
        for (AclBinding binding : bindings) {
            try {
                validate(binding);
            } catch (InvalidRequestException e) {
                results.add(ApiError.fromThrowable(e));
                continue;
            }
            if (acls.idOf(binding) == null && added.add(binding)) {
                Uuid id = ids.get();
                while (acls.acls().containsKey(id)) {
                    id = ids.get();
                }
                records.add(MetadataRecords.acl(id, binding));
            }
            results.add(ApiError.NONE);
        }
        return ControllerResult.of(records, results);
    }

    /** Deletes the ACLs each filter matches; the answer has one result per filter, in order. */
    public static ControllerResult<List<AclDeletion>> deleteAcls(MetadataImage image, List<AclBindingFilter> filters) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        List<AclDeletion> results = new ArrayList<>();
        Set<Uuid> removed = new HashSet<>();
        for (AclBindingFilter filter : filters) {
            if (filter.patternFilter().isUnknown() || filter.entryFilter().isUnknown()) {
                results.add(new AclDeletion(new ApiError(org.apache.kafka.common.protocol.Errors.INVALID_REQUEST,
                        "The filter has an unknown field: " + filter), List.of()));
                continue;
            }
            List<AclBinding> deleted = new ArrayList<>();
            for (Map.Entry<Uuid, AclBinding> acl : image.acls().acls().entrySet()) {
                if (filter.matches(acl.getValue())) {
                    deleted.add(acl.getValue());
                    if (removed.add(acl.getKey())) {
                        records.add(MetadataRecords.removeAcl(acl.getKey()));
                    }
                }
            }
            results.add(new AclDeletion(ApiError.NONE, deleted));
        }
        return ControllerResult.of(records, results);
    }

    /** Refuses (INVALID_REQUEST) an ACL Kafka would not store. */
    static void validate(AclBinding binding) {
        ResourceType type = binding.pattern().resourceType();
        PatternType patternType = binding.pattern().patternType();
        String name = binding.pattern().name();
        if (type == ResourceType.ANY || type == ResourceType.UNKNOWN) {
            throw new InvalidRequestException("Invalid resourceType " + type);
        }
        if (patternType != PatternType.LITERAL && patternType != PatternType.PREFIXED) {
            throw new InvalidRequestException("Invalid patternType " + patternType);
        }
        if (name == null || name.isEmpty()) {
            throw new InvalidRequestException("Invalid empty resource name specified");
        }
        if (type == ResourceType.CLUSTER && !CLUSTER_NAME.equals(name)) {
            throw new InvalidRequestException("The only valid name for the CLUSTER resource is " + CLUSTER_NAME);
        }
        AclOperation operation = binding.entry().operation();
        if (operation == AclOperation.ANY || operation == AclOperation.UNKNOWN) {
            throw new InvalidRequestException("Invalid operation " + operation);
        }
        AclPermissionType permission = binding.entry().permissionType();
        if (permission != AclPermissionType.ALLOW && permission != AclPermissionType.DENY) {
            throw new InvalidRequestException("Invalid permissionType " + permission);
        }
        if (binding.entry().host() == null || binding.entry().host().isEmpty()) {
            throw new InvalidRequestException("Invalid empty host");
        }
        try {
            SecurityUtils.parseKafkaPrincipal(java.util.Objects.requireNonNull(binding.entry().principal()));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidRequestException("Invalid principal " + binding.entry().principal()
                    + ": a principal is TYPE:NAME, for example User:alice");
        }
    }
}
