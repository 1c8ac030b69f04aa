package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * FindCoordinator, single (v0-3) and batched (v4+): on one node the coordinator of every group
 * and every transactional id is this node. Share-group keys (type 2) are not served.
 */
public final class FindCoordinatorHandler implements ApiHandler<FindCoordinatorRequestData> {
    private static final short BATCHED_VERSION = 4;

    private final BrokerContext broker;

    public FindCoordinatorHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FIND_COORDINATOR;
    }

    @Override
    public CompletableFuture<FindCoordinatorResponseData> handle(RequestContext context,
                                                                 FindCoordinatorRequestData request) {
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (context.apiVersion() >= BATCHED_VERSION) {
            for (String key : request.coordinatorKeys()) {
                response.coordinators().add(find(key, request.keyType(), context));
            }
        } else {
            Coordinator c = find(request.key(), request.keyType(), context);
            response.setErrorCode(c.errorCode()).setNodeId(c.nodeId()).setHost(c.host()).setPort(c.port());
            if (context.apiVersion() >= 1) {
                response.setErrorMessage(c.errorMessage());
            }
        }
        return CompletableFuture.completedFuture(response);
    }

    private Coordinator find(String key, byte keyType, RequestContext context) {
        Coordinator c = new Coordinator().setKey(key).setNodeId(-1).setHost("").setPort(-1);
        if (keyType != CoordinatorType.GROUP.id() && keyType != CoordinatorType.TRANSACTION.id()) {
            return c.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(
                    "Brook serves group and transaction coordinators; coordinator key type " + keyType
                            + " is not served.");
        }
        if (key == null || key.isEmpty()) {
            return c.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(
                    keyType == CoordinatorType.GROUP.id() ? "The group id is empty." : "The transactional id is empty.");
        }
        CoordinatorType type = CoordinatorType.forId(keyType);
        int node = broker.coordinatorNode(key, type);
        if (node < 0) { // in a cluster, the first lookup creates the internal topic
            broker.coordinatorTopics().createIfAbsent(type, broker.replicas().image());
        }
        Optional<ClusterBrokers.Broker> coordinator = node < 0 ? Optional.empty()
                : broker.broker(node, context.listenerName());
        if (coordinator.isEmpty()) { // its partition has no leader, or the leader is fenced: retriable
            return c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setErrorMessage("The coordinator of "
                    + key + " is not available: the leader of its partition is not serving.");
        }
        return c.setNodeId(node).setHost(coordinator.get().host()).setPort(coordinator.get().port())
                .setErrorCode(Errors.NONE.code());
    }
}
