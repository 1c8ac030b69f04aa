package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ACL records replay into the image as Kafka's AclsImage keeps them; lookups find exactly the covering patterns. */
@Timeout(30)
class AclsImageTest {
    static AclBinding acl(ResourceType type, String name, PatternType patternType, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, patternType),
                new AccessControlEntry("User:alice", "*", op, AclPermissionType.ALLOW));
    }

    private static final AclBinding LITERAL = acl(ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ);
    private static final AclBinding WILDCARD = acl(ResourceType.TOPIC, "*", PatternType.LITERAL, AclOperation.WRITE);
    private static final AclBinding PREFIX = acl(ResourceType.TOPIC, "ord", PatternType.PREFIXED, AclOperation.DELETE);
    private static final AclBinding OTHER_PREFIX = acl(ResourceType.TOPIC, "orders-x", PatternType.PREFIXED,
            AclOperation.DELETE);
    private static final AclBinding GROUP = acl(ResourceType.GROUP, "orders", PatternType.LITERAL, AclOperation.READ);

    private static MetadataImage withAll() {
        return MetadataImage.EMPTY.apply(List.of(MetadataRecords.acl(new Uuid(0, 1), LITERAL),
                MetadataRecords.acl(new Uuid(0, 2), WILDCARD), MetadataRecords.acl(new Uuid(0, 3), PREFIX),
                MetadataRecords.acl(new Uuid(0, 4), OTHER_PREFIX), MetadataRecords.acl(new Uuid(0, 5), GROUP)), 4);
    }

    @Test
    void matchingFindsLiteralWildcardAndPrefixPatternsOfTheTypeOnly() {
        AclsImage acls = withAll().acls();
        assertEquals(Set.of(LITERAL, WILDCARD, PREFIX), new HashSet<>(acls.matching(ResourceType.TOPIC, "orders")));
        assertEquals(Set.of(WILDCARD, PREFIX, OTHER_PREFIX),
                new HashSet<>(acls.matching(ResourceType.TOPIC, "orders-x1")));
        assertEquals(Set.of(WILDCARD), new HashSet<>(acls.matching(ResourceType.TOPIC, "or")));
        assertEquals(Set.of(GROUP), new HashSet<>(acls.matching(ResourceType.GROUP, "orders")));
        assertEquals(List.of(), acls.matching(ResourceType.TRANSACTIONAL_ID, "orders"));
        assertTrue(acls.hasAny(ResourceType.GROUP));
        assertFalse(acls.hasAny(ResourceType.CLUSTER));
    }

    @Test
    void removalRecordsDropTheAclAndUnknownIdsAreRefused() {
        MetadataImage image = withAll();
        MetadataImage after = image.apply(List.of(MetadataRecords.removeAcl(new Uuid(0, 1))), 5);
        assertEquals(4, after.acls().acls().size());
        assertFalse(after.acls().matching(ResourceType.TOPIC, "orders").contains(LITERAL));
        assertThrows(IllegalStateException.class,
                () -> after.apply(List.of(MetadataRecords.removeAcl(new Uuid(0, 1))), 6));
        assertThrows(IllegalStateException.class,
                () -> after.apply(List.of(MetadataRecords.acl(new Uuid(0, 2), LITERAL)), 6));
    }

    @Test
    void snapshotRecordsRebuildTheSameImageAndBetweenLeadsThere() {
        MetadataImage image = withAll().apply(List.of(MetadataRecords.removeAcl(new Uuid(0, 3))), 5);
        MetadataImage rebuilt = MetadataImage.EMPTY.apply(image.records(), image.offset());
        assertEquals(image, rebuilt);
        assertEquals(image.acls(), rebuilt.acls());
        assertNotEquals(withAll().acls(), image.acls());

        MetadataImage other = MetadataImage.EMPTY.apply(List.of(MetadataRecords.acl(new Uuid(0, 9), GROUP),
                MetadataRecords.acl(new Uuid(0, 1), LITERAL)), 1);
        assertEquals(image.acls(), MetadataDelta.between(other, image).apply(image.offset()).acls());
    }

    @Test
    void anImageWithoutAclChangesKeepsItsAclsImage() {
        MetadataImage image = withAll();
        MetadataImage after = image.apply(List.of(MetadataRecords.producerIds(-1, -1, 1000)), 5);
        assertSame(image.acls(), after.acls());
    }

    @Test
    void idOfFindsAnEqualAcl() {
        AclsImage acls = withAll().acls();
        assertEquals(new Uuid(0, 3), acls.idOf(acl(ResourceType.TOPIC, "ord", PatternType.PREFIXED,
                AclOperation.DELETE)));
        assertEquals(null, acls.idOf(acl(ResourceType.TOPIC, "ord", PatternType.LITERAL, AclOperation.DELETE)));
    }
}
