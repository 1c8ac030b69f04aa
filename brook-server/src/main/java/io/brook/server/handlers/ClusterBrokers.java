package io.brook.server.handlers;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ClusterImage;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which brokers a client is told about, and where, from the committed cluster image (pure). A client
 * that came in on a listener is told each broker's endpoint of that listener, as Kafka answers. Only
 * registered, unfenced brokers are listed (a fenced broker is not told to clients, as in KRaft); a broker
 * in controlled shutdown is still listed until it stops. Before any broker registered (the single node,
 * which is its own cluster and does not register) the answer is this node alone.
 */
public final class ClusterBrokers {
    private ClusterBrokers() {
    }

    /** A broker as clients see it; {@code fenced} only in a listing that asked for fenced brokers. */
    public record Broker(int id, String host, int port, String rack, boolean fenced) {
        public Broker(int id, String host, int port, String rack) {
            this(id, host, port, rack, false);
        }
    }

    /**
     * The brokers to list on {@code listenerName}, by id.
     *
     * @param self this node as it advertises itself on that listener
     */
    public static List<Broker> live(ClusterImage cluster, Broker self, String listenerName) {
        return listed(cluster, self, listenerName, false);
    }

    /**
     * The brokers to list on {@code listenerName}, by id, fenced ones too (marked) when {@code includeFenced}: what
     * DescribeCluster v2+ answers to {@code IncludeFencedBrokers} (KIP-1073), so an operator sees a fenced broker.
     */
    public static List<Broker> listed(ClusterImage cluster, Broker self, String listenerName, boolean includeFenced) {
        if (cluster.brokers().isEmpty()) {
            return List.of(self);
        }
        List<Broker> brokers = new ArrayList<>();
        for (BrokerRegistration registration : cluster.brokers().values()) {
            if (includeFenced || !registration.fenced()) {
                endpoint(registration, listenerName).ifPresent(brokers::add);
            }
        }
        brokers.sort(Comparator.comparingInt(Broker::id));
        return brokers;
    }

    /**
     * Broker {@code id} on {@code listenerName} if clients may be sent to it (registered and unfenced, or
     * this node before any registration).
     */
    public static Optional<Broker> find(ClusterImage cluster, Broker self, String listenerName, int id) {
        if (cluster.brokers().isEmpty()) {
            return id == self.id() ? Optional.of(self) : Optional.empty();
        }
        BrokerRegistration registration = cluster.broker(id);
        if (registration == null || registration.fenced()) {
            return Optional.empty();
        }
        return endpoint(registration, listenerName);
    }

    /**
     * The controller id to report: the active controller when it is a listed broker (combined nodes), else the
     * lowest listed broker (clients cannot reach a controller-only node; Kafka reports a broker too).
     */
    public static int controllerId(List<Broker> live, int activeController) {
        for (Broker broker : live) {
            if (broker.id() == activeController) {
                return activeController;
            }
        }
        return live.isEmpty() ? -1 : live.get(0).id();
    }

    private static Optional<Broker> endpoint(BrokerRegistration registration, String listenerName) {
        for (BrokerRegistration.Endpoint endpoint : registration.endpoints()) {
            if (endpoint.name().equals(listenerName)) {
                return Optional.of(new Broker(registration.id(), endpoint.host(), endpoint.port(),
                        registration.rack().orElse(null), registration.fenced()));
            }
        }
        return Optional.empty();
    }

    /** This node as a listed broker on the given advertised address. */
    static Broker self(int nodeId, InetSocketAddress advertised, String rack) {
        return new Broker(nodeId, advertised.getHostString(), advertised.getPort(), rack);
    }
}
