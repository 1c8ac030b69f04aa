package io.brook.metadata.quorum;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A single voter in a process of its own for {@link QuorumCrashTest}: proposes entries one after another,
 * snapshots every {@link #SNAPSHOT_EVERY} entries and prints {@code committed <payload>} once an entry is
 * committed, until it is killed.
 */
public final class QuorumCrashChild {
    static final int SNAPSHOT_EVERY = 150;

    private QuorumCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        QuorumConfig config = QuorumConfig.builder(1, root.resolve("quorum")).voters("1@127.0.0.1:" + port).build();
        RaftQuorum quorum = new RaftQuorum(config, new RecordingListener(root.resolve("owner")), null);
        quorum.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!quorum.isLeader()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leader");
            }
            Thread.sleep(5);
        }
        for (int i = 0; ; i++) {
            String payload = "k-" + i;
            quorum.propose(QuorumCluster.bytes(payload)).get(30, TimeUnit.SECONDS);
            System.out.println("committed " + payload);
            System.out.flush();
            if (i % SNAPSHOT_EVERY == SNAPSHOT_EVERY - 1) {
                quorum.takeSnapshot().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
