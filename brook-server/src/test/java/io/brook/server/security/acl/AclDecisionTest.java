package io.brook.server.security.acl;

import io.brook.metadata.image.AclsImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.ALTER;
import static org.apache.kafka.common.acl.AclOperation.ALTER_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DELETE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.acl.AclPermissionType.ALLOW;
import static org.apache.kafka.common.acl.AclPermissionType.DENY;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka's StandardAuthorizer semantics, case by case. */
@Timeout(30)
class AclDecisionTest {
    static final KafkaPrincipal ALICE = new KafkaPrincipal("User", "alice");
    static final KafkaPrincipal BOB = new KafkaPrincipal("User", "bob");
    static final String HOST = "10.0.0.1";
    static final AuthorizerSettings ON = AuthorizerSettings.parse(AuthorizerSettings.STANDARD_AUTHORIZER,
            "User:admin", false);

    static AclBinding acl(ResourceType type, String name, PatternType pattern, String principal, String host,
                          AclOperation op, AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, host, op, permission));
    }

    static AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation op) {
        return acl(type, name, pattern, "User:alice", "*", op, ALLOW);
    }

    static AclsImage acls(AclBinding... bindings) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        long id = 1;
        for (AclBinding binding : bindings) {
            records.add(MetadataRecords.acl(new Uuid(0, id++), binding));
        }
        return MetadataImage.EMPTY.apply(records, records.size()).acls();
    }

    static boolean may(AclsImage acls, AuthorizerSettings settings, KafkaPrincipal who, AclOperation op,
                       ResourceType type, String name) {
        return AclDecision.authorize(acls, settings, who, HOST, op, type, name);
    }

    static boolean may(AclsImage acls, KafkaPrincipal who, AclOperation op, ResourceType type, String name) {
        return may(acls, ON, who, op, type, name);
    }

    @Test
    void aLiteralAllowGivesItsOperationAndTheImpliedDescribeOnly() {
        AclsImage acls = acls(allow(TOPIC, "orders", LITERAL, READ));
        assertTrue(may(acls, ALICE, READ, TOPIC, "orders"));
        assertTrue(may(acls, ALICE, DESCRIBE, TOPIC, "orders"));
        assertFalse(may(acls, ALICE, WRITE, TOPIC, "orders"));
        assertFalse(may(acls, ALICE, READ, TOPIC, "orders2"));
        assertFalse(may(acls, BOB, READ, TOPIC, "orders"));
        assertFalse(may(acls, ALICE, READ, GROUP, "orders"), "resource types are apart");
    }

    @Test
    void implicationsAreKafkas() {
        for (AclOperation implying : List.of(READ, WRITE, DELETE, ALTER)) {
            assertTrue(may(acls(allow(TOPIC, "t", LITERAL, implying)), ALICE, DESCRIBE, TOPIC, "t"), implying.name());
        }
        assertFalse(may(acls(allow(TOPIC, "t", LITERAL, CREATE)), ALICE, DESCRIBE, TOPIC, "t"));
        assertTrue(may(acls(allow(TOPIC, "t", LITERAL, ALTER_CONFIGS)), ALICE, DESCRIBE_CONFIGS, TOPIC, "t"));
        assertFalse(may(acls(allow(TOPIC, "t", LITERAL, DESCRIBE_CONFIGS)), ALICE, ALTER_CONFIGS, TOPIC, "t"));
        assertFalse(may(acls(allow(TOPIC, "t", LITERAL, DESCRIBE)), ALICE, READ, TOPIC, "t"));
        AclsImage all = acls(allow(TOPIC, "t", LITERAL, ALL));
        for (AclOperation op : List.of(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS)) {
            assertTrue(may(all, ALICE, op, TOPIC, "t"), op.name());
        }
    }

    @Test
    void denyWinsAndIsNotImplied() {
        AclsImage acls = acls(allow(TOPIC, "*", LITERAL, ALL),
                acl(TOPIC, "secret", PREFIXED, "User:alice", "*", READ, DENY));
        assertTrue(may(acls, ALICE, READ, TOPIC, "public"));
        assertFalse(may(acls, ALICE, READ, TOPIC, "secret-1"));
        assertTrue(may(acls, ALICE, DESCRIBE, TOPIC, "secret-1"), "a DENY of READ does not deny DESCRIBE");
        AclsImage denyAll = acls(allow(TOPIC, "t", LITERAL, READ), acl(TOPIC, "*", LITERAL, "User:*", "*", ALL, DENY));
        assertFalse(may(denyAll, ALICE, READ, TOPIC, "t"));
        assertFalse(may(denyAll, ALICE, DESCRIBE, TOPIC, "t"));
    }

    @Test
    void prefixedPatternsCoverNamesThatStartWithThem() {
        AclsImage acls = acls(allow(TOPIC, "app-", PREFIXED, WRITE));
        assertTrue(may(acls, ALICE, WRITE, TOPIC, "app-"));
        assertTrue(may(acls, ALICE, WRITE, TOPIC, "app-orders"));
        assertFalse(may(acls, ALICE, WRITE, TOPIC, "app"));
        assertFalse(may(acls, ALICE, WRITE, TOPIC, "other-app-orders"));
    }

    @Test
    void wildcardPrincipalAndHostsMatchAsKafkas() {
        AclsImage anyone = acls(acl(TOPIC, "t", LITERAL, "User:*", "*", READ, ALLOW));
        assertTrue(may(anyone, BOB, READ, TOPIC, "t"));
        assertTrue(may(anyone, KafkaPrincipal.ANONYMOUS, READ, TOPIC, "t"));
        AclsImage fromHost = acls(acl(TOPIC, "t", LITERAL, "User:alice", HOST, READ, ALLOW));
        assertTrue(may(fromHost, ALICE, READ, TOPIC, "t"));
        assertFalse(AclDecision.authorize(fromHost, ON, ALICE, "10.0.0.2", READ, TOPIC, "t"));
    }

    @Test
    void superUsersAndResourcesWithoutAcls() {
        AclsImage acls = acls(allow(TOPIC, "t", LITERAL, READ));
        assertTrue(may(acls, new KafkaPrincipal("User", "admin"), DELETE, TOPIC, "t"));
        assertFalse(may(acls, ALICE, READ, TOPIC, "no-acl"), "allow.everyone.if.no.acl.found defaults to false");
        AuthorizerSettings open = AuthorizerSettings.parse(AuthorizerSettings.STANDARD_AUTHORIZER, "", true);
        assertTrue(may(acls, open, BOB, DELETE, TOPIC, "no-acl"), "no ACL names it: open to everyone");
        assertFalse(may(acls, open, BOB, READ, TOPIC, "t"), "an ACL names it (for someone else): closed");
        assertTrue(may(acls, AuthorizerSettings.DISABLED, BOB, DELETE, TOPIC, "t"), "no authorizer: all allowed");
    }

    @Test
    void authorizeAnyLooksForAnAllowNoDenyShadows() {
        assertTrue(AclDecision.authorizeAny(acls(allow(TOPIC, "a-", PREFIXED, WRITE)), ON, ALICE, HOST, WRITE, TOPIC));
        assertFalse(AclDecision.authorizeAny(acls(allow(TOPIC, "a-", PREFIXED, READ)), ON, ALICE, HOST, WRITE, TOPIC));
        assertFalse(AclDecision.authorizeAny(acls(allow(TOPIC, "a-x", LITERAL, WRITE),
                acl(TOPIC, "a-", PREFIXED, "User:alice", "*", WRITE, DENY)), ON, ALICE, HOST, WRITE, TOPIC));
        assertTrue(AclDecision.authorizeAny(acls(allow(TOPIC, "a-x", LITERAL, WRITE),
                acl(TOPIC, "b-", PREFIXED, "User:alice", "*", WRITE, DENY)), ON, ALICE, HOST, WRITE, TOPIC));
        assertFalse(AclDecision.authorizeAny(acls(), ON, ALICE, HOST, WRITE, TOPIC));
    }

    @Test
    void settingsAreReadAsKafkas() {
        assertFalse(AuthorizerSettings.parse("", "User:a", true).enabled());
        AuthorizerSettings settings = AuthorizerSettings.parse(AuthorizerSettings.STANDARD_AUTHORIZER,
                " User:a ; User:b;", false);
        assertEquals(Set.of("User:a", "User:b"), settings.superUsers());
        assertThrows(ConfigException.class, () -> AuthorizerSettings.parse("kafka.security.authorizer.AclAuthorizer",
                "", false));
        assertThrows(ConfigException.class, () -> AuthorizerSettings.parse(AuthorizerSettings.STANDARD_AUTHORIZER,
                "alice", false));
    }
}
