package io.brook.server.security.acl;

import io.brook.metadata.image.AclsImage;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

import java.util.EnumSet;
import java.util.Set;

/**
 * Whether a principal from a host may perform an operation on a resource, decided as Kafka's
 * {@code StandardAuthorizer} decides (pure: the ACLs and settings in, a yes or no out):
 * <ol>
 *   <li>a super user may do everything;</li>
 *   <li>the ACLs that count are those whose pattern covers the resource (a LITERAL of its name, the
 *       LITERAL wildcard {@code *}, a PREFIXED pattern its name starts with), whose principal is the
 *       principal or {@code User:*}, and whose host is the client's address or {@code *};</li>
 *   <li>a DENY of the operation (or of ALL) wins over everything;</li>
 *   <li>else an ALLOW of the operation allows, as does an ALLOW of ALL, and an ALLOW of an operation that
 *       implies it: READ, WRITE, DELETE or ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS
 *       (implication applies to ALLOW only, as in Kafka);</li>
 *   <li>else, when no ACL at all covers the resource, {@code allow.everyone.if.no.acl.found} decides;
 *       otherwise the answer is no.</li>
 * </ol>
 */
public final class AclDecision {
    /** Kafka's wildcard principal: an ACL of it applies to every principal. */
    public static final String WILDCARD_PRINCIPAL = "User:*";
    /** Kafka's wildcard host. */
    public static final String WILDCARD_HOST = "*";

    private static final Set<AclOperation> IMPLY_DESCRIBE = EnumSet.of(AclOperation.READ, AclOperation.WRITE,
            AclOperation.DELETE, AclOperation.ALTER);

    private AclDecision() {
    }

    public static boolean authorize(AclsImage acls, AuthorizerSettings settings, KafkaPrincipal principal, String host,
                                    AclOperation operation, ResourceType type, String name) {
        if (!settings.enabled() || isSuperUser(settings, principal)) {
            return true;
        }
        String who = principal.toString();
        boolean anyAcl = false;
        boolean allowed = false;
        for (AclBinding acl : acls.matching(type, name)) {
            anyAcl = true;
            AccessControlEntry entry = acl.entry();
            if (!principalMatches(entry.principal(), who) || !hostMatches(entry.host(), host)) {
                continue;
            }
            if (entry.permissionType() == AclPermissionType.DENY) {
                if (entry.operation() == AclOperation.ALL || entry.operation() == operation) {
                    return false;
                }
            } else if (entry.permissionType() == AclPermissionType.ALLOW && allows(entry.operation(), operation)) {
                allowed = true;
            }
        }
        return allowed || (!anyAcl && settings.allowEveryoneIfNoAclFound());
    }

    /**
     * Whether the principal may perform {@code operation} on at least one resource of {@code type} (Kafka's
     * {@code authorizeByResourceType}, used by InitProducerId for idempotent producers): some ALLOW of the
     * operation covers a resource no DENY of the principal covers, or a resource of the type exists that no
     * ACL names and {@code allow.everyone.if.no.acl.found} is on (taken as: the type has no ACLs at all).
     */
    public static boolean authorizeAny(AclsImage acls, AuthorizerSettings settings, KafkaPrincipal principal,
                                       String host, AclOperation operation, ResourceType type) {
        if (!settings.enabled() || isSuperUser(settings, principal)) {
            return true;
        }
        String who = principal.toString();
        for (AclBinding acl : acls.acls().values()) {
            AccessControlEntry entry = acl.entry();
            if (acl.pattern().resourceType() != type || entry.permissionType() != AclPermissionType.ALLOW
                    || !principalMatches(entry.principal(), who) || !hostMatches(entry.host(), host)
                    || !allows(entry.operation(), operation)) {
                continue;
            }
            if (!deniedEverywhereUnder(acls, who, host, operation, acl.pattern())) {
                return true;
            }
        }
        return settings.allowEveryoneIfNoAclFound() && !acls.hasAny(type);
    }

    /** Whether a DENY of the principal covers every resource {@code allowed} covers. */
    private static boolean deniedEverywhereUnder(AclsImage acls, String who, String host, AclOperation operation,
                                                 ResourcePattern allowed) {
        for (AclBinding acl : acls.acls().values()) {
            AccessControlEntry entry = acl.entry();
            ResourcePattern denied = acl.pattern();
            if (denied.resourceType() != allowed.resourceType() || entry.permissionType() != AclPermissionType.DENY
                    || !principalMatches(entry.principal(), who) || !hostMatches(entry.host(), host)
                    || (entry.operation() != AclOperation.ALL && entry.operation() != operation)) {
                continue;
            }
            boolean wildcard = denied.patternType() == PatternType.LITERAL
                    && ResourcePattern.WILDCARD_RESOURCE.equals(denied.name());
            boolean sameLiteral = denied.patternType() == PatternType.LITERAL
                    && allowed.patternType() == PatternType.LITERAL && denied.name().equals(allowed.name());
            boolean prefixCovers = denied.patternType() == PatternType.PREFIXED
                    && !ResourcePattern.WILDCARD_RESOURCE.equals(allowed.name())
                    && allowed.name().startsWith(denied.name());
            if (wildcard || sameLiteral || prefixCovers) {
                return true;
            }
        }
        return false;
    }

    /** Whether an ALLOW of {@code granted} allows {@code requested}. */
    static boolean allows(AclOperation granted, AclOperation requested) {
        if (granted == AclOperation.ALL || granted == requested) {
            return true;
        }
        return requested == AclOperation.DESCRIBE && IMPLY_DESCRIBE.contains(granted)
                || requested == AclOperation.DESCRIBE_CONFIGS && granted == AclOperation.ALTER_CONFIGS;
    }

    private static boolean isSuperUser(AuthorizerSettings settings, KafkaPrincipal principal) {
        return settings.superUsers().contains(principal.toString());
    }

    private static boolean principalMatches(String aclPrincipal, String principal) {
        return aclPrincipal.equals(principal) || aclPrincipal.equals(WILDCARD_PRINCIPAL);
    }

    private static boolean hostMatches(String aclHost, String host) {
        return aclHost.equals(WILDCARD_HOST) || aclHost.equals(host);
    }
}
