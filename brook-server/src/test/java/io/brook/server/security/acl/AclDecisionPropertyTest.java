package io.brook.server.security.acl;

import io.brook.metadata.image.AclsImage;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

import java.util.ArrayList;
import java.util.List;

import static io.brook.server.security.acl.AclDecisionTest.HOST;
import static io.brook.server.security.acl.AclDecisionTest.ON;
import static io.brook.server.security.acl.AclDecisionTest.acl;
import static io.brook.server.security.acl.AclDecisionTest.acls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over random ACL sets: the decision equals a brute-force reading of Kafka's rules over every ACL (no index),
 * a covering DENY always wins, and an added ALLOW never takes a permission away.
 */
class AclDecisionPropertyTest {
    private static final List<String> NAMES = List.of("a", "ab", "abc", "b", "*");
    private static final List<String> PRINCIPALS = List.of("User:alice", "User:bob", "User:*");
    private static final List<AclOperation> OPS = List.of(AclOperation.ALL, AclOperation.READ, AclOperation.WRITE,
            AclOperation.DESCRIBE, AclOperation.ALTER_CONFIGS, AclOperation.DESCRIBE_CONFIGS, AclOperation.DELETE);

    @Provide
    Arbitrary<AclBinding> bindings() {
        return Combinators.combine(Arbitraries.of(ResourceType.TOPIC, ResourceType.GROUP), Arbitraries.of(NAMES),
                Arbitraries.of(PatternType.LITERAL, PatternType.PREFIXED), Arbitraries.of(PRINCIPALS),
                Arbitraries.of("*", HOST, "10.9.9.9"), Arbitraries.of(OPS),
                Arbitraries.of(AclPermissionType.ALLOW, AclPermissionType.DENY))
                .as((type, name, pattern, principal, host, op, permission) ->
                        acl(type, name, pattern, principal, host, op, permission));
    }

    @Provide
    Arbitrary<List<AclBinding>> bindingLists() {
        return bindings().list().ofMaxSize(10);
    }

    /** Kafka's rules read literally, over every ACL. */
    private static boolean model(List<AclBinding> all, boolean allowIfNone, String who, AclOperation op,
                                 ResourceType type, String name) {
        boolean covered = false;
        boolean allowed = false;
        for (AclBinding b : all) {
            boolean covers = b.pattern().resourceType() == type && (b.pattern().patternType() == PatternType.LITERAL
                    ? b.pattern().name().equals(name) || b.pattern().name().equals("*")
                    : name.startsWith(b.pattern().name()));
            if (!covers) {
                continue;
            }
            covered = true;
            boolean applies = (b.entry().principal().equals(who) || b.entry().principal().equals("User:*"))
                    && (b.entry().host().equals("*") || b.entry().host().equals(HOST));
            if (!applies) {
                continue;
            }
            AclOperation granted = b.entry().operation();
            if (b.entry().permissionType() == AclPermissionType.DENY) {
                if (granted == AclOperation.ALL || granted == op) {
                    return false;
                }
            } else if (AclDecision.allows(granted, op)) {
                allowed = true;
            }
        }
        return allowed || (!covered && allowIfNone);
    }

    @Property(tries = 300)
    void decisionEqualsTheBruteForceReading(@ForAll("bindingLists") List<AclBinding> all,
                                            @ForAll boolean allowIfNone,
                                            @ForAll("names") String name) {
        AclsImage image = acls(all.stream().distinct().toArray(AclBinding[]::new));
        AuthorizerSettings settings = AuthorizerSettings.parse(AuthorizerSettings.STANDARD_AUTHORIZER, "",
                allowIfNone);
        for (String who : List.of("User:alice", "User:bob")) {
            KafkaPrincipal principal = new KafkaPrincipal("User", who.substring(5));
            for (AclOperation op : OPS.subList(1, OPS.size())) {
                for (ResourceType type : List.of(ResourceType.TOPIC, ResourceType.GROUP)) {
                    assertEquals(model(all, allowIfNone, who, op, type, name),
                            AclDecision.authorize(image, settings, principal, HOST, op, type, name),
                            who + " " + op + " " + type + ":" + name + " over " + all);
                }
            }
        }
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("a", "ab", "abc", "abcd", "b", "c");
    }

    @Property(tries = 200)
    void aCoveringDenyWinsAndAnAllowNeverTakesAway(@ForAll("bindingLists") List<AclBinding> all,
                                                   @ForAll("bindings") AclBinding added,
                                                   @ForAll("names") String name) {
        AclsImage before = acls(all.stream().distinct().toArray(AclBinding[]::new));
        KafkaPrincipal alice = AclDecisionTest.ALICE;
        List<AclBinding> withDeny = new ArrayList<>(all);
        AclBinding deny = acl(ResourceType.TOPIC, name, PatternType.LITERAL, "User:alice", "*", AclOperation.READ,
                AclPermissionType.DENY);
        withDeny.add(deny);
        assertFalse(AclDecision.authorize(acls(withDeny.stream().distinct().toArray(AclBinding[]::new)), ON, alice,
                HOST, AclOperation.READ, ResourceType.TOPIC, name));

        if (added.entry().permissionType() == AclPermissionType.ALLOW) {
            List<AclBinding> more = new ArrayList<>(all);
            more.add(added);
            AclsImage after = acls(more.stream().distinct().toArray(AclBinding[]::new));
            for (AclOperation op : OPS.subList(1, OPS.size())) {
                if (AclDecision.authorize(before, ON, alice, HOST, op, ResourceType.TOPIC, name)) {
                    assertTrue(AclDecision.authorize(after, ON, alice, HOST, op, ResourceType.TOPIC, name));
                }
            }
        }
    }
}
