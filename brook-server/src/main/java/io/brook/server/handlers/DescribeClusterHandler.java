package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeCluster: the registered, unfenced brokers (this node alone before any registered) and a controller id;
 * from v2, with {@code IncludeFencedBrokers}, the fenced ones too, marked {@code IsFenced} (KIP-1073).
 */
public final class DescribeClusterHandler implements ApiHandler<DescribeClusterRequestData> {
    /** Endpoint type of a broker listener (KIP-919); 2 is a controller listener. */
    private static final byte BROKER_ENDPOINT = 1;

    private final BrokerContext broker;

    public DescribeClusterHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CLUSTER;
    }

    @Override
    public CompletableFuture<DescribeClusterResponseData> handle(RequestContext context,
                                                                 DescribeClusterRequestData request) {
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setEndpointType(BROKER_ENDPOINT);
        if (context.apiVersion() >= 1 && request.endpointType() != BROKER_ENDPOINT) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Brook only serves the broker endpoint type on this listener."));
        }
        List<ClusterBrokers.Broker> live = broker.liveBrokers(context.listenerName());
        response.setClusterId(broker.clusterId()).setControllerId(broker.controllerId(live));
        boolean includeFenced = context.apiVersion() >= 2 && request.includeFencedBrokers();
        for (ClusterBrokers.Broker b : includeFenced ? broker.listedBrokers(context.listenerName(), true) : live) {
            response.brokers().add(new DescribeClusterBroker().setBrokerId(b.id()).setHost(b.host())
                    .setPort(b.port()).setRack(b.rack()).setIsFenced(b.fenced()));
        }
        return CompletableFuture.completedFuture(response);
    }
}
