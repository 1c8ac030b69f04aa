package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LogDirNotFoundException;
import org.apache.kafka.common.errors.ReplicaNotAvailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Moving a partition's log to another directory (AlterReplicaLogDirs) and crashes in the middle of a move. */
class LogMoveTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    File root;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final LogConfig cfg = config(Map.of("segment.bytes", "300"));

    private List<File> dirs() {
        return List.of(new File(root, "d1"), new File(root, "d2"));
    }

    private LogManager open() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        manager.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID);
        return manager;
    }

    /** A log of {@code n} values in the first directory, in several segments and two leader epochs. */
    private PartitionLog logInFirstDir(LogManager manager, int n, List<String> written) throws IOException {
        PartitionLog log = manager.dirs().get(0).getOrCreate(TP, LogFixtures.TOPIC_ID, cfg);
        for (int i = 0; i < n; i++) {
            log.appendAsLeader(batch(time.milliseconds(), "v" + written.size()), i < n / 2 ? 0 : 1);
            written.add("v" + written.size());
        }
        return log;
    }

    private static String path(File dir) {
        return dir.getAbsolutePath();
    }

    @Test
    void aMoveCopiesWhileTheLogGrowsThenSwapsAndTheOldDirectoryGoes() throws IOException {
        LogManager manager = open();
        List<String> written = new ArrayList<>();
        PartitionLog current = logInFirstDir(manager, 40, written);
        assertTrue(current.segmentCount() > 3, "several segments to copy");

        FutureLog move = manager.startMove(TP, path(dirs().get(1)));
        assertNotNull(move);
        assertSame(move, manager.startMove(TP, path(dirs().get(1))), "asking again keeps the running move");
        assertTrue(move.dir().getName().matches("t-0\\.[0-9a-f]{32}-future"), move.dir().getName());
        assertFalse(manager.copyStep(move, 200), "one small step does not reach the end");
        assertTrue(move.offsetLag() > 0);
        current.appendAsLeader(batch(time.milliseconds(), "v" + written.size()), 2); // producers keep writing
        written.add("v" + written.size());
        current.advanceLogStartOffset(3); // and DeleteRecords moves the log start
        for (int i = 0; i < 100 && !manager.copyStep(move, 200); i++) {
            // the mover's steps
        }
        assertEquals(0, move.offsetLag());
        current.appendAsLeader(batch(time.milliseconds(), "v" + written.size()), 2); // after the copy caught up
        written.add("v" + written.size());

        PartitionLog moved = manager.promote(move);
        assertNotNull(moved);
        assertSame(moved, manager.get(TP));
        assertEquals(dirs().get(1), manager.dirOf(TP).logDir());
        assertNull(manager.future(TP));
        assertFalse(new File(dirs().get(0), "t-0").exists(), "the old replica is gone");
        assertTrue(new File(dirs().get(1), "t-0").isDirectory());
        assertEquals(current.logEndOffset(), moved.logEndOffset());
        assertEquals(3, moved.logStartOffset());
        assertEquals(current.epochCache().entries(), moved.epochCache().entries());
        assertEquals(written.subList(3, written.size()), values(LogFixtures.readAll(moved, 3, moved.logEndOffset())));
        moved.appendAsLeader(batch(time.milliseconds(), "after"), 2);
        manager.close();

        LogManager again = open();
        assertEquals(dirs().get(1), again.dirOf(TP).logDir(), "the restart finds it in its new directory");
        List<String> all = new ArrayList<>(written.subList(3, written.size()));
        all.add("after");
        assertEquals(all, values(LogFixtures.readAll(again.get(TP), 3, again.get(TP).logEndOffset())));
        again.close();
    }

    @Test
    void aStopBeforeTheSwapResumesTheMoveFromTheCopyAtTheNextStart() throws IOException {
        LogManager manager = open();
        List<String> written = new ArrayList<>();
        logInFirstDir(manager, 20, written);
        FutureLog move = manager.startMove(TP, path(dirs().get(1)));
        manager.copyStep(move, 200);
        long copied = move.log().logEndOffset();
        assertTrue(copied > 0 && move.offsetLag() > 0, "a part of the log is copied");
        File copy = move.dir();
        manager.close(); // the copy stays on disk, as a stop in the middle of a move leaves it

        assertTrue(copy.isDirectory());
        LogManager again = open();
        assertEquals(dirs().get(0), again.dirOf(TP).logDir(), "the current log serves meanwhile");
        FutureLog resumed = again.future(TP);
        assertNotNull(resumed, "the move resumes");
        assertEquals(copy, resumed.dir());
        assertEquals(dirs().get(1), resumed.target().logDir());
        assertSame(again.get(TP), resumed.source());
        assertEquals(copied, resumed.log().logEndOffset(), "from what the copy holds, not from the start");
        again.get(TP).appendAsLeader(batch(time.milliseconds(), "v" + written.size()), 2);
        written.add("v" + written.size());
        for (int i = 0; i < 100 && !again.copyStep(resumed, 200); i++) {
            // the mover's steps
        }
        PartitionLog moved = again.promote(resumed);
        assertNotNull(moved);
        assertEquals(dirs().get(1), again.dirOf(TP).logDir());
        assertEquals(written, values(LogFixtures.readAll(moved, 0, moved.logEndOffset())));
        again.close();
    }

    @Test
    void anInterruptedMoveOfADeletedTopicOrOfAPartitionMovedAwayIsCleanedUp() throws IOException {
        LogManager manager = open();
        logInFirstDir(manager, 20, new ArrayList<>());
        FutureLog move = manager.startMove(TP, path(dirs().get(1)));
        manager.copyStep(move, 200);
        File copy = move.dir();
        manager.close();

        // the partition left this node while it was down: the replica manager deletes its log, and the copy goes too
        LogManager again = open();
        assertNotNull(again.future(TP));
        again.delete(TP);
        assertNull(again.future(TP));
        assertFalse(copy.exists(), "the copy of a partition no longer hosted is deleted");
        again.close();

        // the topic was deleted while the node was down: the copy is dropped at the start
        LogManager third = open();
        logInFirstDir(third, 20, new ArrayList<>());
        FutureLog next = third.startMove(TP, path(dirs().get(1)));
        third.copyStep(next, 200);
        File nextCopy = next.dir();
        third.close();
        LogManager fourth = new LogManager(dirs(), time, null);
        fourth.loadLogs(topic -> null, topic -> null);
        assertNull(fourth.future(TP));
        assertNull(fourth.get(TP));
        assertFalse(nextCopy.exists(), "the copy of a deleted topic is deleted");
        fourth.close();
    }

    @Test
    void aCrashBetweenTheRenamesFinishesTheMoveAtTheNextStart() throws IOException {
        LogManager manager = open();
        List<String> written = new ArrayList<>();
        logInFirstDir(manager, 20, written);
        FutureLog move = manager.startMove(TP, path(dirs().get(1)));
        while (!manager.copyStep(move, 500)) {
            assertTrue(move.offsetLag() > 0);
        }
        move.log().flush();
        manager.close();
        // the state between the swap's two renames: the old replica renamed away, the copy not yet renamed
        Files.move(new File(dirs().get(0), "t-0").toPath(), new File(dirs().get(0), "t-0.x-delete").toPath());

        LogManager again = open();
        assertEquals(dirs().get(1), again.dirOf(TP).logDir(), "the complete copy becomes the replica");
        assertEquals(written, values(LogFixtures.readAll(again.get(TP), 0, again.get(TP).logEndOffset())));
        assertEquals(List.of("t-0"), List.of(dirs().get(1).list((d, n) -> n.startsWith("t-"))));
        again.close();
    }

    @Test
    void refusesUnknownDirectoriesAndPartitionsAndIgnoresTheCurrentDirectory() throws IOException {
        LogManager manager = open();
        logInFirstDir(manager, 2, new ArrayList<>());
        assertThrows(LogDirNotFoundException.class, () -> manager.startMove(TP, path(new File(root, "d9"))));
        assertThrows(ReplicaNotAvailableException.class,
                () -> manager.startMove(new TopicPartition("t", 7), path(dirs().get(1))));
        assertNull(manager.startMove(TP, path(dirs().get(0))), "already there");

        FutureLog move = manager.startMove(TP, path(dirs().get(1)));
        manager.delete(TP); // the topic is deleted while it moves
        assertNull(manager.future(TP));
        assertFalse(move.dir().exists());
        manager.close();
    }
}
