package io.brook.server.handlers;

import org.apache.kafka.common.protocol.Errors;

/**
 * What the ACL APIs answer while no authorizer is configured, as Kafka answers them: SECURITY_DISABLED
 * with Kafka's message, so admin tools report that ACLs are off rather than that the API is missing.
 */
final class NoAuthorizer {
    static final Errors ERROR = Errors.SECURITY_DISABLED;
    static final String MESSAGE = "No Authorizer is configured.";

    private NoAuthorizer() {
    }
}
