package io.brook.server.replication;

import io.brook.metadata.controller.ClusterControl;
import io.brook.metadata.controller.ClusterResult;
import io.brook.metadata.controller.IsrControl;
import io.brook.metadata.controller.LeaderElection;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.PartitionLog;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 19's combined model: one partition with three replicas and {@code min.insync.replicas=2} on three
 * in-process brokers, each with its real {@link Partition} and {@link PartitionLog} on disk, and one controller
 * deciding with the real {@link ClusterControl} (registrations, heartbeats, fencing, controlled shutdown, the
 * elections these cause), {@link IsrControl} (AlterPartition, sent by the real {@link AlterPartitionSender}) and
 * {@link LeaderElection} (preferred elections). The network between them is this test: random events on a fake
 * clock decide who fetches, who learns which metadata and when, which ISR change arrives, is lost or loses its
 * answer, who is killed (its files kept as a SIGKILL leaves them, sometimes with a torn last batch), restarted (with
 * the metadata it had, possibly stale) or shut down, and when the controller fails over. Followers fetch as
 * {@link ReplicaFetcher} does: OffsetForLeaderEpoch and {@link Truncation} first, then Fetch with their leader
 * epoch and broker epoch. Producers send acks=all batches to whichever broker believes it leads; a batch is
 * acknowledged as {@code DelayedProduce} decides.
 *
 * <p>After every event:
 * <ul>
 *   <li>at most one leader per leader epoch, and no broker acts as leader of an epoch the controller did not give it;</li>
 *   <li>a record below any broker's high watermark is committed: no two different records are ever committed at one
 *       offset, and every acknowledged record is committed;</li>
 *   <li>every live broker the controller lists in the ISR (or, with KIP-966 on, the ELR) holds every committed record
 *       at its offset with its leader epoch, so whichever of them is elected next has them;</li>
 *   <li>a follower never truncates below its high watermark, and a restart's recovery keeps what the broker held;</li>
 *   <li>a leader's high watermark never moves back while it leads one epoch.</li>
 * </ul>
 * At the end every broker is brought back and the network healed: the three logs converge to one, which holds every
 * acknowledged record at the offset its acknowledgement gave.
 */
class ReplicationModelPropertyTest {
    private static final int BROKERS = 3;
    private static final int MIN_ISR = 2;
    private static final long LAG_MS = 1_000;
    private static final long SESSION_MS = 3_000;
    private static final String CLUSTER_ID = "replication-model";
    private static final TopicPartition TP = new TopicPartition("model", 0);
    private static final Uuid TOPIC_ID = new Uuid(19, 19);
    private static final List<Integer> REPLICAS = List.of(1, 2, 3);
    private static final List<Long> STEPS = List.of(1L, 50L, LAG_MS / 2, LAG_MS + 1, SESSION_MS + 1);
    /** Rounds of the healed cluster (each 100 ms of the fake clock) the logs get to converge. */
    private static final int CONVERGENCE_ROUNDS = 200;
    private static final Duration TRY_DEADLINE = Duration.ofSeconds(60);
    private static final int TRACE_SHOWN = 300;

    sealed interface Op {
    }

    /**
     * A client sends an acks=all batch of {@code records} to {@code broker}, or (0) to the leader the controller names;
     * the broker acts only if it believes it leads.
     */
    record Produce(int broker, int records) implements Op {
    }

    /** One round of {@code follower}'s fetcher (0: every broker's) against the leader it knows, reading at most {@code maxBytes}. */
    record Fetch(int follower, int maxBytes) implements Op {
    }

    /** The leader's periodic ISR check (Kafka's isr-expiration task). */
    record CheckIsr(int broker) implements Op {
    }

    /**
     * The oldest AlterPartition in flight: applied and answered, lost on the way, applied with its answer lost, or
     * timed out at the sender while it goes on to the controller, applied by a later delivery with nobody listening.
     */
    record Deliver(Delivery how) implements Op {
    }

    enum Delivery { ANSWERED, REQUEST_LOST, ANSWER_LOST, LATE }

    /** {@code broker} heartbeats the controller (and checkpoints its high watermark, as it does periodically). */
    record Heartbeat(int broker) implements Op {
    }

    /** {@code broker} catches up with the controller's metadata. */
    record Learn(int broker) implements Op {
    }

    record Advance(long ms) implements Op {
    }

    record FencePass() implements Op {
    }

    /**
     * SIGKILL: the files stay as written, with a half-written batch at the end of the last segment when {@code torn}.
     * {@code powerLoss}: the machine went down too, and the last segment loses its last batches (never written back
     * from the page cache). Only the fixed examples use it: drawn at random it soon meets further failures after
     * which Kafka 4.3.1 knowingly elects a broker that lost records (the last ISR member without KIP-966, the last
     * known leader with it), which this model's invariants, written for clean elections, would count as a loss.
     */
    record Kill(int broker, boolean torn, boolean powerLoss) implements Op {
    }

