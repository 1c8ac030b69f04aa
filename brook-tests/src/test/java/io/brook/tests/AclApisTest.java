package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without an authorizer, the ACL APIs answer as Kafka's do: SECURITY_DISABLED, so admin tools say ACLs
 * are off instead of "not supported by broker".
 */
@Timeout(120)
class AclApisTest {
    static final AclBinding READ_ALL = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "t", PatternType.LITERAL),
            new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));

    @TempDir
    File dataDir;

    @Test
    @Compat({"Java 4.3.1: admin: ACLs without an authorizer (SECURITY_DISABLED)",
            "Kafka tools 4.3.1: kafka-acls without an authorizer"})
    void aclApisAnswerSecurityDisabled() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            assertSecurityDisabled(() -> admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS));
            assertSecurityDisabled(() -> admin.createAcls(List.of(READ_ALL)).all().get(30, TimeUnit.SECONDS));
            assertSecurityDisabled(() -> admin.deleteAcls(List.of(AclBindingFilter.ANY)).all().get(30, TimeUnit.SECONDS));

            ProcessBuilder acls = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
                    "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.AclCommand",
                    "--bootstrap-server", brook.bootstrap(), "--list");
            Processes.Output listed = Processes.exec(acls, null, Duration.ofSeconds(60));
            assertNotEquals(0, listed.exitCode(), listed.all());
            assertTrue(listed.all().contains("No Authorizer is configured"), listed.all());
        }
    }

    private static void assertSecurityDisabled(org.junit.jupiter.api.function.Executable call) {
        ExecutionException failed = assertThrows(ExecutionException.class, call);
        assertInstanceOf(SecurityDisabledException.class, failed.getCause(), failed.toString());
        assertEquals("No Authorizer is configured.", failed.getCause().getMessage());
    }
}
