package io.brook.server.handlers;

import io.brook.metadata.quorum.NotLeaderException;
import io.brook.metadata.quorum.QuorumException;
import io.brook.metadata.quorum.RaftQuorum;
import org.apache.kafka.common.protocol.Errors;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * KIP-853's voter changes on the active controller (AddRaftVoter, RemoveRaftVoter), checked in the order Kafka's
 * leader checks them ({@code KafkaRaftClient}, {@code AddVoterHandler}, {@code RemoveVoterHandler}) and then made with
 * Ratis's configuration change ({@link RaftQuorum#addVoter} / {@link RaftQuorum#removeVoter}):
 * <ol>
 *   <li>INCONSISTENT_CLUSTER_ID for a request of another cluster;</li>
 *   <li>NOT_LEADER_OR_FOLLOWER on a controller that does not lead (the admin client finds the active one);</li>
 *   <li>INVALID_REQUEST for an addition without an endpoint on the controller listener;</li>
 *   <li>REQUEST_TIMED_OUT while another change is in progress;</li>
 *   <li>DUPLICATE_VOTER for adding an id already voting; VOTER_NOT_FOUND for removing one that is not voting, and
 *       for removing the last voter (Kafka's voter set refuses to become empty with the same code);</li>
 *   <li>REQUEST_TIMED_OUT when the change did not commit in the request's time (a new voter that is not running
 *       cannot catch up) or Ratis refused it.</li>
 * </ol>
 *
 * <p>A removed voter that is registered as a broker (a combined node) goes on following the metadata log as a Ratis
 * listener, as Kafka's removed voter goes on as an observer: its broker keeps serving with a moving image, and it can
 * be added again while it runs. A removed controller-only node leaves the quorum (Ratis stops its member): it is
 * expected to be shut down, and a listener nobody runs would be retried by the leader for good.
 *
 * <p>Thread-safety: one change at a time per controller ({@link #inProgress}); Ratis allows one at a time too.
 */
public final class VoterChanges {
    /** The outcome of a change: Kafka's error code (NONE on success) and a message. */
    public record Outcome(Errors error, String message) {
        static Outcome ok() {
            return new Outcome(Errors.NONE, null);
        }
    }

    private final Supplier<RaftQuorum> quorum;
    private final String clusterId;
    private final String controllerListenerName;
    private final IntPredicate registeredBroker;
    private final AtomicBoolean inProgress = new AtomicBoolean();

    /**
     * @param quorum                 the controller's quorum, null while it is opening
     * @param controllerListenerName the listener whose endpoint a new voter is reached at (the first of
     *                               {@code controller.listener.names}, as Kafka's)
     * @param registeredBroker       whether a node id is registered as a broker (a combined node, when it votes):
     *                               such a node is kept as a listener once removed
     */
    public VoterChanges(Supplier<RaftQuorum> quorum, String clusterId, String controllerListenerName,
                        IntPredicate registeredBroker) {
        this.quorum = quorum;
        this.clusterId = clusterId;
        this.controllerListenerName = controllerListenerName;
        this.registeredBroker = registeredBroker;
    }

    /** AddRaftVoter: {@code endpoint} is the new voter's controller listener (null when the request names none). */
    public CompletableFuture<Outcome> add(String requestClusterId, int voterId, InetSocketAddress endpoint,
                                          long timeoutMs) {
        RaftQuorum q = quorum.get();
        Outcome refused = common(requestClusterId, q);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        if (endpoint == null) {
            return CompletableFuture.completedFuture(new Outcome(Errors.INVALID_REQUEST, "the new voter " + voterId
                    + " names no endpoint on the controller listener " + controllerListenerName));
        }
        if (inProgress.get()) {
            return CompletableFuture.completedFuture(busy());
        }
        List<Integer> voters = q.voterIds();
        if (voters.contains(voterId)) {
            return CompletableFuture.completedFuture(new Outcome(Errors.DUPLICATE_VOTER,
                    "node " + voterId + " is already a voter of the metadata quorum " + voters));
        }
        return change(() -> q.addVoter(voterId, endpoint), timeoutMs, "adding voter " + voterId);
    }

    /** RemoveRaftVoter. */
    public CompletableFuture<Outcome> remove(String requestClusterId, int voterId, long timeoutMs) {
        RaftQuorum q = quorum.get();
        Outcome refused = common(requestClusterId, q);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        if (inProgress.get()) {
            return CompletableFuture.completedFuture(busy());
        }
        List<Integer> voters = q.voterIds();
        if (!voters.contains(voterId)) {
            return CompletableFuture.completedFuture(new Outcome(Errors.VOTER_NOT_FOUND,
                    "node " + voterId + " is not a voter of the metadata quorum " + voters));
        }
        if (voters.size() == 1) {
            return CompletableFuture.completedFuture(new Outcome(Errors.VOTER_NOT_FOUND,
                    "node " + voterId + " is the last voter of the metadata quorum; it cannot be removed"));
        }
        boolean keepAsListener = registeredBroker.test(voterId);
        return change(() -> q.removeVoter(voterId, keepAsListener), timeoutMs, "removing voter " + voterId);
    }

    public String controllerListenerName() {
        return controllerListenerName;
    }

    private Outcome common(String requestClusterId, RaftQuorum q) {
        if (q == null) {
            return new Outcome(Errors.NOT_LEADER_OR_FOLLOWER, "this controller is still starting");
        }
        if (requestClusterId != null && !requestClusterId.equals(clusterId)) {
            return new Outcome(Errors.INCONSISTENT_CLUSTER_ID, "the request is for cluster " + requestClusterId
                    + ", this is cluster " + clusterId);
        }
        if (!q.isLeader()) {
            int leader = q.leaderId();
            return new Outcome(Errors.NOT_LEADER_OR_FOLLOWER, "node " + q.config().nodeId()
                    + " is not the active controller" + (leader >= 0 ? " (node " + leader + " is)" : ""));
        }
        return null;
    }

    private static Outcome busy() {
        return new Outcome(Errors.REQUEST_TIMED_OUT, "another voter change is in progress; retry once it completed");
    }

    private CompletableFuture<Outcome> change(Supplier<CompletableFuture<Void>> change, long timeoutMs, String what) {
        if (!inProgress.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(busy());
        }
        CompletableFuture<Void> started;
        try {
            started = change.get();
        } catch (RuntimeException e) {
            inProgress.set(false);
            throw e;
        }
        return started.orTimeout(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS).handle((ok, error) -> {
            inProgress.set(false);
            if (error == null) {
                return Outcome.ok();
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof NotLeaderException) {
                return new Outcome(Errors.NOT_LEADER_OR_FOLLOWER, cause.getMessage());
            }
            if (cause instanceof TimeoutException) {
                return new Outcome(Errors.REQUEST_TIMED_OUT, what + " did not complete within " + timeoutMs
                        + " ms (is the new voter running and reachable?); it may still complete");
            }
            String message = cause instanceof QuorumException ? cause.getMessage() : String.valueOf(cause);
            // Ratis refuses a change while another is in progress, and fails one the new voter never acknowledged
            return new Outcome(Errors.REQUEST_TIMED_OUT, what + " failed: " + message);
        });
    }
}
