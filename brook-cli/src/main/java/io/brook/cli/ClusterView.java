package io.brook.cli;

import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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

    /**
     * One node: its client address (for a node that is no broker its controller endpoint, null when not known), roles,
     * rack and fencing.
     */
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

    /** A replica as DescribeQuorum reports it; timestamps in ms, {@link #UNKNOWN} when not reported. */
    record Replica(int id, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
        static Replica of(QuorumInfo.ReplicaState r) {
            return new Replica(r.replicaId(), r.logEndOffset(), r.lastFetchTimestamp().orElse(UNKNOWN),
                    r.lastCaughtUpTimestamp().orElse(UNKNOWN));
        }
    }

    private ClusterView() {
    }

    /**
     * Every node the cluster reports, by id: the brokers of DescribeCluster and the voters and observers of
     * DescribeQuorum ({@code quorum} null when it was not answered: the brokers only). A node that is no broker shows
     * the first endpoint DescribeQuorum v2 names for it (a voter's controller listener, KIP-853).
     */
    static List<NodeRow> nodes(List<Node> brokers, QuorumInfo quorum) {
        if (quorum == null) {
            return nodes(brokers, List.of(), List.of(), Map.of());
        }
        Map<Integer, Address> endpoints = new TreeMap<>();
        quorum.nodes().forEach((id, node) -> node.endpoints().stream().findFirst()
                .ifPresent(e -> endpoints.put(id, new Address(e.host(), e.port()))));
        return nodes(brokers, quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).toList(),
                quorum.observers().stream().map(QuorumInfo.ReplicaState::replicaId).toList(), endpoints);
    }

    /** Every node: the brokers, the {@code voters} and the {@code observers} of the quorum, by id. */
    static List<NodeRow> nodes(List<Node> brokers, List<Integer> voters, List<Integer> observers) {
        return nodes(brokers, voters, observers, Map.of());
    }

    /** An endpoint of a node that is no broker. */
    record Address(String host, int port) { }

    /**
     * Every node: the brokers (at their client address), the {@code voters} and the {@code observers} of the quorum,
     * by id; a node that is no broker at its address in {@code quorumEndpoints}, if any.
     */
    static List<NodeRow> nodes(List<Node> brokers, List<Integer> voters, List<Integer> observers,
                               Map<Integer, Address> quorumEndpoints) {
        Map<Integer, Node> byId = new TreeMap<>();
        brokers.forEach(b -> byId.put(b.id(), b));
        Map<Integer, String> quorumRole = new TreeMap<>();
        observers.forEach(o -> quorumRole.put(o, "observer"));
        voters.forEach(v -> quorumRole.put(v, "controller"));
        java.util.Set<Integer> ids = new java.util.TreeSet<>(byId.keySet());
        ids.addAll(quorumRole.keySet());
        List<NodeRow> rows = new ArrayList<>();
        for (int id : ids) {
            Node broker = byId.get(id);
            String role = quorumRole.get(id);
            if (broker == null) {
                // a controller, or an observer that is no broker (a controller not added yet)
                Address address = quorumEndpoints.get(id);
                rows.add(new NodeRow(id, address == null ? null : address.host(), address == null ? -1
                        : address.port(), role, null, false));
            } else {
                String roles = "controller".equals(role) ? "broker,controller" : "broker";
                rows.add(new NodeRow(id, broker.host(), broker.port(), roles, broker.hasRack() ? broker.rack() : null,
                        broker.isFenced()));
            }
        }
        return rows;
    }

    /** The quorum's state as of {@code nowMs}. */
    static Quorum quorum(QuorumInfo info, long nowMs) {
        return quorum(info.leaderId(), info.leaderEpoch(), info.highWatermark(),
                info.voters().stream().map(Replica::of).toList(), info.observers().stream().map(Replica::of).toList(),
                nowMs);
    }

    /**
     * The quorum's state as of {@code nowMs}: a replica's lag is how far its log end offset is behind the leader's;
     * the max follower lag is the furthest voter's, its time how long before the leader's last catch-up that voter
     * last caught up (both {@link #UNKNOWN} without a leader among the voters).
     */
    static Quorum quorum(int leaderId, long leaderEpoch, long highWatermark, List<Replica> voters,
                         List<Replica> observers, long nowMs) {
        Replica leader = voters.stream().filter(v -> v.id() == leaderId).findFirst().orElse(null);
        long maxLag = UNKNOWN;
        long maxLagTimeMs = UNKNOWN;
        if (leader != null) {
            Replica furthest = voters.stream().min(Comparator.comparingLong(Replica::logEndOffset)).orElse(leader);
            maxLag = Math.max(0, leader.logEndOffset() - furthest.logEndOffset());
            if (maxLag == 0) {
                maxLagTimeMs = 0;
            } else if (leader.lastCaughtUpTimestamp() >= 0 && furthest.lastCaughtUpTimestamp() >= 0) {
                maxLagTimeMs = Math.max(0, leader.lastCaughtUpTimestamp() - furthest.lastCaughtUpTimestamp());
            }
        }
        List<ReplicaRow> rows = new ArrayList<>();
        for (Replica v : sorted(voters)) {
            rows.add(row(v, v.id() == leaderId ? "Leader" : "Follower", leader, nowMs));
        }
        for (Replica o : sorted(observers)) {
            rows.add(row(o, "Observer", leader, nowMs));
        }
        return new Quorum(leaderId, leaderEpoch, highWatermark, maxLag, maxLagTimeMs, rows);
    }

    private static List<Replica> sorted(List<Replica> replicas) {
        return replicas.stream().sorted(Comparator.comparingInt(Replica::id)).toList();
    }

    private static ReplicaRow row(Replica r, String status, Replica leader, long nowMs) {
        long lag = leader == null ? UNKNOWN : Math.max(0, leader.logEndOffset() - r.logEndOffset());
        return new ReplicaRow(r.id(), status, r.logEndOffset(), lag, ago(r.lastFetchTimestamp(), nowMs),
                ago(r.lastCaughtUpTimestamp(), nowMs));
    }

    private static long ago(long timestamp, long nowMs) {
        return timestamp >= 0 ? Math.max(0, nowMs - timestamp) : UNKNOWN;
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
