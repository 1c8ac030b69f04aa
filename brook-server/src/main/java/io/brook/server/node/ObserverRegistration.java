package io.brook.server.node;

import io.brook.metadata.quorum.RaftQuorum;
import io.brook.server.controller.ForwardingControllerChannel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ControllerRegistrationRequestData;
import org.apache.kafka.common.message.ControllerRegistrationResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A controller that votes in nothing (joining a dynamic quorum, or removed from the voters) asks the active controller,
 * every {@link #INTERVAL_MS}, to make it an observer: Kafka's ControllerRegistration, answered by
 * {@code VoterChanges.addObserver}. Kafka's observers fetch the log without being known to the leader; Ratis sends it
 * only to the listeners in its configuration, so a node must ask to be one, and ask again after the active controller
 * dropped it (it was down or cut off). An observer follows the metadata log, so a combined node's broker serves before
 * the node is added as a voter, and DescribeQuorum lists it. A voter sends nothing, nor does a node whose quorum member
 * does not run (stopped after a failure, or reopening).
 *
 * <p>Thread-safety: one daemon thread.
 */
final class ObserverRegistration implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ObserverRegistration.class);
    /** How often a controller that votes in nothing asks; an observer asking again is answered at once. */
    static final long INTERVAL_MS = 3_000;

    private final int nodeId;
    private final Supplier<RaftQuorum> quorum;
    private final ForwardingControllerChannel channel;
    private final ControllerRegistrationRequestData request;
    private final ScheduledExecutorService thread;
    /** The registration in flight, or a completed one. Registration thread only. */
    private CompletableFuture<?> inFlight = CompletableFuture.completedFuture(null);
    /** The last outcome logged (NONE once accepted), so that a repeated answer is not logged again. */
    private volatile Errors lastLogged;

    /**
     * @param listenerName the controller listener, whose {@code endpoint} the leader reaches this node at (what
     *                     AddRaftVoter would name)
     */
    ObserverRegistration(int nodeId, Uuid incarnationId, String listenerName, InetSocketAddress endpoint,
                         SecurityProtocol protocol, Supplier<RaftQuorum> quorum, ForwardingControllerChannel channel) {
        this.nodeId = nodeId;
        this.quorum = quorum;
        this.channel = channel;
        this.request = new ControllerRegistrationRequestData().setControllerId(nodeId).setIncarnationId(incarnationId);
        request.listeners().add(new ControllerRegistrationRequestData.Listener().setName(listenerName)
                .setHost(endpoint.getHostString()).setPort(endpoint.getPort()).setSecurityProtocol(protocol.id));
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-observer-registration");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        thread.scheduleWithFixedDelay(this::tick, 0, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            RaftQuorum q = quorum.get();
            // a member that does not run could not take the log: the leader would retry it until the change timed out
            if (q == null || !q.isRunning() || q.voterIds().contains(nodeId) || !inFlight.isDone()) {
                return;
            }
            inFlight = channel.registerController(request).whenComplete(this::answered);
        } catch (RuntimeException e) { // a task that throws is not scheduled again
            log.warn("Controller {} could not ask to observe the metadata quorum: {}", nodeId, e.toString());
        }
    }

    private void answered(ControllerRegistrationResponseData response, Throwable failure) {
        Errors error = failure != null ? Errors.UNKNOWN_SERVER_ERROR : Errors.forCode(response.errorCode());
        if (error == lastLogged) {
            return;
        }
        lastLogged = error;
        if (error == Errors.NONE) {
            log.info("Controller {} observes the metadata quorum (it follows the log without a vote; "
                    + "kafka-metadata-quorum add-controller makes it a voter)", nodeId);
        } else {
            log.info("Controller {} asked to observe the metadata quorum and was not accepted yet ({}); asking again "
                    + "every {} ms", nodeId, failure != null ? failure.toString() : error + ": "
                    + response.errorMessage(), INTERVAL_MS);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
