package io.brook.server.handlers;

import io.brook.metadata.quorum.ChangeInProgressException;
import io.brook.metadata.quorum.NotLeaderException;
import io.brook.metadata.quorum.QuorumException;
import io.brook.metadata.quorum.RaftQuorum;
import org.apache.kafka.common.protocol.Errors;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Observers (Kafka's non-voting replicas of the metadata log) are Ratis listeners here: a removed voter goes on as
 * one, as Kafka's removed voter does (a combined node's broker keeps serving with a moving image), and it can be added
 * again while it runs. A controller that votes in nothing asks the active controller to be one
 * ({@link #addObserver}, from its ControllerRegistration) until it is, so a joining controller follows the log before
 * it is added and an observer dropped while it was down or unreachable comes back. The active controller drops the
 * observers it has not heard from for a while ({@link #dropSilentObservers}): Ratis's leader would otherwise go on
 * sending the log to a node that is shut down, with a WARN every 250 ms. A registered broker's node is kept (a
 * combined node removed while it was down still believes it votes when it comes back, and asks for nothing: as a
 * listener it receives the configuration that says otherwise), until its broker is unregistered. A node whose
 * addition failed (it could not be caught up: unreachable from the leader) is not tried again for
 * {@link #OBSERVER_RETRY_BACKOFF}, so that it does not hold up the operator's changes for good.
 *
 * <p>Thread-safety: one change at a time per controller ({@link #inProgress}), observer changes included; Ratis allows
 * one at a time too.
 */
public final class VoterChanges {
    /** After a failed addition of an observer, how long the same node's next request is refused at once. */
    static final Duration OBSERVER_RETRY_BACKOFF = Duration.ofSeconds(30);
    /** Longest the sweep waits for Ratis to drop the silent observers (it holds {@link #inProgress} meanwhile). */
    private static final Duration SWEEP_TIMEOUT = Duration.ofSeconds(30);

    /**
     * The outcome of a change: Kafka's error code (NONE on success), a message, and whether it was refused only
     * because another change was in progress (here or in Ratis): nothing was tried.
     */
    public record Outcome(Errors error, String message, boolean busy) {
        public Outcome(Errors error, String message) {
            this(error, message, false);
        }

        static Outcome ok() {
            return new Outcome(Errors.NONE, null);
        }
    }

    private final Supplier<RaftQuorum> quorum;
    private final String clusterId;
    private final String controllerListenerName;
    private final AtomicBoolean inProgress = new AtomicBoolean();
    /** Node id -> when its last failed addition as an observer ended (System.nanoTime()). */
    private final Map<Integer, Long> failedObservers = new ConcurrentHashMap<>();

    /**
     * @param quorum                 the controller's quorum, null while it is opening
     * @param controllerListenerName the listener whose endpoint a new voter is reached at (the first of
     *                               {@code controller.listener.names}, as Kafka's)
     */
    public VoterChanges(Supplier<RaftQuorum> quorum, String clusterId, String controllerListenerName) {
        this.quorum = quorum;
        this.clusterId = clusterId;
        this.controllerListenerName = controllerListenerName;
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
        return change(() -> q.removeVoter(voterId, true), timeoutMs, "removing voter " + voterId);
    }

    /**
     * Makes controller {@code nodeId}, reached at {@code endpoint} (its controller listener), an observer, unless it
     * votes or observes already (NONE then, at once): what a ControllerRegistration from a node that votes in nothing
     * asks for. REQUEST_TIMED_OUT while another change runs or when Ratis could not catch the node up in time (it
     * asks again).
     */
    public CompletableFuture<Outcome> addObserver(String requestClusterId, int nodeId, InetSocketAddress endpoint,
                                                  long timeoutMs) {
        RaftQuorum q = quorum.get();
        Outcome refused = common(requestClusterId, q);
        if (refused != null) {
            return CompletableFuture.completedFuture(refused);
        }
        if (q.voterIds().contains(nodeId) || q.listenerIds().contains(nodeId)) {
            return CompletableFuture.completedFuture(Outcome.ok());
        }
        String host = endpoint.getHostString();
        if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
            return CompletableFuture.completedFuture(new Outcome(Errors.INVALID_REQUEST, "node " + nodeId
                    + " names no host the other controllers can reach on " + controllerListenerName + " ('" + host
                    + "'): set its advertised.listeners for that listener"));
        }
        Long failedAt = failedObservers.get(nodeId);
        long sinceMs = failedAt == null ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failedAt);
        if (sinceMs < OBSERVER_RETRY_BACKOFF.toMillis()) {
            return CompletableFuture.completedFuture(new Outcome(Errors.REQUEST_TIMED_OUT, "adding observer " + nodeId
                    + " failed " + sinceMs + " ms ago (is " + host + ":" + endpoint.getPort()
                    + " reachable from the active controller?); retry after " + OBSERVER_RETRY_BACKOFF.toMillis()
                    + " ms"));
        }
        return change(() -> q.addListener(nodeId, endpoint), timeoutMs, "adding observer " + nodeId)
                .thenApply(outcome -> {
                    if (outcome.error() == Errors.NONE) {
                        failedObservers.remove(nodeId);
                    } else if (!outcome.busy()) {
                        failedObservers.put(nodeId, System.nanoTime());
                    }
                    return outcome;
                });
    }

    /**
     * On the active controller: drops the observers it has not heard from for {@code quiet} (shut down, or cut off:
     * one that comes back asks again). Completes with the ids dropped; with none while another change runs.
     */
    public CompletableFuture<List<Integer>> dropSilentObservers(Duration quiet, IntPredicate registeredBroker) {
        RaftQuorum q = quorum.get();
        if (q == null || !q.isLeader()) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<Integer> silent = q.silentListeners(quiet).stream().filter(id -> !registeredBroker.test(id)).toList();
        if (silent.isEmpty() || !inProgress.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(List.of());
        }
        CompletableFuture<Void> removed;
        try {
            removed = q.removeListeners(silent);
        } catch (RuntimeException e) {
            inProgress.set(false);
            throw e;
        }
        return removed.orTimeout(SWEEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, failure) -> inProgress.set(false)).thenApply(ok -> silent);
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
        return new Outcome(Errors.REQUEST_TIMED_OUT, "another voter change is in progress; retry once it completed",
                true);
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
                        + " ms (is the node running and reachable?); it may still complete");
            }
            String message = cause instanceof QuorumException ? cause.getMessage() : String.valueOf(cause);
            // Ratis refuses a change while another is in progress, and fails one the new voter never acknowledged
            return new Outcome(Errors.REQUEST_TIMED_OUT, what + " failed: " + message,
                    cause instanceof ChangeInProgressException);
        });
    }
}
