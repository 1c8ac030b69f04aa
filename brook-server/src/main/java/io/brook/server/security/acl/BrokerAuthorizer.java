package io.brook.server.security.acl;

import io.brook.metadata.image.AclsImage;
import io.brook.server.api.RequestContext;
import io.brook.server.security.AuditLog;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;

import java.util.function.Supplier;

/**
 * The authorizer request handlers ask before acting: {@link AclDecision} over the ACLs of the node's latest
 * metadata image, for the principal and client address of a request, with one audit line
 * ({@link DenialLog}) per denial, and one in the security audit log ({@link AuditLog}). With the authorizer off every question is answered yes.
 *
 * <p>Thread-safety: safe for concurrent use; each question reads the image current at the time.
 */
public final class BrokerAuthorizer {
    /** The name of the cluster resource, as Kafka names it. */
    public static final String CLUSTER = "kafka-cluster";

    private final AuthorizerSettings settings;
    private final Supplier<AclsImage> acls;
    private final DenialLog denials;
    /** The security audit log denials also go to, or null. */
    private final AuditLog auditLog;

    public BrokerAuthorizer(AuthorizerSettings settings, Supplier<AclsImage> acls, DenialLog denials) {
        this(settings, acls, denials, null);
    }

    /** @param audit the security audit log a denial is also written to (null for none) */
    public BrokerAuthorizer(AuthorizerSettings settings, Supplier<AclsImage> acls, DenialLog denials,
                            AuditLog audit) {
        this.settings = settings;
        this.acls = acls;
        this.denials = denials;
        this.auditLog = audit;
    }

    /** An authorizer that allows everything (no authorizer configured). */
    public static BrokerAuthorizer disabled() {
        return new BrokerAuthorizer(AuthorizerSettings.DISABLED, () -> AclsImage.EMPTY,
                new DenialLog(System::currentTimeMillis));
    }

    /** Whether an authorizer is configured (the ACL APIs answer SECURITY_DISABLED when not). */
    public boolean enabled() {
        return settings.enabled();
    }

    /** The current ACLs. */
    public AclsImage acls() {
        return acls.get();
    }

    /** Whether the request's principal may perform {@code operation} on the resource; a denial is audited. */
    public boolean authorize(RequestContext context, AclOperation operation, ResourceType type, String name) {
        return authorize(context, operation, type, name, true);
    }

    /**
     * As {@link #authorize(RequestContext, AclOperation, ResourceType, String)}; with {@code audit} false a
     * denial is not logged (Kafka's {@code logIfDenied = false}: for lists filtered by what may be seen, where a
     * left-out entry is not a refusal).
     */
    public boolean authorize(RequestContext context, AclOperation operation, ResourceType type, String name,
                             boolean audit) {
        if (!settings.enabled()) {
            return true;
        }
        String host = host(context);
        boolean allowed = AclDecision.authorize(acls.get(), settings, context.principal(), host, operation, type,
                name);
        if (!allowed && audit) {
            denials.denied(context.principal().toString(), host, operation.name(), type.name(), name,
                    context.header().apiKey().name());
            if (auditLog != null) {
                auditLog.denied(context.listenerName(), host, context.principal().toString(), null, operation.name()
                        + " on " + type.name() + " \"" + name + "\" (" + context.header().apiKey().name() + ")");
            }
        }
        return allowed;
    }

    /** Whether the principal may perform {@code operation} on the cluster. */
    public boolean authorizeCluster(RequestContext context, AclOperation operation) {
        return authorize(context, operation, ResourceType.CLUSTER, CLUSTER);
    }

    /** Whether the principal may perform {@code operation} on some resource of {@code type} (not audited). */
    public boolean authorizeAny(RequestContext context, AclOperation operation, ResourceType type) {
        return !settings.enabled() || AclDecision.authorizeAny(acls.get(), settings, context.principal(),
                host(context), operation, type);
    }

    private static String host(RequestContext context) {
        return context.clientAddress() == null ? "" : context.clientAddress().getHostAddress();
    }
}
