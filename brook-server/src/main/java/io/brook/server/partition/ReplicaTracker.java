package io.brook.server.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * What a partition's leader knows of its followers, and the decisions Kafka's leader takes from it: how far the
 * high watermark may move, which in-sync replicas fell behind, which followers caught up. Pure: the caller passes
 * the clock, the leader's log end and which brokers may join the ISR, and sends what it proposes to the controller.
 *
 * <p>Rules (Kafka's {@code Partition} and {@code Replica}, KIP-497):
 * <ul>
 *   <li>A follower's log end is the offset it fetched from last (it has everything below it). It is unknown
 *       ({@link #UNKNOWN}) from the moment this node became leader until the follower's first fetch, so a new
 *       leader cannot move the high watermark past what its followers hold.</li>
 *   <li>A follower is caught up when its log end equals the leader's, or it was at the leader's log end as of some
 *       fetch within {@code replica.lag.time.max.ms}: a fetch at or past the leader's end at the previous fetch
 *       means it was caught up at that previous fetch's time.</li>
 *   <li>The high watermark bound is the smallest log end over the <em>maximal</em> ISR (the committed ISR plus
 *       a member a pending change adds; a member a pending change removes still counts until the controller
 *       agrees), and over the caught-up eligible replicas outside it, which are about to join.</li>
 *   <li>One ISR change is in flight at a time. Shrink: the ISR without the members not caught up. Expand: plus
 *       a follower whose log end reached the high watermark and this leader's epoch start, if eligible.</li>
 * </ul>
 *
 * <p>Thread-safety: none; the owning {@link Partition} calls it under its watermark lock.
 */
final class ReplicaTracker {
    /** A follower's log end before its first fetch to this leader. */
    static final long UNKNOWN = -1;
    /** The last caught-up time of a replica added by a reassignment, before it fetched (far enough to never lag less). */
    private static final long NEVER = Long.MIN_VALUE / 4;
    /** How long after a refused ISR change the next one may be proposed, and an unanswered one is sent again. */
    static final long PROPOSAL_RETRY_MS = 500;

    private final int leaderId;
    private List<Integer> replicas;
    private final Map<Integer, Follower> followers = new HashMap<>();
    private List<Integer> isr;
    /** The ISR sent to the controller and not yet answered or applied; null when none is in flight. */
    private List<Integer> pendingIsr;
    /** No proposal before this time (a refused change is not retried at every fetch). */
    private long retryAfterMs;
    /** When the change in flight, whose answer never came, is sent again; {@link Long#MAX_VALUE} while none waits. */
    private long resendAtMs = Long.MAX_VALUE;
    /** The broker epoch of each follower in the change in flight when it was proposed (a resend names the same). */
    private Map<Integer, Long> pendingEpochs = Map.of();

    private static final class Follower {
        long logEnd = UNKNOWN;
        long lastCaughtUpMs;
        long lastFetchMs;
        long leaderLogEndAtLastFetch = UNKNOWN;
        long brokerEpoch = -1;
    }

    ReplicaTracker(int leaderId, List<Integer> replicas, List<Integer> isr, long nowMs) {
        this.leaderId = leaderId;
        this.replicas = List.copyOf(replicas);
        this.isr = List.copyOf(isr);
        for (int replica : replicas) {
            if (replica != leaderId) {
                Follower f = new Follower();
                // an in-sync follower keeps a full lag period to fetch from its new leader before it counts as behind
                f.lastCaughtUpMs = isr.contains(replica) ? nowMs : 0;
                followers.put(replica, f);
            }
        }
    }

    /**
     * The replicas changed within this leader epoch (a reassignment added replicas, KIP-455): a new replica is a
     * follower unknown until it fetches and, not being in the ISR, counts for the high watermark only once caught up
     * and eligible, as any follower outside the ISR; it joins the ISR through {@link #expandProposal}. A replica no
     * longer listed stops counting. (Replicas are only removed with a new leader epoch, which starts a new tracker.)
     */
    void replicasChanged(List<Integer> newReplicas) {
        this.replicas = List.copyOf(newReplicas);
        for (int replica : newReplicas) {
            if (replica != leaderId) {
                followers.computeIfAbsent(replica, id -> {
                    Follower added = new Follower();
                    added.lastCaughtUpMs = NEVER; // whatever the clock's origin: not caught up before a fetch
                    return added;
                });
            }
        }
        followers.keySet().retainAll(newReplicas);
    }

    /**
     * Records a follower's fetch from {@code fetchOffset}, made when the leader's log ended at {@code leaderLogEnd}.
     * False, and nothing recorded, when the fetch carries an older broker epoch than one the follower fetched with
     * before (a fetch from the replica's previous incarnation, as Kafka fences it), or {@code replica} is no follower.
     */
    boolean onFollowerFetch(int replica, long fetchOffset, long leaderLogEnd, long nowMs, long brokerEpoch) {
        Follower f = followers.get(replica);
        if (f == null || (brokerEpoch != -1 && brokerEpoch < f.brokerEpoch)) {
            return false;
        }
        if (fetchOffset >= leaderLogEnd) {
            f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
        } else if (f.leaderLogEndAtLastFetch != UNKNOWN && fetchOffset >= f.leaderLogEndAtLastFetch) {
            f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
        }
        f.logEnd = fetchOffset;
        f.lastFetchMs = nowMs;
        f.leaderLogEndAtLastFetch = leaderLogEnd;
        f.brokerEpoch = brokerEpoch;
        return true;
    }

    boolean isReplica(int id) {
        return id == leaderId || followers.containsKey(id);
    }

    /** The offset below which every replica that counts for the high watermark holds the log; see the class note. */
    long highWatermarkBound(long leaderLogEnd, long nowMs, long lagMs, IntPredicate eligible) {
        long bound = leaderLogEnd;
        Set<Integer> maximal = maximalIsr();
        for (Map.Entry<Integer, Follower> e : followers.entrySet()) {
            int id = e.getKey();
            Follower f = e.getValue();
            boolean counts = maximal.contains(id)
                    || (eligible.test(id) && caughtUp(f, leaderLogEnd, nowMs, lagMs));
            if (counts) {
                bound = Math.min(bound, f.logEnd);
            }
        }
        return bound;
    }

    /** The committed ISR plus what a pending change adds (what it removes still counts). */
    Set<Integer> maximalIsr() {
        Set<Integer> maximal = new LinkedHashSet<>(isr);
        if (pendingIsr != null) {
            maximal.addAll(pendingIsr);
        }
        return maximal;
    }

    /** The ISR without its members that are not caught up, or null when all are or a change is in flight. */
    List<Integer> shrinkProposal(long leaderLogEnd, long nowMs, long lagMs) {
        if (pendingIsr != null || nowMs < retryAfterMs) {
            return null;
        }
        List<Integer> kept = new ArrayList<>(isr.size());
        for (int id : isr) {
            Follower f = followers.get(id);
            if (id == leaderId || (f != null && caughtUp(f, leaderLogEnd, nowMs, lagMs))) {
                kept.add(id);
            }
        }
        return kept.size() == isr.size() ? null : kept;
    }

    /**
     * The ISR plus {@code replica} when it has caught up to {@code highWatermark} and to {@code epochStartOffset}
     * (the leader's first offset in its epoch) and may join; null otherwise or while a change is in flight.
     */
    List<Integer> expandProposal(int replica, long highWatermark, long epochStartOffset, IntPredicate eligible,
                                 long nowMs) {
        Follower f = followers.get(replica);
        if (pendingIsr != null || nowMs < retryAfterMs || f == null || isr.contains(replica) || !eligible.test(replica)
                || f.logEnd == UNKNOWN || f.logEnd < highWatermark || f.logEnd < epochStartOffset) {
            return null;
        }
        List<Integer> expanded = new ArrayList<>(isr);
        expanded.add(replica);
        return expanded;
    }

    /**
     * The broker epoch a follower fetched with last (-1 before its first fetch); for a member of the change in flight,
     * the one it had when the change was proposed, so that a change sent again never names a later incarnation of a
     * replica (which may have restarted with less) than the one that caught up (KIP-903).
     */
    long brokerEpoch(int replica) {
        Long proposed = pendingIsr == null ? null : pendingEpochs.get(replica);
        if (proposed != null) {
            return proposed;
        }
        Follower f = followers.get(replica);
        return f == null ? -1 : f.brokerEpoch;
    }

    void proposed(List<Integer> newIsr) {
        Map<Integer, Long> epochs = new HashMap<>();
        for (int id : newIsr) {
            Follower f = followers.get(id);
            if (f != null) {
                epochs.put(id, f.brokerEpoch);
            }
        }
        this.pendingIsr = List.copyOf(newIsr);
        this.pendingEpochs = epochs;
        this.resendAtMs = Long.MAX_VALUE;
    }

    /** The controller refused the change, or it was not sent: a check after {@link #PROPOSAL_RETRY_MS} may propose again. */
    void proposalFailed(long nowMs) {
        this.pendingIsr = null;
        this.resendAtMs = Long.MAX_VALUE;
        this.retryAfterMs = nowMs + PROPOSAL_RETRY_MS;
    }

    /**
     * The change in flight got no answer (a timeout, a lost connection, a controller failing over): the controller
     * may have applied it. It stays in flight, so what it adds keeps counting for the high watermark (a member the
     * controller may list in the ISR must hold everything below it), and {@link #resendDue} gives it to be sent again,
     * as Kafka's AlterPartitionManager retries, until an answer or the metadata settles it.
     */
    void proposalUnanswered(long nowMs) {
        this.resendAtMs = nowMs + PROPOSAL_RETRY_MS;
    }

    /** The unanswered change in flight, once it is due to be sent again (and then not again until unanswered). */
    List<Integer> resendDue(long nowMs) {
        if (pendingIsr == null || nowMs < resendAtMs) {
            return null;
        }
        resendAtMs = Long.MAX_VALUE;
        return pendingIsr;
    }

    /** The metadata's ISR for this leader's epoch; it ends any change in flight (applied, or overtaken). */
    void committed(List<Integer> newIsr) {
        this.isr = List.copyOf(newIsr);
        this.pendingIsr = null;
        this.resendAtMs = Long.MAX_VALUE;
    }

    List<Integer> isr() {
        return isr;
    }

    /** Whether {@code proposal} is the change in flight. */
    boolean isPending(List<Integer> proposal) {
        return pendingIsr != null && pendingIsr.equals(proposal);
    }

    List<Integer> replicas() {
        return replicas;
    }

    /**
     * The followers of the committed ISR whose log end is known (they fetched from this leader), with their log end
     * and when they were last caught up: the replicas a consumer may be sent to read from (KIP-392).
     */
    List<Partition.FollowerState> inSyncFollowers() {
        List<Partition.FollowerState> states = new ArrayList<>();
        for (int id : isr) {
            Follower f = followers.get(id);
            if (f != null && f.logEnd != UNKNOWN) {
                states.add(new Partition.FollowerState(id, f.logEnd, f.lastCaughtUpMs));
            }
        }
        return states;
    }

    private static boolean caughtUp(Follower f, long leaderLogEnd, long nowMs, long lagMs) {
        return f.logEnd == leaderLogEnd || nowMs - f.lastCaughtUpMs <= lagMs;
    }
}
