package io.brook.server.replication;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ClusterImage;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * A {@link BrokerLink} to a broker known by id: it looks the broker's inter-broker endpoint up in the current
 * metadata when it connects, and again after any failure (a restarted broker may listen elsewhere).
 *
 * <p>Thread-safety: one sending thread; {@link #close} may come from another.
 */
public final class LeaderLink implements BrokerLink {
    private final int brokerId;
    private final String listenerName;
    private final Supplier<ClusterImage> cluster;
    private final BrokerClient.Factory clients;
    private final String clientId;
    private volatile BrokerClient client;
    private volatile boolean closed;

    LeaderLink(int brokerId, String listenerName, Supplier<ClusterImage> cluster, BrokerClient.Factory clients,
               String clientId) {
        this.brokerId = brokerId;
        this.listenerName = listenerName;
        this.cluster = cluster;
        this.clients = clients;
        this.clientId = clientId;
    }

    @Override
    public <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request, long timeoutMs) throws IOException {
        BrokerClient c = connected();
        try {
            return c.send(request, timeoutMs);
        } catch (IOException | RuntimeException e) {
            client = null;
            c.close();
            throw e;
        }
    }

    private BrokerClient connected() throws IOException {
        if (closed) {
            throw new IOException("the link to broker " + brokerId + " is closed");
        }
        BrokerClient c = client;
        if (c != null) {
            return c;
        }
        BrokerRegistration registration = cluster.get().broker(brokerId);
        if (registration == null) {
            throw new IOException("broker " + brokerId + " is not registered");
        }
        BrokerRegistration.Endpoint endpoint = registration.endpoints().stream()
                .filter(e -> e.name().equalsIgnoreCase(listenerName)).findFirst()
                .orElseThrow(() -> new IOException("broker " + brokerId + " has no " + listenerName + " listener"));
        c = clients.connect(brokerId, endpoint.host(), endpoint.port(), clientId);
        client = c;
        if (closed) {
            c.close();
            throw new IOException("the link to broker " + brokerId + " is closed");
        }
        return c;
    }

    @Override
    public void close() {
        closed = true;
        BrokerClient c = client;
        if (c != null) {
            c.close();
        }
    }

    /**
     * A link to broker {@code brokerId} at its inter-broker endpoint as the metadata gives it (the transaction
     * coordinator's marker sender; {@code clientId} names it in the broker's request log).
     */
    public static BrokerLink to(int brokerId, Supplier<ClusterImage> cluster, BrokerClient.Factory clients,
                                String clientId) {
        return new LeaderLink(brokerId, clients.settings().listenerName(), cluster, clients, clientId);
    }

    /** A factory of links to leaders for {@link ReplicaFetcherManager}. */
    public static ReplicaFetcherManager.LinkFactory factory(int nodeId, Supplier<ClusterImage> cluster,
                                                     BrokerClient.Factory clients) {
        String listener = clients.settings().listenerName();
        return leaderId -> new LeaderLink(leaderId, listener, cluster, clients,
                "brook-replica-fetcher-" + nodeId + "-to-" + leaderId);
    }
}
