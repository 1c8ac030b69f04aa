package io.brook.server.security.acl;

import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/** Kafka's ACL filters read from the request data of DescribeAcls and DeleteAcls. Stateless. */
public final class AclMessages {
    private AclMessages() {
    }

    public static AclBindingFilter filter(DescribeAclsRequestData r) {
        return filter(r.resourceTypeFilter(), r.resourceNameFilter(), r.patternTypeFilter(), r.principalFilter(),
                r.hostFilter(), r.operation(), r.permissionType());
    }

    public static AclBindingFilter filter(DeleteAclsRequestData.DeleteAclsFilter f) {
        return filter(f.resourceTypeFilter(), f.resourceNameFilter(), f.patternTypeFilter(), f.principalFilter(),
                f.hostFilter(), f.operation(), f.permissionType());
    }

    private static AclBindingFilter filter(byte resourceType, String name, byte patternType, String principal,
                                           String host, byte operation, byte permission) {
        return new AclBindingFilter(new ResourcePatternFilter(ResourceType.fromCode(resourceType), name,
                PatternType.fromCode(patternType)), new AccessControlEntryFilter(principal, host,
                AclOperation.fromCode(operation), AclPermissionType.fromCode(permission)));
    }
}
