package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.brook.metadata.quorum.QuorumCluster.await;
import static io.brook.metadata.quorum.QuorumCluster.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A voter killed with SIGKILL while it commits entries and takes snapshots resumes on the same storage
 * without repair: every entry it reported committed is there again, in order, and it commits new ones.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class QuorumCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aVoterKilledMidWriteResumesWithEveryCommittedEntry() throws Exception {
        int port = QuorumCluster.freePort();
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", QuorumCrashChild.class.getName(),
                dir.toString(), Integer.toString(port))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int killedAfter = 2 * QuorumCrashChild.SNAPSHOT_EVERY + 40;
        try {
            await("the child committed " + killedAfter + " entries; stderr: " + tail(err), WAIT,
                    () -> committed(out).size() >= killedAfter || !child.isAlive());
            assertTrue(child.isAlive(), "the child died on its own: " + tail(err));
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        }
        List<String> reported = committed(out);
        assertTrue(reported.size() >= killedAfter);

        QuorumConfig config = QuorumConfig.builder(1, dir.resolve("quorum")).voters("1@127.0.0.1:" + port).build();
        RecordingListener owner = new RecordingListener(dir.resolve("owner"));
        try (RaftQuorum quorum = new RaftQuorum(config, owner, null)) {
            quorum.start();
            await("leader after the restart", WAIT, quorum::isLeader);
            await("every reported entry replayed", WAIT, () -> owner.payloads().size() >= reported.size());
            List<String> replayed = owner.payloads();
            assertEquals(reported, replayed.subList(0, reported.size()), "committed entries in order");
            for (int i = 0; i < replayed.size(); i++) {
                assertEquals("k-" + i, replayed.get(i), "no gap and no duplicate");
            }
            Committed next = quorum.propose(bytes("after-restart")).get(30, TimeUnit.SECONDS);
            assertTrue(next.index() > 0);
            await("the new entry follows", WAIT, () -> owner.payloads().contains("after-restart"));
            assertTrue(owner.violations.isEmpty(), owner.violations.toString());
        }
    }

    private static List<String> committed(Path out) {
        try {
            if (!Files.exists(out)) {
                return List.of();
            }
            // a line cut by the kill has no newline yet: only whole lines count
            String text = Files.readString(out, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : text.substring(0, end + 1).lines()
                    .filter(l -> l.startsWith("committed ")).map(l -> l.substring("committed ".length())).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String tail(Path file) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.substring(Math.max(0, text.length() - 2000)).replace(File.separatorChar == '/' ? "\r" : "", "");
        } catch (IOException e) {
            return e.toString();
        }
    }
}
