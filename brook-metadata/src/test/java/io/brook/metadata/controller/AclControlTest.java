package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Creating and deleting ACLs as Kafka's controller decides: validation, idempotent creation, filter deletes. */
@Timeout(30)
class AclControlTest {
    private final AtomicLong next = new AtomicLong(1);
    private final Supplier<Uuid> ids = () -> new Uuid(0, next.getAndIncrement());

    private static AclBinding acl(ResourceType type, String name, PatternType pattern, String principal) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW));
    }

    private MetadataImage commit(MetadataImage image, ControllerResult<?> result) {
        return image.apply(result.records(), image.offset() + result.records().size());
    }

    @Test
    void createWritesOneRecordPerNewAclAndRefusesInvalidOnes() {
        AclBinding good = acl(ResourceType.TOPIC, "t", PatternType.LITERAL, "User:alice");
        ControllerResult<List<ApiError>> result = AclControl.createAcls(MetadataImage.EMPTY, List.of(good, good,
                acl(ResourceType.CLUSTER, "other", PatternType.LITERAL, "User:alice"),
                acl(ResourceType.TOPIC, "", PatternType.LITERAL, "User:alice"),
                acl(ResourceType.TOPIC, "t", PatternType.UNKNOWN, "User:alice"),
                acl(ResourceType.TOPIC, "t", PatternType.LITERAL, "alice")), ids);
        assertEquals(1, result.records().size());
        List<Errors> errors = result.response().stream().map(ApiError::error).toList();
        assertEquals(List.of(Errors.NONE, Errors.NONE, Errors.INVALID_REQUEST, Errors.INVALID_REQUEST,
                Errors.INVALID_REQUEST, Errors.INVALID_REQUEST), errors);

        MetadataImage image = commit(MetadataImage.EMPTY, result);
        ControllerResult<List<ApiError>> again = AclControl.createAcls(image, List.of(good), ids);
        assertTrue(again.records().isEmpty(), "an existing ACL is not written again");
        assertEquals(ApiError.NONE, again.response().get(0));
    }

    @Test
    void deleteRemovesWhatEachFilterMatchesOnce() {
        AclBinding literal = acl(ResourceType.TOPIC, "orders", PatternType.LITERAL, "User:alice");
        AclBinding prefixed = acl(ResourceType.TOPIC, "ord", PatternType.PREFIXED, "User:bob");
        AclBinding group = acl(ResourceType.GROUP, "g", PatternType.LITERAL, "User:alice");
        MetadataImage image = commit(MetadataImage.EMPTY, AclControl.createAcls(MetadataImage.EMPTY,
                List.of(literal, prefixed, group), ids));

        AclBindingFilter matchOrders = new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "orders",
                PatternType.MATCH), AccessControlEntryFilter.ANY);
        AclBindingFilter alice = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(
                "User:alice", null, AclOperation.ANY, AclPermissionType.ANY));
        ControllerResult<List<AclControl.AclDeletion>> result = AclControl.deleteAcls(image,
                List.of(matchOrders, alice));
        assertEquals(List.of(literal, prefixed).size(), result.response().get(0).deleted().size());
        assertTrue(result.response().get(0).deleted().containsAll(List.of(literal, prefixed)));
        assertTrue(result.response().get(1).deleted().containsAll(List.of(literal, group)));
        assertEquals(3, result.records().size(), "an ACL two filters match is removed once");
        assertTrue(commit(image, result).acls().isEmpty());
    }
}