    /** A new incarnation; {@code stale}: it starts from the metadata it had, not the controller's current one. */
    record Restart(int broker, boolean stale) implements Op {
    }

    /** A controlled shutdown: the broker asks in its heartbeats and stops cleanly once granted. */
    record ShutDown(int broker) implements Op {
    }

    record PreferredElection() implements Op {
    }

    record ControllerFailover() implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> broker = Arbitraries.integers().between(1, BROKERS);
        // 0: the leader the controller names (a producer with fresh metadata) / every broker
        Arbitrary<Integer> brokerOrAny = Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1), Tuple.of(1, 2),
                Tuple.of(1, 3));
        Arbitrary<Op> produce = Combinators.combine(brokerOrAny, Arbitraries.integers().between(1, 3))
                .as(Produce::new);
        Arbitrary<Op> fetch = Combinators.combine(brokerOrAny, Arbitraries.of(1, 200, 1 << 20)).as(Fetch::new);
        Arbitrary<Op> deliver = Arbitraries.of(Delivery.ANSWERED, Delivery.ANSWERED, Delivery.ANSWERED,
                Delivery.REQUEST_LOST, Delivery.ANSWER_LOST, Delivery.LATE).map(Deliver::new);
        Arbitrary<Op> kill = Combinators.combine(broker, Arbitraries.of(false, true))
                .as((id, torn) -> new Kill(id, torn, false));
        Arbitrary<Op> restart = Combinators.combine(broker, Arbitraries.of(false, true)).as(Restart::new);
        return Arbitraries.frequencyOf(
                Tuple.of(10, produce), Tuple.of(16, fetch), Tuple.of(3, broker.map(CheckIsr::new)),
                Tuple.of(5, deliver), Tuple.of(6, broker.map(Heartbeat::new)), Tuple.of(7, broker.map(Learn::new)),
                Tuple.of(4, Arbitraries.of(STEPS).map(Advance::new)), Tuple.of(2, Arbitraries.just(new FencePass())),
                Tuple.of(1, kill), Tuple.of(2, restart), Tuple.of(1, broker.map(ShutDown::new)),
                Tuple.of(1, Arbitraries.just(new PreferredElection())),
                Tuple.of(1, Arbitraries.just(new ControllerFailover())))
                .list().ofMinSize(20).ofMaxSize(150);
    }

    @Property(tries = 400)
    void noCommittedRecordIsEverLostAndTheReplicasConverge(@ForAll boolean eligibleLeaderReplicas,
                                                          @ForAll("ops") List<Op> ops) throws Exception {
        Model model = runModel(eligibleLeaderReplicas, ops);
        Statistics.label("a leader epoch after the first").collect(model.history.size() > 1);
        Statistics.label("a follower truncated a divergent tail").collect(model.truncations > 0);
        Statistics.label("records acknowledged").collect(model.acked.isEmpty() ? "none" : "some");
        Statistics.label("a deposed leader took a write").collect(model.staleAppends > 0);
        Statistics.label("refused for too few in-sync replicas").collect(model.notEnoughReplicas > 0);
        Statistics.label("a restart").collect(model.restarts > 0);
        // far below the rates seen, so that a run never fails on chance
        Statistics.label("a leader epoch after the first").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("a follower truncated a divergent tail").coverage(c -> c.check(true).percentage(p -> p > 5));
        Statistics.label("records acknowledged").coverage(c -> c.check("some").percentage(p -> p > 40));
    }

    /**
     * An ISR expansion the controller applied but whose answer the leader never got: until the metadata tells it, the
     * leader must still count the new member for its high watermark, else it commits a record the member lacks while
     * the controller lists it in the ISR (and may elect it).
     */
    @Example
    void anExpansionWhoseAnswerWasLostKeepsCountingItsNewMember() throws Exception {
        runModel(false, List.of(
                new Fetch(0, 1 << 20),                 // the followers' first round: OffsetForLeaderEpoch
                new Produce(1, 1),
                new Advance(LAG_MS + 1),
                new Fetch(2, 1 << 20), new Fetch(2, 1 << 20), // 2 caught up, 3 behind for longer than the lag
                new CheckIsr(1), new Deliver(Delivery.ANSWERED), new Learn(1), // the ISR is [1, 2]
                new Fetch(3, 1 << 20), new Fetch(3, 1 << 20), // 3 caught up: the leader proposes [1, 2, 3]
                new Deliver(Delivery.ANSWER_LOST),    // applied by the controller, the answer lost
                new Advance(LAG_MS + 1),
                new Produce(1, 1),
                new Fetch(2, 1 << 20), new Fetch(2, 1 << 20)));
    }

    /**
     * A follower that comes back behind the high watermark joins the ISR only once it holds everything below it, even
     * when it fetches one batch at a time and the controller applies the expansion at once.
     */
    @Example
    void aRestartedFollowerBehindTheHighWatermarkJoinsTheIsrOnlyOnceItCaughtUp() throws Exception {
        runModel(false, List.of(
                new Fetch(0, 1 << 20),
                new Kill(3, false, false),
                new Produce(0, 2), new Produce(0, 2), new Produce(0, 2),
                new Advance(LAG_MS + 1), new Fetch(2, 1 << 20), new Fetch(2, 1 << 20),
                new CheckIsr(1), new Deliver(Delivery.ANSWERED), new Learn(1), // the ISR is [1, 2]: all committed
                new Advance(SESSION_MS + 1), new Heartbeat(1), new Heartbeat(2),
                new Restart(3, false), new Learn(3), new Heartbeat(3), new Learn(1), new Learn(2),
                new Fetch(3, 1), new Deliver(Delivery.ANSWERED), new Fetch(3, 1), new Deliver(Delivery.ANSWERED),
                new Fetch(3, 1), new Deliver(Delivery.ANSWERED), new Fetch(3, 1), new Deliver(Delivery.ANSWERED)));
    }

    /**
     * An expansion sent again after no answer names the incarnation of the follower that caught up: if that follower
     * restarted meanwhile with less (a power loss), the controller refuses it (KIP-903) instead of listing in the ISR
     * a broker that lacks committed records.
     */
    @Example
    void aResentExpansionNamesTheIncarnationThatCaughtUp() throws Exception {
        runModel(false, List.of(
                new Fetch(0, 1 << 20),
                new Produce(1, 1), new Advance(LAG_MS + 1), new Fetch(2, 1 << 20), new Fetch(2, 1 << 20),
                new CheckIsr(1), new Deliver(Delivery.ANSWERED), new Learn(1), // the ISR is [1, 2]
                new Produce(1, 1), new Produce(1, 1), new Fetch(2, 1 << 20), new Fetch(2, 1 << 20),
                new Fetch(3, 1 << 20), new Fetch(3, 1 << 20), // 3 caught up: [1, 2, 3] proposed
                new Deliver(Delivery.REQUEST_LOST),           // no answer: it stays in flight
                new Kill(3, false, true),                     // 3 loses its last batches
                new Advance(SESSION_MS + 1), new Heartbeat(1), new Heartbeat(2),
                new Restart(3, false), new Learn(3), new Heartbeat(3), new Learn(1), new Learn(2),
                new Fetch(3, 1), new Fetch(3, 1),             // the new incarnation fetches, behind
                new CheckIsr(1), new Deliver(Delivery.ANSWERED)));
    }

    private static Model runModel(boolean eligibleLeaderReplicas, List<Op> ops) throws Exception {
        Path root = Files.createTempDirectory("replication-model");
        Model model = new Model(root, eligibleLeaderReplicas);
        try {
            assertTimeoutPreemptively(TRY_DEADLINE, () -> {
                try {
                    model.start();
                    for (Op op : ops) {
                        model.run(op);
                        model.check(op);
                    }
                    model.healAndConverge();
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nevents:\n  " + model.trace(), e);
                }
            }, () -> "the model's run took longer than " + TRY_DEADLINE + "; events:\n  " + model.trace());
        } finally {
            model.closeAll();
            deleteTree(root);
        }
        return model;
    }

    /** A committed or held record: its value and the leader epoch its batch carries. */
    record Entry(String value, int epoch) {
    }

    /** An acks=all batch the leader appended and has not answered yet. */
    record Pending(Node node, Partition partition, int leaderEpoch, long first, List<String> values) {
        long last() {
            return first + values.size() - 1;
        }
    }

    /** An AlterPartition on its way to the controller. */
    record InFlight(AlterPartitionRequestData request, CompletableFuture<AlterPartitionResponseData> answer) {
    }

    /** One broker process: its data directory, and while it runs its log, partition and fetcher state. */
    static final class Node {
        final Model model;
        final int id;
        File dataDir;
        boolean alive;
        PartitionLog log;
        Partition partition;
        MetadataImage seen = MetadataImage.EMPTY;
        long brokerEpoch;
        boolean shuttingDown;
        boolean cleanlyStopped;
        long checkpointedHighWatermark = -1;
        /** The leader and epoch the fetcher follows, and whether it has truncated against them. */
        int fetchLeader = -1;
        int fetchEpoch = -1;
        boolean truncated;
        long outOfRangeHighWatermark = -1;
        /** The high watermark last seen while leading {@link #hwEpoch} (-1 when not leading). */
        long leaderHighWatermark = -1;
        int hwEpoch = -1;
        int generation;

        Node(Model model, int id, File dataDir) {
            this.model = model;
            this.id = id;
            this.dataDir = dataDir;
        }

        Partition.ReplicationContext context() {
            AlterPartitionSender sender = new AlterPartitionSender(model.controllerChannel(), id, () -> brokerEpoch);
            return new Partition.ReplicationContext() {
                @Override
                public long nowMs() {
                    return model.now;
                }

                @Override
                public long replicaLagTimeMaxMs() {
                    return LAG_MS;
                }

                @Override
                public boolean mayJoinIsr(int brokerId) {
                    return seen.cluster().usable(brokerId);
                }

                @Override
                public void proposeIsr(Partition p, PartitionImage state, List<Integer> newIsr) {
                    sender.send(p, state, newIsr);
                }
            };
        }
    }

    static final class Model {
        final Path root;
        final boolean elr;
        final Map<Integer, Node> nodes = new TreeMap<>();
        ClusterControl control = new ClusterControl(CLUSTER_ID, SESSION_MS);
        MetadataImage image = MetadataImage.EMPTY;
        long now = 1_000;
        final Deque<InFlight> inFlight = new ArrayDeque<>();
        final List<Pending> pending = new ArrayList<>();
        /** Leader epoch to its leader, as the controller elected them. */
        final Map<Integer, Integer> history = new TreeMap<>();
        final Map<Long, Entry> committed = new TreeMap<>();
        final Map<Long, String> acked = new TreeMap<>();
        final List<String> trace = new ArrayList<>();
        int nextValue;
        int truncations;
        int staleAppends;
        int notEnoughReplicas;
        int restarts;
        /** The cluster is being healed: its routine events are not traced. */
        boolean healing;

        Model(Path root, boolean elr) {
            this.root = root;
            this.elr = elr;
        }

        /** The events so far, the last {@link #TRACE_SHOWN} of them. */
        String trace() {
            return String.join("\n  ", trace.subList(Math.max(0, trace.size() - TRACE_SHOWN), trace.size()));
        }

        void start() throws IOException {
            trace.add("eligible leader replicas (KIP-966) " + (elr ? "on" : "off"));
            List<ApiMessageAndVersion> setup = new ArrayList<>();
            if (elr) {
                setup.add(MetadataRecords.featureLevel(MetadataImage.ELR_FEATURE, (short) 1));
            }
            setup.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "min.insync.replicas",
                    String.valueOf(MIN_ISR)));
            apply(setup);
            for (int id : REPLICAS) {
                Node node = new Node(this, id, root.resolve("node" + id + "-0").toFile());
                nodes.put(id, node);
                register(node);
            }
            for (Node node : nodes.values()) {
                node.seen = image;
                heartbeat(node);
            }
            apply(List.of(MetadataRecords.topic(TP.topic(), TOPIC_ID),
                    MetadataRecords.partition(TOPIC_ID, TP.partition(), REPLICAS, REPLICAS, REPLICAS.get(0), 0, 0)));
            for (Node node : nodes.values()) {
                node.seen = image;
                open(node, false);
            }
        }

        // ------------------------------------------------------------------ events

        void run(Op op) throws Exception {
            if (!healing) {
                trace.add(op.toString());
            }
            if (op instanceof Produce p) {
                int leader = partitionState(image).leader();
                if (p.broker() > 0 || leader > 0) {
                    produce(nodes.get(p.broker() > 0 ? p.broker() : leader), p.records());
                }
            } else if (op instanceof Fetch f) {
                for (Node node : nodes.values()) {
                    if (f.follower() == 0 || f.follower() == node.id) {
                        fetchRound(node, f.maxBytes());
                    }
                }
            } else if (op instanceof CheckIsr c) {
                Node node = nodes.get(c.broker());
                if (node.alive) {
                    node.partition.maybeShrinkIsr();
                }
            } else if (op instanceof Deliver d) {
                deliver(d.how());
            } else if (op instanceof Heartbeat h) {
                Node node = nodes.get(h.broker());
                if (node.alive) {
                    node.checkpointedHighWatermark = node.partition.highWatermark();
                    heartbeat(node);
                }
            } else if (op instanceof Learn l) {
                learn(nodes.get(l.broker()));
            } else if (op instanceof Advance a) {
                now += a.ms();
            } else if (op instanceof FencePass) {
                apply(control.fenceStaleBrokers(image.cluster(), image, now).records());
            } else if (op instanceof Kill k) {
                kill(nodes.get(k.broker()), k.torn(), k.powerLoss());
            } else if (op instanceof Restart r) {
                restart(nodes.get(r.broker()), r.stale());
            } else if (op instanceof ShutDown s) {
                Node node = nodes.get(s.broker());
                node.shuttingDown = node.alive;
            } else if (op instanceof PreferredElection) {
                apply(LeaderElection.electLeaders(image, new ElectLeadersRequestData()
                        .setElectionType(LeaderElection.PREFERRED).setTopicPartitions(null)).records());
            } else if (op instanceof ControllerFailover) {
                while (!inFlight.isEmpty()) {
                    inFlight.poll().answer().completeExceptionally(new TimeoutException("the controller moved"));
                }
                control = new ClusterControl(CLUSTER_ID, SESSION_MS);
                control.activate(image.cluster(), now);
            }
            answerProduces();
        }

        private void produce(Node node, int count) throws IOException {
            if (!node.alive || !node.partition.isLeader()) {
                return;
            }
            List<String> values = new ArrayList<>();
            SimpleRecord[] records = new SimpleRecord[count];
            for (int i = 0; i < count; i++) {
                values.add("v" + nextValue++);
                records[i] = new SimpleRecord(now, values.get(i).getBytes(StandardCharsets.UTF_8));
            }
            int epoch = node.partition.leaderEpoch();
            try {
                AppendResult result = node.partition.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                        records), (short) -1);
                pending.add(new Pending(node, node.partition, epoch, result.firstOffset(), values));
                if (epoch < partitionState(image).leaderEpoch()) {
                    staleAppends++;
                }
            } catch (NotEnoughReplicasException e) {
                notEnoughReplicas++;
            } catch (ApiException e) {
                trace.add("  refused: " + e.getClass().getSimpleName());
            }
        }

        /** As DelayedProduce answers: acknowledged once the high watermark passed the batch, with the ISR at its minimum. */
        private void answerProduces() {
            for (var it = pending.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                Partition partition = p.partition();
                if (!p.node().alive || p.node().partition != partition || !partition.isLeader()
                        || partition.leaderEpoch() != p.leaderEpoch()) {
                    it.remove(); // NOT_LEADER_OR_FOLLOWER
                } else if (partition.highWatermark() > p.last()) {
                    it.remove();
                    if (!partition.isUnderMinIsr()) {
                        for (int i = 0; i < p.values().size(); i++) {
                            acked.put(p.first() + i, p.values().get(i));
                        }
                        trace.add("  acknowledged " + p.first() + ".." + p.last() + " by " + p.node().id);
                    }
                }
            }
        }

        /** One round of ReplicaFetcher for this follower: truncation first, then a fetch. */
        private void fetchRound(Node follower, int maxBytes) throws IOException {
            if (!follower.alive) {
                return;
            }
            PartitionImage state = follower.partition.state();
            if (state.leader() == follower.id || state.leader() < 0) {
                return;
            }
            if (state.leader() != follower.fetchLeader || state.leaderEpoch() != follower.fetchEpoch) {
                follower.fetchLeader = state.leader();
                follower.fetchEpoch = state.leaderEpoch();
                follower.truncated = false;
                follower.outOfRangeHighWatermark = -1;
            }
            Node leader = nodes.get(state.leader());
            if (!leader.alive) {
                return; // no answer
            }
            if (!leader.partition.isLeader()) {
                follower.truncated = false; // NOT_LEADER_OR_FOLLOWER: truncates again, as ReplicaFetcher
                return;
            }
            Partition lp = leader.partition;
            Partition fp = follower.partition;
            try {
                lp.throwIfEpochMismatch(state.leaderEpoch());
            } catch (ApiException e) {
                follower.truncated = false; // FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH: truncates again later
                return;
            }
            if (!follower.truncated) {
                // OffsetForLeaderEpoch, answered as OffsetForLeaderEpochHandler does
                int asked = fp.log().latestEpoch();
                EpochEntry answer = lp.log().epochCache().endOffsetFor(asked, lp.log().logEndOffset());
                long logEnd = fp.log().logEndOffset();
                Truncation.Decision decision = Truncation.decide(asked, answer.epoch(), answer.startOffset(), logEnd,
                        fp.highWatermark(), epoch -> fp.log().epochCache().endOffsetFor(epoch, logEnd));
                long target = decision.offset();
                if (decision.complete() && target == logEnd && follower.outOfRangeHighWatermark >= 0) {
                    target = Math.min(logEnd, follower.outOfRangeHighWatermark);
                }
                follower.outOfRangeHighWatermark = -1;
                if (target < logEnd) {
                    assertTrue(target >= fp.highWatermark(), "broker " + follower.id + " truncates to " + target
                            + ", below its high watermark " + fp.highWatermark());
                    trace.add("  broker " + follower.id + " truncates " + logEnd + " -> " + target);
                    fp.truncateTo(target, state.leader(), state.leaderEpoch());
                    truncations++;
                }
                follower.truncated = decision.complete();
                return;
            }
            long fetchOffset = fp.log().logEndOffset();
            if (!lp.onFollowerFetch(follower.id, fetchOffset, follower.brokerEpoch, state.leaderEpoch())) {
                follower.truncated = false; // NOT_LEADER_OR_FOLLOWER
                return;
            }
            if (fetchOffset > lp.log().logEndOffset()) {
                follower.outOfRangeHighWatermark = lp.highWatermark(); // OFFSET_OUT_OF_RANGE
                follower.truncated = false;
                return;
            }
            Records read = lp.log().read(fetchOffset, maxBytes, Long.MAX_VALUE, true);
            ByteBuffer buffer = ByteBuffer.allocate(read.sizeInBytes());
            for (RecordBatch batch : read.batches()) {
                batch.writeTo(buffer);
            }
            buffer.flip();
            fp.appendAsFollower(MemoryRecords.readableRecords(buffer), lp.highWatermark(), lp.log().logStartOffset(),
                    state.leader(), state.leaderEpoch());
        }

        private void deliver(Delivery how) {
            InFlight next = inFlight.poll();
            if (next == null) {
                return;
            }
            if (how == Delivery.REQUEST_LOST) {
                next.answer().completeExceptionally(new TimeoutException("lost on the way"));
                return;
            }
            if (how == Delivery.LATE) {
                next.answer().completeExceptionally(new TimeoutException("timed out, still on its way"));
                inFlight.add(new InFlight(next.request(), new CompletableFuture<>()));
                return;
            }
            AlterPartitionResponseData response;
            try {
                ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(image, next.request());
                apply(result.records());
                response = result.response();
            } catch (ApiException e) {
                next.answer().completeExceptionally(e);
                return;
            }
            if (how == Delivery.ANSWER_LOST) {
                next.answer().completeExceptionally(new TimeoutException("the answer was lost"));
            } else {
                next.answer().complete(response);
            }
        }

        private void heartbeat(Node node) {
            BrokerHeartbeatRequestData request = new BrokerHeartbeatRequestData().setBrokerId(node.id)
                    .setBrokerEpoch(node.brokerEpoch).setCurrentMetadataOffset(node.seen.offset())
                    .setWantShutDown(node.shuttingDown);
            BrokerHeartbeatResponseData response;
            try {
                ClusterResult<BrokerHeartbeatResponseData> result = control.heartbeat(image.cluster(), image, request,
                        now);
                apply(result.records());
                response = result.response();
            } catch (ApiException e) {
                trace.add("  heartbeat of " + node.id + " refused: " + e.getClass().getSimpleName());
                return;
            }
            if (node.shuttingDown && response.shouldShutDown()) {
                stop(node);
            }
        }

        private void learn(Node node) {
            if (!node.alive) {
                return;
            }
            node.seen = image;
            node.partition.update(partitionState(image));
        }

        private void register(Node node) {
            BrokerRegistrationRequestData request = new BrokerRegistrationRequestData().setBrokerId(node.id)
                    .setClusterId(CLUSTER_ID).setIncarnationId(Uuid.randomUuid());
            if (node.cleanlyStopped) {
                request.setPreviousBrokerEpoch(node.brokerEpoch); // KIP-966: it stopped cleanly, it may stay eligible
            }
            request.listeners().add(new BrokerRegistrationRequestData.Listener().setName("PLAINTEXT")
                    .setHost("localhost").setPort(9090 + node.id).setSecurityProtocol((short) 0));
            long epoch = image.offset() + 1;
            apply(control.register(image.cluster(), image, request, epoch, Map.of(), now).records());
            node.brokerEpoch = epoch;
        }

        private void open(Node node, boolean cleanShutdown) throws IOException {
            LogConfig config = LogConfig.fromMap(Map.of("min.insync.replicas", String.valueOf(MIN_ISR),
                    "segment.bytes", "2048"));
            node.log = PartitionLog.open(new File(node.dataDir, PartitionLog.dirName(TP)), TP, TOPIC_ID, config, 0,
                    0, cleanShutdown, Time.SYSTEM, null);
            node.partition = new Partition(TP, TOPIC_ID, node.log, partitionState(node.seen), node.id,
                    node.context(), node.checkpointedHighWatermark);
            node.alive = true;
            node.fetchLeader = -1;
            node.fetchEpoch = -1;
            node.leaderHighWatermark = -1;
            node.hwEpoch = -1;
        }

        /** SIGKILL: the files as written so far go on in a new directory; the old process's handles are let go. */
        private void kill(Node node, boolean torn, boolean powerLoss) throws IOException {
            if (!node.alive) {
                return;
            }
            Map<Long, Entry> held = contents(node);
            File copy = root.resolve("node" + node.id + "-" + ++node.generation).toFile();
            copyTree(node.dataDir.toPath(), copy.toPath());
            node.log.close();
            node.dataDir = copy;
            File[] segments = new File(copy, PartitionLog.dirName(TP)).listFiles((d, n) -> n.endsWith(".log"));
            File last = Arrays.stream(segments).max(Comparator.comparing(File::getName)).orElseThrow();
            if (powerLoss) {
                List<Integer> positions = new ArrayList<>();
                try (FileRecords records = FileRecords.open(last)) {
                    records.batches().forEach(batch -> positions.add(batch.position()));
                }
                if (!positions.isEmpty()) {
                    try (RandomAccessFile file = new RandomAccessFile(last, "rw")) {
                        file.setLength(positions.get(Math.max(0, positions.size() - 2))); // the last one or two
                    }
                    held = null; // it restarts with less than it held: its recovery is not compared
                }
            }
            if (torn) {
                try (RandomAccessFile file = new RandomAccessFile(last, "rw")) {
                    file.seek(file.length());
                    // a batch header promising more than was written: recovery must drop it
                    file.write(new byte[] {0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 1, 0, 0, 0, 0, 7, 2, 1, 2, 3});
                }
            }
            node.alive = false;
            node.cleanlyStopped = false;
            node.partition = null;
            node.log = null;
            if (held == null) {
                heldAtStop.remove(node.id);
            } else {
                heldAtStop.put(node.id, held);
            }
        }

        /** A granted controlled shutdown: the log closes cleanly and the high watermark is checkpointed. */
        private void stop(Node node) {
            try {
                heldAtStop.put(node.id, contents(node));
                node.checkpointedHighWatermark = node.partition.highWatermark();
                node.log.close();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            node.alive = false;
            node.cleanlyStopped = true;
            node.shuttingDown = false;
            node.partition = null;
            node.log = null;
        }

        final Map<Integer, Map<Long, Entry>> heldAtStop = new HashMap<>();

        private void restart(Node node, boolean stale) throws IOException {
            if (node.alive) {
                return;
            }
            try {
                register(node); // a new incarnation: fenced, out of every ISR, until it caught up with the metadata
            } catch (DuplicateBrokerRegistrationException e) {
                trace.add("  registration refused: the old incarnation's session lives");
                return; // as a real broker, it tries again later
            }
            restarts++;
            if (!stale) {
                node.seen = image;
            }
            open(node, node.cleanlyStopped);
            Map<Long, Entry> after = contents(node);
            for (Map.Entry<Long, Entry> e : heldAtStop.getOrDefault(node.id, Map.of()).entrySet()) {
                assertEquals(e.getValue(), after.get(e.getKey()), "broker " + node.id + "'s recovery lost offset "
                        + e.getKey());
            }
            if (heldAtStop.containsKey(node.id)) {
                assertEquals(heldAtStop.get(node.id).size(), after.size(),
                        "broker " + node.id + " recovered more records than it held");
            }
        }

        private void apply(List<ApiMessageAndVersion> records) {
            if (records.isEmpty()) {
                return;
            }
            image = image.apply(records, image.offset() + records.size());
            PartitionImage state = image.topic(TOPIC_ID) == null ? null : partitionState(image);
            if (state != null && state.leader() >= 0) {
                Integer before = history.putIfAbsent(state.leaderEpoch(), state.leader());
                assertTrue(before == null || before == state.leader(), "leader epoch " + state.leaderEpoch()
                        + " given to " + before + " and then to " + state.leader());
            }
        }

        private ControllerChannel controllerChannel() {
            return (ControllerChannel) Proxy.newProxyInstance(ControllerChannel.class.getClassLoader(),
                    new Class<?>[] {ControllerChannel.class}, (proxy, method, args) -> {
                        if (!method.getName().equals("alterPartition")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        CompletableFuture<AlterPartitionResponseData> answer = new CompletableFuture<>();
                        inFlight.add(new InFlight((AlterPartitionRequestData) args[0], answer));
                        return answer;
                    });
        }

        // ------------------------------------------------------------------ invariants

        void check(Op op) throws IOException {
            for (Node node : nodes.values()) {
                if (!node.alive) {
                    continue;
                }
                Partition p = node.partition;
                if (p.isLeader()) {
                    assertEquals(Integer.valueOf(node.id), history.get(p.leaderEpoch()), "after " + op + ": broker "
                            + node.id + " leads epoch " + p.leaderEpoch() + ", which the controller gave to "
                            + history.get(p.leaderEpoch()));
                    long hw = p.highWatermark();
                    if (node.hwEpoch == p.leaderEpoch()) {
                        assertTrue(hw >= node.leaderHighWatermark, "after " + op + ": leader " + node.id
                                + "'s high watermark moved back from " + node.leaderHighWatermark + " to " + hw);
                    }
                    node.hwEpoch = p.leaderEpoch();
                    node.leaderHighWatermark = hw;
                } else {
                    node.hwEpoch = -1;
                }
                Map<Long, Entry> held = contents(node);
                for (long offset = node.log.logStartOffset(); offset < p.highWatermark(); offset++) {
                    Entry entry = held.get(offset);
                    Entry before = committed.putIfAbsent(offset, entry);
                    assertTrue(before == null || before.equals(entry), "after " + op + ": offset " + offset
                            + " committed as " + before + " and, below broker " + node.id + "'s high watermark, as "
                            + entry);
                }
            }
            for (Map.Entry<Long, String> a : acked.entrySet()) {
                Entry entry = committed.get(a.getKey());
                assertTrue(entry != null && entry.value().equals(a.getValue()), "after " + op + ": acknowledged "
                        + a + " but committed " + entry);
            }
            PartitionImage state = partitionState(image);
            Set<Integer> mustHold = new LinkedHashSet<>(state.isr());
            mustHold.addAll(state.elr());
            for (int id : mustHold) {
                Node node = nodes.get(id);
                if (!node.alive) {
                    continue;
                }
                Map<Long, Entry> held = contents(node);
                for (Map.Entry<Long, Entry> c : committed.entrySet()) {
                    if (!Objects.equals(c.getValue(), held.get(c.getKey()))) {
                        fail("after " + op + ": broker " + id + " (ISR " + state.isr() + ", ELR " + state.elr()
                                + ") holds " + held.get(c.getKey()) + " at committed offset " + c.getKey() + " ("
                                + c.getValue() + ")");
                    }
                }
            }
        }

        /** Every broker back, every message delivered, the clock running: the logs must become one. */
        void healAndConverge() throws Exception {
            trace.add("healing: every broker restarted, every message delivered, the clock running");
            healing = true; // a controlled shutdown under way goes on: the broker stops when granted and comes back
            for (int round = 0; round < CONVERGENCE_ROUNDS; round++) {
                Op step = new Advance(100);
                run(step);
                for (Node node : nodes.values()) {
                    run(new Restart(node.id, false));
                }
                apply(control.fenceStaleBrokers(image.cluster(), image, now).records());
                for (Node node : nodes.values()) {
                    run(new Learn(node.id));
                    run(new Heartbeat(node.id));
                    run(new CheckIsr(node.id));
                    run(new Fetch(node.id, 1 << 20));
                    while (!inFlight.isEmpty()) {
                        run(new Deliver(Delivery.ANSWERED));
                    }
                }
                check(step);
                if (converged()) {
                    Map<Long, Entry> log = contents(nodes.get(partitionState(image).leader()));
                    for (Map.Entry<Long, String> a : acked.entrySet()) {
                        Entry entry = log.get(a.getKey());
                        assertTrue(entry != null && entry.value().equals(a.getValue()), "acknowledged " + a
                                + ", the converged log holds " + entry);
                    }
                    return;
                }
            }
            StringBuilder state = new StringBuilder("the replicas did not converge in " + CONVERGENCE_ROUNDS
                    + " rounds: " + partitionState(image));
            for (Node node : nodes.values()) {
                if (!node.alive) {
                    state.append("\n  broker ").append(node.id).append(": down");
                    continue;
                }
                state.append("\n  broker ").append(node.id).append(": log end ").append(node.log.logEndOffset())
                        .append(", high watermark ").append(node.partition.highWatermark()).append(", believes ")
                        .append(node.partition.state());
            }
            fail(state.toString());
        }

        private boolean converged() throws IOException {
            PartitionImage state = partitionState(image);
            if (state.leader() < 0 || state.isr().size() != BROKERS) {
                return false;
            }
            Node leader = nodes.get(state.leader());
            if (!leader.alive) {
                return false;
            }
            Map<Long, Entry> expected = contents(leader);
            for (Node node : nodes.values()) {
                if (!node.alive || !node.partition.state().equals(state) || !contents(node).equals(expected)
                        || node.partition.highWatermark() != leader.log.logEndOffset()) {
                    return false;
                }
            }
            return true;
        }

        void closeAll() {
            for (Node node : nodes.values()) {
                if (node.log != null) {
                    try {
                        node.log.close();
                    } catch (IOException | RuntimeException ignored) {
                        // the directory is deleted next
                    }
                }
            }
        }
    }

    private static PartitionImage partitionState(MetadataImage image) {
        return image.topic(TOPIC_ID).partitions().get(TP.partition());
    }

    /** Every record of the broker's log: offset to value and batch leader epoch. */
    private static Map<Long, Entry> contents(Node node) throws IOException {
        PartitionLog log = node.log;
        Map<Long, Entry> out = new TreeMap<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            Records read = log.read(offset, Integer.MAX_VALUE, Long.MAX_VALUE, true);
            long next = offset;
            for (RecordBatch batch : read.batches()) {
                for (Record record : batch) {
                    byte[] value = new byte[record.valueSize()];
                    record.value().get(value);
                    out.put(record.offset(), new Entry(new String(value, StandardCharsets.UTF_8),
                            batch.partitionLeaderEpoch()));
                }
                next = batch.nextOffset();
            }
            if (next == offset) {
                throw new IOException("no progress reading " + TP + " of broker " + node.id + " at " + offset);
            }
            offset = next;
        }
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
