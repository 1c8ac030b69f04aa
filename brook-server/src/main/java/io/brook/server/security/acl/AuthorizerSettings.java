package io.brook.server.security.acl;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.SecurityUtils;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Kafka's authorizer settings as Brook honours them: {@code authorizer.class.name} (Kafka's
 * {@value #STANDARD_AUTHORIZER} turns ACLs on, empty leaves them off), {@code super.users}
 * ({@code User:a;User:b}: principals every operation is allowed to) and
 * {@code allow.everyone.if.no.acl.found} (whether a resource no ACL names is open to everyone).
 *
 * @param enabled whether operations are authorized at all (off: everything is allowed and the ACL APIs
 *                answer SECURITY_DISABLED)
 */
public record AuthorizerSettings(boolean enabled, Set<String> superUsers, boolean allowEveryoneIfNoAclFound) {
    /** The class name of Kafka's KRaft authorizer, whose semantics Brook's follow. */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    public static final AuthorizerSettings DISABLED = new AuthorizerSettings(false, Set.of(), false);

    public AuthorizerSettings {
        superUsers = Set.copyOf(superUsers);
    }

    /** Reads the three settings; a class other than Kafka's StandardAuthorizer or a bad principal is refused. */
    public static AuthorizerSettings parse(String className, String superUsers, boolean allowEveryoneIfNoAclFound) {
        String name = className == null ? "" : className.trim();
        if (name.isEmpty()) {
            return DISABLED;
        }
        if (!name.equals(STANDARD_AUTHORIZER)) {
            throw new ConfigException("authorizer.class.name", className, "Brook's authorizer has the semantics of "
                    + "Kafka's " + STANDARD_AUTHORIZER + "; set that name (ACLs in the metadata log) or leave it "
                    + "empty (no authorization)");
        }
        Set<String> users = new LinkedHashSet<>();
        if (superUsers != null) {
            for (String raw : superUsers.split(";")) {
                String user = raw.trim();
                if (user.isEmpty()) {
                    continue;
                }
                try {
                    users.add(SecurityUtils.parseKafkaPrincipal(user).toString());
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("super.users", superUsers, "'" + user + "' is not a principal: "
                            + "give TYPE:NAME entries separated by ';', for example User:admin;User:ops");
                }
            }
        }
        return new AuthorizerSettings(true, users, allowEveryoneIfNoAclFound);
    }
}
