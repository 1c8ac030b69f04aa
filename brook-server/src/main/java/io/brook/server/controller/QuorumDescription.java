package io.brook.server.controller;

import io.brook.metadata.quorum.QuorumStatus;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.PartitionData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.ReplicaState;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The state of the metadata quorum as DescribeQuorum reports it: who leads, in which epoch, how far the
 * log is committed, how far each voter and observer has it, and where each voter listens (DescribeQuorum v2's
 * {@code Nodes}, KIP-853).
 *
 * <p>Directory ids: Brook's Raft voters are keyed by node id only, so every replica is reported with
 * {@link Uuid#ZERO_UUID}, which is what Kafka reports for a replica without a directory id (its
 * {@code ReplicaKey.NO_DIRECTORY_ID}, the case of static {@code controller.quorum.voters}); Kafka's
 * {@code kafka-metadata-quorum} (4.3.1) then prints no directory id. Immutable.
 *
 * @param highWatermark the offset after the last committed metadata record
 * @param nodes         the voters' controller endpoints, by voter (empty when not known: a single node)
 */
public record QuorumDescription(int leaderId, int leaderEpoch, long highWatermark, List<Replica> voters,
                                List<Replica> observers, List<VoterNode> nodes) {
    /** The first DescribeQuorum version with {@code Nodes} and {@code ReplicaDirectoryId} (KIP-853). */
    public static final short NODES_VERSION = 2;

    public QuorumDescription {
        voters = List.copyOf(voters);
        observers = List.copyOf(observers);
        nodes = List.copyOf(nodes);
    }

    /** A description without the voters' endpoints. */
    public QuorumDescription(int leaderId, int leaderEpoch, long highWatermark, List<Replica> voters,
                             List<Replica> observers) {
        this(leaderId, leaderEpoch, highWatermark, voters, observers, List.of());
    }

    /**
     * A quorum of one: this node is the only voter and leads, with every committed record.
     *
     * @param epoch the epoch of the single node's metadata log
     */
    public static QuorumDescription singleNode(int nodeId, int epoch, long highWatermark, long nowMs) {
        return new QuorumDescription(nodeId, epoch, highWatermark,
                List.of(new Replica(nodeId, highWatermark, nowMs, nowMs)), List.of());
    }

    /**
     * A Raft voter's view ({@link QuorumStatus}; complete on the leader). Offsets are positions in the Raft
     * log, which holds the metadata batches plus the quorum's own entries: the epoch is the Raft term, the
     * high watermark the index after the last committed entry. A voter counts as caught up when its log
     * reaches the commit index.
     */
    public static QuorumDescription fromStatus(QuorumStatus status) {
        return fromStatus(status, Map.of(), null);
    }

    /**
     * {@link #fromStatus(QuorumStatus)} with the voters' endpoints: each voter of {@code status} that has an
     * address in {@code voterAddresses} (the controller listener it joined the quorum with) is a node listening
     * on {@code listenerName} (the first of {@code controller.listener.names}, as Kafka names a voter's default
     * listener).
     */
    public static QuorumDescription fromStatus(QuorumStatus status, Map<Integer, InetSocketAddress> voterAddresses,
                                               String listenerName) {
        QuorumDescription described = fromVoters(status);
        List<VoterNode> nodes = new ArrayList<>();
        for (QuorumStatus.Voter voter : status.voters()) {
            InetSocketAddress address = voterAddresses.get(voter.id());
            if (address != null && listenerName != null) {
                nodes.add(new VoterNode(voter.id(), listenerName, address.getHostString(), address.getPort()));
            }
        }
        return described.withNodes(nodes);
    }

    private static QuorumDescription fromVoters(QuorumStatus status) {
        long highWatermark = status.commitIndex() + 1;
        List<Replica> voters = new ArrayList<>();
        for (QuorumStatus.Voter voter : status.voters()) {
            voters.add(replica(voter, highWatermark));
        }
        List<Replica> observers = new ArrayList<>();
        for (QuorumStatus.Voter observer : status.observers()) {
            observers.add(replica(observer, highWatermark));
        }
        return new QuorumDescription(status.leaderId(), (int) Math.max(-1, status.term()), highWatermark, voters,
                observers);
    }

    private static Replica replica(QuorumStatus.Voter member, long highWatermark) {
        long logEnd = member.logEndIndex() < 0 ? -1 : member.logEndIndex() + 1;
        long caughtUp = logEnd >= highWatermark ? member.lastContactMs() : -1;
        return new Replica(member.id(), logEnd, member.lastContactMs(), caughtUp);
    }

    /**
     * This description with {@code more} observers (the broker-only nodes following the log) after its own (the
     * quorum's listeners); one already listed is not listed twice.
     */
    public QuorumDescription plusObservers(List<Replica> more) {
        List<Replica> all = new ArrayList<>(observers);
        for (Replica r : more) {
            if (all.stream().noneMatch(o -> o.id() == r.id())) {
                all.add(r);
            }
        }
        return new QuorumDescription(leaderId, leaderEpoch, highWatermark, voters, all, nodes);
    }

    /** This description with {@code nodes} (the voters' endpoints) instead of its own. */
    public QuorumDescription withNodes(List<VoterNode> nodes) {
        return new QuorumDescription(leaderId, leaderEpoch, highWatermark, voters, observers, nodes);
    }

    /**
     * Sets {@code response}'s {@code Nodes} to the voters' endpoints when {@code version} has them (2 and later, as
     * Kafka does); left empty for v0/v1, which cannot carry them.
     */
    public DescribeQuorumResponseData addNodes(DescribeQuorumResponseData response, short version) {
        if (version >= NODES_VERSION) {
            DescribeQuorumResponseData.NodeCollection collection = new DescribeQuorumResponseData.NodeCollection();
            for (VoterNode node : nodes) {
                DescribeQuorumResponseData.Node data = collection.find(node.id());
                if (data == null) {
                    data = new DescribeQuorumResponseData.Node().setNodeId(node.id());
                    collection.add(data);
                }
                data.listeners().add(new DescribeQuorumResponseData.Listener().setName(node.listener())
                        .setHost(node.host()).setPort(node.port()));
            }
            response.setNodes(collection);
        }
        return response;
    }

    /** The voters' endpoints of a DescribeQuorum response (the answer of another node; empty before v2). */
    public static List<VoterNode> nodes(DescribeQuorumResponseData response) {
        List<VoterNode> nodes = new ArrayList<>();
        for (DescribeQuorumResponseData.Node node : response.nodes()) {
            for (DescribeQuorumResponseData.Listener listener : node.listeners()) {
                nodes.add(new VoterNode(node.nodeId(), listener.name(), listener.host(), listener.port()));
            }
        }
        return nodes;
    }

    /** This description as DescribeQuorum's partition 0 of {@code __cluster_metadata}. */
    public PartitionData toPartitionData() {
        return new PartitionData().setPartitionIndex(0).setLeaderId(leaderId).setLeaderEpoch(leaderEpoch)
                .setHighWatermark(highWatermark).setCurrentVoters(states(voters)).setObservers(states(observers));
    }

    /** The description in DescribeQuorum's partition data (the answer of another node). */
    public static QuorumDescription fromPartitionData(PartitionData data) {
        return new QuorumDescription(data.leaderId(), data.leaderEpoch(), data.highWatermark(),
                replicas(data.currentVoters()), replicas(data.observers()));
    }

    private static List<ReplicaState> states(List<Replica> replicas) {
        List<ReplicaState> states = new ArrayList<>();
        for (Replica replica : replicas) {
            states.add(new ReplicaState().setReplicaId(replica.id()).setReplicaDirectoryId(Uuid.ZERO_UUID)
                    .setLogEndOffset(replica.logEndOffset()).setLastFetchTimestamp(replica.lastFetchTimestamp())
                    .setLastCaughtUpTimestamp(replica.lastCaughtUpTimestamp()));
        }
        return states;
    }

    private static List<Replica> replicas(List<ReplicaState> states) {
        List<Replica> replicas = new ArrayList<>();
        for (ReplicaState state : states) {
            replicas.add(new Replica(state.replicaId(), state.logEndOffset(), state.lastFetchTimestamp(),
                    state.lastCaughtUpTimestamp()));
        }
        return replicas;
    }

    /**
     * One endpoint of a voter: the listener's name, host and port ({@code CONTROLLER://localhost:9093}).
     */
    public record VoterNode(int id, String listener, String host, int port) {
    }

    /**
     * One replica of the metadata log.
     *
     * @param logEndOffset          the offset after the last record it holds
     * @param lastFetchTimestamp    when the leader last heard from it (ms), or -1 if unknown
     * @param lastCaughtUpTimestamp when it last had everything the leader had (ms), or -1 if unknown
     */
    public record Replica(int id, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
    }
}
