package io.brook.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * For the restart row of side-by-side.sh: polls a server that is starting until it answers
 * ListOffsets for {@code topic}-0 with {@code endOffset} (its data is loaded), then prints the
 * milliseconds since the server process was launched. It is started (and its client set up)
 * before the server: it waits for {@code launchFile} to appear, which holds the launch time in
 * epoch milliseconds (written elsewhere and renamed into place), so its own start-up is not counted.
 *
 * <p>Usage: {@code WaitReady <bootstrap> <topic> <endOffset> <launchFile>}
 */
public final class WaitReady {
    private static final long POLL_MS = 20;
    private static final long GIVE_UP_MS = 600_000;

    private WaitReady() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        TopicPartition tp = new TopicPartition(args[1], 0);
        long endOffset = Long.parseLong(args[2]);
        java.nio.file.Path launchFile = java.nio.file.Path.of(args[3]);
        Map<String, Object> props = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 1000,
                AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 10,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 20);
        try (Admin admin = Admin.create(props)) {
            System.out.println("waiting");
            System.out.flush();
            long waitedMs = 0;
            while (!java.nio.file.Files.exists(launchFile) && waitedMs < GIVE_UP_MS) {
                Thread.sleep(1);
                waitedMs++;
            }
            long startMs = Long.parseLong(java.nio.file.Files.readString(launchFile).trim());
            while (System.currentTimeMillis() - startMs < GIVE_UP_MS) {
                try {
                    long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)
                            .get(1, TimeUnit.SECONDS).offset();
                    if (end == endOffset) {
                        System.out.println(System.currentTimeMillis() - startMs);
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                Thread.sleep(POLL_MS);
            }
        }
        throw new IllegalStateException("the server did not serve " + tp + " up to " + endOffset);
    }
}
