package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One started cluster of the three combined nodes ({@link BrookCluster#combined}) for every test class of the
 * surefire fork that asks for the same settings, instead of one per class or per test: a start and its election cost
 * 10-15 s on a loaded machine, more than some tests. For classes whose tests use their own topics, groups and
 * transactional ids, and may kill, stop, pause or restart nodes: before each test every node that does not run is
 * started again (a paused one resumed), and the test waits until the live nodes agree on an active controller and
 * every broker is registered and unfenced, so a test that failed half-way through a fault does not fail the next
 * ones. A cluster that cannot be made whole that way is stopped and replaced by a fresh one.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
 * }</pre>
 *
 * <p>The clients a class made through the cluster are closed after the class; the nodes are stopped and their
 * directory removed when the fork's tests end (JUnit's root store). Their output stays in
 * {@code target/server-logs/cluster-*}. Not thread-safe: JUnit runs one class, and one test, at a time here.
 */
final class SharedCluster implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    /**
     * The settings of the replication classes' cluster ({@code ReplicationTest}, {@code ReassignmentTest},
     * {@code CoordinatorFailoverTest}, {@code ReplicationThrottleTest}): a follower that stops fetching leaves the ISR
     * after 6 s (Kafka's default is 30 s), and a replication throttle's rate is measured over two 1 s samples, so it
     * reacts within seconds (Kafka's 11 would let a 10 s burst by; it matters only where a throttle is set).
     */
    static final Map<String, String> REPLICATION = Map.of("replica.lag.time.max.ms", "6000",
            "replication.quota.window.num", "2");
    /** Starting the missing nodes, their election and their registration, on a loaded 2-core machine. */
    private static final Duration WHOLE = Duration.ofSeconds(120);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedCluster.class);

    private final Map<String, String> overrides;
    private Holder holder;

    /** A shared cluster with {@code overrides} on every node, on top of {@link BrookCluster}'s settings. */
    SharedCluster(Map<String, String> overrides) {
        this.overrides = Map.copyOf(new TreeMap<>(overrides));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        holder = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(overrides, key -> new Holder(overrides),
                Holder.class);
        if (holder.cluster == null) { // the first class of the fork to ask: a @BeforeAll of it may use it already
            holder.ensureWhole();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        holder.ensureWhole();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (holder != null && holder.cluster != null) {
            holder.cluster.closeClients();
        }
    }

    /** The cluster, whole at the start of every test of the class. */
    BrookCluster cluster() {
        return holder.cluster;
    }

    /** The fork's cluster of one set of settings: started on first use, stopped when JUnit closes its root store. */
    private static final class Holder implements ExtensionContext.Store.CloseableResource {
        private final Map<String, String> overrides;
        private Path work;
        private BrookCluster cluster;

        Holder(Map<String, String> overrides) {
            this.overrides = overrides;
        }

        /** Starts the cluster, or brings back whatever nodes the last test left down; waits until it is whole. */
        void ensureWhole() throws Exception {
            if (cluster == null) {
                start();
                return;
            }
            try {
                cluster.healNetwork();
                for (int id : cluster.nodeIds()) {
                    if (cluster.node(id).running() && cluster.node(id).paused()) {
                        cluster.resume(id);
                    }
                }
                cluster.startAll();
                awaitWhole();
            } catch (Exception | AssertionError e) {
                System.err.println("[shared cluster] could not make the cluster whole again, starting a new one: "
                        + e);
                stop();
                start();
            }
        }

        private void start() throws Exception {
            work = Files.createTempDirectory("brook-cluster-");
            cluster = BrookCluster.combined(work.toFile(), overrides);
            cluster.startAll();
            awaitWhole();
        }

        /** An active controller every node names, and every broker registered, unfenced and listed by every node. */
        private void awaitWhole() throws Exception {
            cluster.awaitActiveController(WHOLE);
            Set<Integer> brokers = cluster.nodeIds().stream().filter(id -> cluster.node(id).isBroker())
                    .collect(Collectors.toCollection(TreeSet::new));
            for (int id : brokers) {
                cluster.await("node " + id + " listing every broker " + brokers, WHOLE, () -> {
                    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                            cluster.node(id).bootstrap(), AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
                            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000))) {
                        return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
                                .map(org.apache.kafka.common.Node::id).collect(Collectors.toSet()).equals(brokers);
                    }
                });
            }
        }

        private void stop() {
            try {
                if (cluster != null) {
                    cluster.close();
                }
            } catch (Exception | AssertionError e) {
                System.err.println("[shared cluster] stopping: " + e);
            } finally {
                cluster = null;
                if (work != null) {
                    delete(work);
                    work = null;
                }
            }
        }

        @Override
        public void close() {
            stop();
        }

        private static void delete(Path root) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                System.err.println("[shared cluster] could not remove " + root + ": " + e);
            }
        }
    }
}
