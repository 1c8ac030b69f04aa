package io.brook.server.handlers;

import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Short forms of the questions handlers ask the node's authorizer ({@link BrokerContext#authorizer()}) before
 * acting, one per resource type; each denial is audited. Stateless.
 */
final class Access {
    private Access() {
    }

    static boolean topic(BrokerContext broker, RequestContext context, AclOperation operation, String topic) {
        return broker.authorizer().authorize(context, operation, ResourceType.TOPIC, topic);
    }

    static boolean group(BrokerContext broker, RequestContext context, AclOperation operation, String group) {
        return broker.authorizer().authorize(context, operation, ResourceType.GROUP, group);
    }

    static boolean transactionalId(BrokerContext broker, RequestContext context, AclOperation operation, String id) {
        return broker.authorizer().authorize(context, operation, ResourceType.TRANSACTIONAL_ID, id);
    }

    static boolean cluster(BrokerContext broker, RequestContext context, AclOperation operation) {
        return broker.authorizer().authorizeCluster(context, operation);
    }

    /**
     * The refusal of a config operation (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a config resource, or null when
     * allowed: a topic's configs need the operation on the topic (TOPIC_AUTHORIZATION_FAILED), a broker's or
     * its loggers' on the cluster (CLUSTER_AUTHORIZATION_FAILED), as Kafka's.
     */
    static org.apache.kafka.common.errors.ApiException configs(BrokerContext broker, RequestContext context,
                                                              AclOperation operation, byte resourceType,
                                                              String name) {
        org.apache.kafka.common.config.ConfigResource.Type type =
                org.apache.kafka.common.config.ConfigResource.Type.forId(resourceType);
        return switch (type) {
            case TOPIC -> topic(broker, context, operation, name) ? null
                    : new org.apache.kafka.common.errors.TopicAuthorizationException(
                            "Not authorized to " + operation + " topic " + name);
            case BROKER, BROKER_LOGGER -> cluster(broker, context, operation) ? null
                    : new org.apache.kafka.common.errors.ClusterAuthorizationException(
                            "Not authorized to " + operation + " on the cluster");
            default -> null;
        };
    }

    /** As {@link #group} without an audit line: for lists filtered by what may be seen. */
    static boolean groupVisible(BrokerContext broker, RequestContext context, String group) {
        return broker.authorizer().authorize(context, AclOperation.DESCRIBE, ResourceType.GROUP, group, false);
    }
}
