package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * DescribeCluster on the controller listener (KIP-919, an admin client with {@code bootstrap.controllers}, Kafka's
 * {@code --bootstrap-controller}): the controllers (the quorum's current voters at their controller listeners) are
 * the "brokers" and the active controller is the controller. Only the controller endpoint type is served here, as
 * Kafka's controllers answer: anything else is MISMATCHED_ENDPOINT_TYPE.
 *
 * <p>Thread-safety: stateless; the suppliers are read per request.
 */
public final class ControllerDescribeClusterHandler implements ApiHandler<DescribeClusterRequestData> {
    /** KIP-919's endpoint type of a controller listener. */
    public static final byte CONTROLLER_ENDPOINT = 2;
    /** The first version with an endpoint type: an older request asks for brokers. */
    private static final short ENDPOINT_TYPE_VERSION = 1;

    private final String clusterId;
    private final Supplier<Map<Integer, InetSocketAddress>> voters;
    private final IntSupplier activeController;

    /**
     * @param voters           the quorum's current voters with their controller listener addresses
     * @param activeController the Raft leader's id, or -1
     */
    public ControllerDescribeClusterHandler(String clusterId, Supplier<Map<Integer, InetSocketAddress>> voters,
                                            IntSupplier activeController) {
        this.clusterId = clusterId;
        this.voters = voters;
        this.activeController = activeController;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CLUSTER;
    }

    @Override
    public short minVersion() {
        return ENDPOINT_TYPE_VERSION;
    }

    @Override
    public CompletableFuture<DescribeClusterResponseData> handle(RequestContext context,
                                                                 DescribeClusterRequestData request) {
        DescribeClusterResponseData response = new DescribeClusterResponseData().setEndpointType(CONTROLLER_ENDPOINT);
        if (request.endpointType() != CONTROLLER_ENDPOINT) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.MISMATCHED_ENDPOINT_TYPE.code())
                    .setErrorMessage("The request was sent to a controller listener; it answers for the controller "
                            + "endpoint type only (use a broker listener, --bootstrap-server, for brokers)."));
        }
        response.setClusterId(clusterId).setControllerId(activeController.getAsInt());
        voters.get().forEach((id, address) -> response.brokers().add(new DescribeClusterBroker().setBrokerId(id)
                .setHost(address.getHostString()).setPort(address.getPort())));
        return CompletableFuture.completedFuture(response);
    }
}
