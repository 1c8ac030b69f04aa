package io.brook.cli;

import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What {@code brook cluster} shows of the nodes and the metadata quorum, from DescribeCluster's brokers and
 * DescribeQuorum's replicas, with the semantics of {@code kafka-metadata-quorum describe --status/--replication}:
 * each node's roles (a registered broker, a voter, both, or an observer that is no broker: a controller not added
 * yet), the leader and its epoch, the high watermark, the largest lag of a voter behind the leader's log end offset
 * (in offsets and in time), and per replica its log end offset, lag, and how long ago it last fetched and was last
 * caught up. Pure: the clock is a parameter. Immutable.
 */
final class ClusterView {
    /** A timestamp DescribeQuorum did not report. */
    static final long UNKNOWN = -1;

    /** One node: its client address (null for a node that is no broker), roles, rack and fencing. */
    record NodeRow(int id, String host, int port, String roles, String rack, boolean fenced) { }

    /**
     * One replica of the metadata log: {@code status} is Leader, Follower (a voter) or Observer; the ages are
     * milliseconds before the given now, or {@link #UNKNOWN}.
     */
    record ReplicaRow(int id, String status, long logEndOffset, long lag, long lastFetchAgoMs,
                      long lastCaughtUpAgoMs) { }

    /**
     * The quorum's state: the leader (-1 when none), its epoch, the high watermark, the largest voter lag behind the
     * leader in offsets and in ms ({@link #UNKNOWN} when not known), the voters then the observers.
     */
    record Quorum(int leaderId, long leaderEpoch, long highWatermark, long maxFollowerLag, long maxFollowerLagTimeMs,
                  List<ReplicaRow> replicas) {
        List<Integer> voters() {
            return replicas.stream().filter(r -> !r.status().equals("Observer")).map(ReplicaRow::id).toList();
        }
    }

    private ClusterView() {
    }

    /**
     * Every node the cluster reports, by id: the brokers of DescribeCluster and the voters and observers of
     * DescribeQuorum ({@code quorum} null when it was not answered: the brokers only).
     */
    static List<NodeRow> nodes(List<Node> brokers, QuorumInfo quorum) {
        Map<Integer, Node> byId = new TreeMap<>();
        brokers.forEach(b -> byId.put(b.id(), b));
        Map<Integer, String> quorumRole = new TreeMap<>();
        if (quorum != null) {
            quorum.observers().forEach(o -> quorumRole.put(o.replicaId(), "observer"));
            quorum.voters().forEach(v -> quorumRole.put(v.replicaId(), "controller"));
        }
        java.util.Set<Integer> ids = new java.util.TreeSet<>(byId.keySet());
        ids.addAll(quorumRole.keySet());
        List<NodeRow> rows = new ArrayList<>();
        for (int id : ids) {
            Node broker = byId.get(id);
            String role = quorumRole.get(id);
            String roles;
            if (broker == null) {
                roles = role; // a controller, or an observer that is no broker (a controller not added yet)
            } else {
                roles = "controller".equals(role) ? "broker,controller" : "broker";
            }
            rows.add(broker == null ? new NodeRow(id, null, -1, roles, null, false)
                    : new NodeRow(id, broker.host(), broker.port(), roles, broker.hasRack() ? broker.rack() : null,
                    broker.isFenced()));
        }
        return rows;
    }

    /** The quorum's state as of {@code nowMs}. */
    static Quorum quorum(QuorumInfo info, long nowMs) {
        QuorumInfo.ReplicaState leader = info.voters().stream().filter(v -> v.replicaId() == info.leaderId())
                .findFirst().orElse(null);
        long maxLag = UNKNOWN;
        long maxLagTimeMs = UNKNOWN;
        if (leader != null) {
            QuorumInfo.ReplicaState furthest = info.voters().stream()
                    .min(Comparator.comparingLong(QuorumInfo.ReplicaState::logEndOffset)).orElse(leader);
            maxLag = Math.max(0, leader.logEndOffset() - furthest.logEndOffset());
            if (maxLag == 0) {
                maxLagTimeMs = 0;
            } else if (leader.lastCaughtUpTimestamp().isPresent() && furthest.lastCaughtUpTimestamp().isPresent()) {
                maxLagTimeMs = Math.max(0, leader.lastCaughtUpTimestamp().getAsLong()
                        - furthest.lastCaughtUpTimestamp().getAsLong());
            }
        }
        List<ReplicaRow> rows = new ArrayList<>();
        for (QuorumInfo.ReplicaState v : sorted(info.voters())) {
            rows.add(row(v, v.replicaId() == info.leaderId() ? "Leader" : "Follower", leader, nowMs));
        }
        for (QuorumInfo.ReplicaState o : sorted(info.observers())) {
            rows.add(row(o, "Observer", leader, nowMs));
        }
        return new Quorum(info.leaderId(), info.leaderEpoch(), info.highWatermark(), maxLag, maxLagTimeMs, rows);
    }

    private static List<QuorumInfo.ReplicaState> sorted(List<QuorumInfo.ReplicaState> replicas) {
        return replicas.stream().sorted(Comparator.comparingInt(QuorumInfo.ReplicaState::replicaId)).toList();
    }

    private static ReplicaRow row(QuorumInfo.ReplicaState r, String status, QuorumInfo.ReplicaState leader,
                                  long nowMs) {
        long lag = leader == null ? UNKNOWN : Math.max(0, leader.logEndOffset() - r.logEndOffset());
        return new ReplicaRow(r.replicaId(), status, r.logEndOffset(), lag, ago(r.lastFetchTimestamp(), nowMs),
                ago(r.lastCaughtUpTimestamp(), nowMs));
    }

    private static long ago(OptionalLong timestamp, long nowMs) {
        return timestamp.isPresent() && timestamp.getAsLong() >= 0 ? Math.max(0, nowMs - timestamp.getAsLong())
                : UNKNOWN;
    }

    /** A node's line: {@code Node <id>\t<host:port or ->\t<roles>[\track <rack>][\tfenced]} (fenced last). */
    static String line(NodeRow n) {
        return "Node " + n.id() + "\t" + (n.host() == null ? "-" : n.host() + ":" + n.port()) + "\t" + n.roles()
                + (n.rack() != null ? "\track " + n.rack() : "") + (n.fenced() ? "\tfenced" : "");
    }

    /** The quorum's summary line, as {@code --status} reports it. */
    static String line(Quorum q) {
        return "Quorum: leader " + q.leaderId() + ", epoch " + q.leaderEpoch() + ", high watermark "
                + q.highWatermark() + ", voters " + q.voters() + ", max follower lag "
                + (q.maxFollowerLag() == UNKNOWN ? "unknown" : String.valueOf(q.maxFollowerLag()))
                + " (" + (q.maxFollowerLagTimeMs() == UNKNOWN ? "unknown" : q.maxFollowerLagTimeMs() + " ms") + ")";
    }

    /** A replica's line, as {@code --replication} reports it. */
    static String line(ReplicaRow r) {
        return "Replica " + r.id() + "\t" + r.status() + "\tlog end offset " + r.logEndOffset() + "\tlag "
                + (r.lag() == UNKNOWN ? "unknown" : String.valueOf(r.lag())) + "\tlast fetch " + age(r.lastFetchAgoMs())
                + "\tlast caught up " + age(r.lastCaughtUpAgoMs());
    }

    private static String age(long agoMs) {
        return agoMs == UNKNOWN ? "unknown" : agoMs + " ms ago";
    }
}
