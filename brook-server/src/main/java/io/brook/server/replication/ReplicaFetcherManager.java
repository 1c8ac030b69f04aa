package io.brook.server.replication;

import io.brook.server.partition.Partition;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The follower side of this node: one {@link ReplicaFetcher} thread per leader broker this node follows
 * partitions of, started when the first partition of that leader arrives and stopped when its last one leaves.
 *
 * <p>Thread-safety: all methods synchronize; they are called by the metadata publisher and at shutdown.
 */
public final class ReplicaFetcherManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcherManager.class);
    private static final long JOIN_MS = 5_000;

    /** Opens a link to a leader broker (its inter-broker endpoint, as the metadata lists it now). */
    public interface LinkFactory {
        BrokerLink connect(int leaderId);
    }

    private final int nodeId;
    private final LinkFactory links;
    private final LongSupplier brokerEpoch;
    private final ReplicaFetcher.Throttle throttle;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<Integer, Thread> threads = new HashMap<>();
    /** Which leader each followed partition is fetched from. */
    private final Map<TopicPartition, Integer> leaders = new HashMap<>();
    private boolean closed;

    public ReplicaFetcherManager(int nodeId, LinkFactory links, LongSupplier brokerEpoch) {
        this(nodeId, links, brokerEpoch, ReplicaFetcher.Throttle.NONE);
    }

    /** @param throttle the follower replication throttle the fetchers keep to */
    public ReplicaFetcherManager(int nodeId, LinkFactory links, LongSupplier brokerEpoch,
                                 ReplicaFetcher.Throttle throttle) {
        this.nodeId = nodeId;
        this.links = links;
        this.brokerEpoch = brokerEpoch;
        this.throttle = throttle;
    }

    /** Follows {@code partition} from {@code leaderId} in {@code leaderEpoch} (truncating first). */
    public synchronized void follow(Partition partition, int leaderId, int leaderEpoch) {
        if (closed) {
            return;
        }
        TopicPartition tp = partition.topicPartition();
        Integer previous = leaders.put(tp, leaderId);
        if (previous != null && previous != leaderId) {
            removeFrom(previous, tp);
        }
        ReplicaFetcher fetcher = fetchers.get(leaderId);
        if (fetcher == null) {
            fetcher = new ReplicaFetcher(nodeId, leaderId, links.connect(leaderId), brokerEpoch, throttle);
            Thread thread = new Thread(fetcher, "brook-replica-fetcher-" + leaderId);
            thread.setDaemon(true);
            fetchers.put(leaderId, fetcher);
            threads.put(leaderId, thread);
            thread.start();
            log.info("Started fetching from broker {}", leaderId);
        }
        fetcher.add(partition, leaderEpoch);
    }

    /** Stops following {@code tp} (this node leads it now, it has no leader, or it is gone). */
    public synchronized void unfollow(TopicPartition tp) {
        Integer leader = leaders.remove(tp);
        if (leader != null) {
            removeFrom(leader, tp);
        }
    }

    public synchronized boolean follows(TopicPartition tp) {
        return leaders.containsKey(tp);
    }

    private void removeFrom(int leaderId, TopicPartition tp) {
        ReplicaFetcher fetcher = fetchers.get(leaderId);
        if (fetcher == null) {
            return;
        }
        fetcher.remove(tp);
        if (fetcher.isEmpty()) {
            fetchers.remove(leaderId);
            threads.remove(leaderId);
            fetcher.shutdown(); // never an interrupt: one during a file write would close the log's channel
            log.info("Stopped fetching from broker {}: no partition of it left", leaderId);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        fetchers.forEach((id, fetcher) -> fetcher.shutdown());
        for (Thread t : threads.values()) {
            try {
                t.join(JOIN_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fetchers.clear();
        threads.clear();
        leaders.clear();
    }
}
