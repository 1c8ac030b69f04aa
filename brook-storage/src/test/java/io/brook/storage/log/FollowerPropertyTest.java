package io.brook.storage.log;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import io.brook.storage.producer.ProducerStateTable;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static io.brook.storage.log.Replication.assertSameFiles;
import static io.brook.storage.log.Replication.assertSameState;
import static io.brook.storage.log.Replication.catchUp;
import static io.brook.storage.log.Replication.fetch;

/**
 * Two replicas under random work: the leader takes plain, idempotent and transactional batches and
 * COMMIT/ABORT markers; the follower fetches with random byte limits (batches cut in two), sometimes
 * truncates (to a high watermark, say) and fetches again; sometimes the follower becomes leader with a
 * new epoch while the old leader has batches it never replicated, and the old leader truncates by
 * OffsetForLeaderEpoch (the divergent tail) before following. Once the follower has caught up, both
 * logs hold the same segment files, leader epochs, producer state and transaction index.
 */
class FollowerPropertyTest {
    private static final long[] TXN_PRODUCERS = {1, 2, 3};
    private static final long[] IDEMPOTENT_PRODUCERS = {100, 101};

    @Property(tries = 40)
    void leaderAndFollowerStayEqual(@ForAll long seed) throws IOException {
        File dir = Files.createTempDirectory("brook-follower").toFile();
        try {
            run(new Random(seed), dir);
        } finally {
            LogFixtures.deleteRecursively(dir);
        }
    }

    private void run(Random random, File dir) throws IOException {
        Map<String, String> settings = new HashMap<>(Map.of(
                "segment.bytes", String.valueOf(512 + random.nextInt(4096)),
                "index.interval.bytes", String.valueOf(1 + random.nextInt(512))));
        if (random.nextBoolean()) {
            settings.put("segment.ms", "30000");
        }
        if (random.nextInt(3) == 0) { // indexes that fill up roll segments too
            settings.put("segment.index.bytes", String.valueOf(24 + random.nextInt(200)));
        }
        LogConfig config = LogFixtures.config(settings);
        ManualTime time = new ManualTime(1_700_000_000_000L);
        try (PartitionLog a = LogFixtures.open(new File(dir, "a"), config, time);
             PartitionLog b = LogFixtures.open(new File(dir, "b"), config, time)) {
            PartitionLog leader = a;
            PartitionLog follower = b;
            int epoch = 0;
            boolean truncated = false;
            // a third of the runs never truncate: there the segment files and indexes must be the leader's
            int opRange = random.nextInt(3) == 0 ? 85 : 100;
            int steps = 40 + random.nextInt(120);
            for (int step = 0; step < steps; step++) {
                int op = random.nextInt(opRange);
                if (op < 40) {
                    leader.appendAsLeader(dataBatch(random, leader, time.milliseconds()), epoch);
                } else if (op < 52) {
                    long producerId = TXN_PRODUCERS[random.nextInt(TXN_PRODUCERS.length)];
                    leader.appendMarker(producerId, (short) 0, 0, random.nextBoolean(), epoch);
                } else if (op < 85) {
                    if (follower.logEndOffset() < leader.logEndOffset()) {
                        follower.appendAsFollower(fetch(leader, follower.logEndOffset(), 1 + random.nextInt(2000)));
                    }
                } else if (op < 92) {
                    truncated = true;
                    long start = follower.logStartOffset();
                    follower.truncateTo(start + (long) (random.nextDouble() * (follower.logEndOffset() - start + 1)));
                } else {
                    // the follower is elected with a new epoch; the old leader follows after truncating its tail
                    PartitionLog deposed = leader;
                    leader = follower;
                    follower = deposed;
                    epoch++;
                    truncated = true;
                    truncateByLeaderEpoch(leader, follower);
                }
                time.advance(random.nextInt(15_000));
            }
            catchUp(leader, follower, 1 + random.nextInt(5000));
            assertSameState(leader, follower, !truncated);
            if (!truncated) { // the same batches in the same order: the same segments and indexes
                assertSameFiles(leader.dir(), follower.dir(), name -> name.endsWith(".index")
                        || name.endsWith(".timeindex") || name.endsWith(".txnindex"));
            }
        }
    }

    /** KIP-279: truncate to the smaller of the leader's and our own end offset of the newest common epoch. */
    private static void truncateByLeaderEpoch(PartitionLog leader, PartitionLog follower) throws IOException {
        EpochEntry theirs = leader.epochCache().endOffsetFor(follower.latestEpoch(), leader.logEndOffset());
        if (theirs.epoch() < 0) {
            follower.truncateTo(0);
            return;
        }
        EpochEntry ours = follower.epochCache().endOffsetFor(theirs.epoch(), follower.logEndOffset());
        follower.truncateTo(Math.min(theirs.startOffset(), ours.startOffset()));
    }

    private static MemoryRecords dataBatch(Random random, PartitionLog leader, long now) {
        int count = 1 + random.nextInt(4);
        SimpleRecord[] records = new SimpleRecord[count];
        for (int i = 0; i < count; i++) {
            records[i] = LogFixtures.record(now, "k" + random.nextInt(10), "v".repeat(random.nextInt(150)));
        }
        switch (random.nextInt(3)) {
            case 0:
                return MemoryRecords.withRecords(Compression.NONE, records);
            case 1: {
                long producerId = IDEMPOTENT_PRODUCERS[random.nextInt(IDEMPOTENT_PRODUCERS.length)];
                return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0,
                        nextSequence(leader, producerId), records);
            }
            default: {
                long producerId = TXN_PRODUCERS[random.nextInt(TXN_PRODUCERS.length)];
                return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, (short) 0,
                        nextSequence(leader, producerId), records);
            }
        }
    }

    /** The sequence the leader expects next from {@code producerId}, as a client that knows it would send. */
    private static int nextSequence(PartitionLog leader, long producerId) {
        for (ProducerStateTable.ProducerSummary p : leader.activeProducers()) {
            if (p.producerId() == producerId) {
                return p.lastSequence() + 1;
            }
        }
        return 0;
    }
}
