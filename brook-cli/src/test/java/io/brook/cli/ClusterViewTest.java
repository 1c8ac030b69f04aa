package io.brook.cli;

import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ClusterView}: the roles of each node from the brokers and the quorum's voters and observers, and the
 * quorum's lags as kafka-metadata-quorum describe --status/--replication report them, on a fixed clock.
 */
class ClusterViewTest {
    private static final long NOW = 1_000_000;
    private static final long U = ClusterView.UNKNOWN;

    private static Node broker(int id, boolean fenced) {
        return new Node(id, "localhost", 9090 + id, null, fenced);
    }

    @Test
    void rolesComeFromTheBrokersTheVotersAndTheObservers() {
        // 1 combined, 2 controller only, 4 and 5 brokers (5 fenced), 6 an observer that is no broker (joining controller)
        List<ClusterView.NodeRow> rows = ClusterView.nodes(List.of(broker(1, false), broker(4, false),
                broker(5, true)), List.of(1, 2), List.of(4, 5, 6));
        assertEquals(List.of("Node 1\tlocalhost:9091\tbroker,controller", "Node 2\t-\tcontroller",
                        "Node 4\tlocalhost:9094\tbroker", "Node 5\tlocalhost:9095\tbroker\tfenced",
                        "Node 6\t-\tobserver"),
                rows.stream().map(ClusterView::line).toList());
        // no quorum answer: the brokers only
        assertEquals(List.of("Node 4\tlocalhost:9094\tbroker"),
                ClusterView.nodes(List.of(broker(4, false)), List.of(), List.of()).stream()
                        .map(ClusterView::line).toList());
    }

    @Test
    void aNodeThatIsNoBrokerShowsItsControllerEndpoint() {
        // 2 controller only with an endpoint in DescribeQuorum's Nodes; 1 combined keeps its client address; 6 (an
        // observer without one) stays unknown
        List<ClusterView.NodeRow> rows = ClusterView.nodes(List.of(broker(1, false)), List.of(1, 2), List.of(6),
                java.util.Map.of(1, new ClusterView.Address("localhost", 19093),
                        2, new ClusterView.Address("controller2", 29093)));
        assertEquals(List.of("Node 1\tlocalhost:9091\tbroker,controller", "Node 2\tcontroller2:29093\tcontroller",
                        "Node 6\t-\tobserver"),
                rows.stream().map(ClusterView::line).toList());
    }

    @Test
    void lagsAreBehindTheLeadersLogEndOffset() {
        ClusterView.Quorum q = ClusterView.quorum(2, 7, 95, List.of(
                        new ClusterView.Replica(3, 90, NOW - 300, NOW - 5_000),
                        new ClusterView.Replica(2, 100, NOW, NOW),
                        new ClusterView.Replica(1, 100, NOW - 20, NOW - 20)),
                List.of(new ClusterView.Replica(7, 97, NOW - 50, U)), NOW);
        assertEquals("Quorum: leader 2, epoch 7, high watermark 95, voters [1, 2, 3], max follower lag 10 (5000 ms)",
                ClusterView.line(q));
        assertEquals(List.of(
                "Replica 1\tFollower\tlog end offset 100\tlag 0\tlast fetch 20 ms ago\tlast caught up 20 ms ago",
                "Replica 2\tLeader\tlog end offset 100\tlag 0\tlast fetch 0 ms ago\tlast caught up 0 ms ago",
                "Replica 3\tFollower\tlog end offset 90\tlag 10\tlast fetch 300 ms ago\tlast caught up 5000 ms ago",
                "Replica 7\tObserver\tlog end offset 97\tlag 3\tlast fetch 50 ms ago\tlast caught up unknown"),
                q.replicas().stream().map(ClusterView::line).toList());
    }

    @Test
    void withoutALeaderTheLagsAreUnknown() {
        ClusterView.Quorum q = ClusterView.quorum(-1, 3, 40, List.of(new ClusterView.Replica(1, 40, U, U)), List.of(),
                NOW);
        assertEquals(U, q.maxFollowerLag());
        assertEquals("Quorum: leader -1, epoch 3, high watermark 40, voters [1], max follower lag unknown (unknown)",
                ClusterView.line(q));
        assertEquals("Replica 1\tFollower\tlog end offset 40\tlag unknown\tlast fetch unknown\tlast caught up unknown",
                ClusterView.line(q.replicas().get(0)));
    }
}
