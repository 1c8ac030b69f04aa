package io.brook.cli;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code brook cluster add-controller / remove-controller} with bad input, in process: a missing or bad node id, a
 * bad or unreachable bootstrap, and each refusal a controller can answer end in one line naming what went wrong and
 * what to do, and a non-zero exit code (2 for bad usage, 1 for a failure). The successful change:
 * {@code DynamicVotersTest} (Kafka's tool against a cluster).
 */
@Timeout(120)
class ControllerCommandsTest {
    private static final String DIRECTORY = Uuid.randomUuid().toString();

    @TempDir
    File dir;

    private record Run(int exitCode, String out, String err) {
        /** The error output, which must be one line. */
        String line() {
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "one line: " + err);
            return lines.get(0);
        }
    }

    private static Run brook(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = BrookCli.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    private static Run remove(String bootstrap, String id, String directory, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("cluster", "remove-controller",
                "--bootstrap-controller", bootstrap, "--controller-id", id, "--controller-directory-id", directory));
        args.addAll(List.of(more));
        return brook(args.toArray(String[]::new));
    }

    @Test
    void aMissingOrBadNodeIdIsBadUsage() {
        Run missing = brook("cluster", "remove-controller", "--bootstrap-controller", "localhost:9093",
                "--controller-directory-id", DIRECTORY);
        assertEquals(2, missing.exitCode(), missing.err());
        assertTrue(missing.err().lines().findFirst().orElseThrow().contains("Missing required option: "
                + "'--controller-id"), missing.err());

        Run notANumber = remove("localhost:9093", "four", DIRECTORY);
        assertEquals(2, notANumber.exitCode(), notANumber.err());
        assertTrue(notANumber.err().lines().findFirst().orElseThrow().contains("'four' is not an int"),
                notANumber.err());

        Run negative = remove("localhost:9093", "-1", DIRECTORY);
        assertEquals(2, negative.exitCode(), negative.err());
        assertEquals("brook: --controller-id takes the controller's node.id (0 or more), got -1", negative.line());

        Run badDirectory = remove("localhost:9093", "4", "not-a-uuid");
        assertEquals(2, badDirectory.exitCode(), badDirectory.err());
        assertTrue(badDirectory.line().startsWith("brook: --controller-directory-id takes a directory id"),
                badDirectory.err());
    }

    @Test
    void aControllerFileWithoutAUsableNodeIdIsBadUsage() throws IOException {
        File noId = properties("no-id.properties", "process.roles=controller\n");
        Run missing = brook("cluster", "add-controller", "--bootstrap-controller", "localhost:9093",
                "--config", noId.getPath());
        assertEquals(2, missing.exitCode(), missing.err());
        assertEquals("brook: " + noId + " has no node.id", missing.line());

        File badId = properties("bad-id.properties", "node.id=four\n");
        Run bad = brook("cluster", "add-controller", "--bootstrap-controller", "localhost:9093",
                "--config", badId.getPath());
        assertEquals(2, bad.exitCode(), bad.err());
        assertEquals("brook: " + badId + ": node.id must be a number, got 'four'", bad.line());

        File negativeId = properties("negative-id.properties", "node.id=-3\n");
        Run negative = brook("cluster", "add-controller", "--bootstrap-controller", "localhost:9093",
                "--config", negativeId.getPath());
        assertEquals(2, negative.exitCode(), negative.err());
        assertEquals("brook: " + negativeId + ": node.id must be 0 or more, got -3", negative.line());

        Run absent = brook("cluster", "add-controller", "--bootstrap-controller", "localhost:9093",
                "--config", new File(dir, "absent.properties").getPath());
        assertEquals(2, absent.exitCode(), absent.err());
        assertTrue(absent.line().startsWith("brook: cannot read --config "), absent.err());
    }

    @Test
    void aBadBootstrapIsBadUsageAndAnUnreachableOneSaysWhatToCheck() throws IOException {
        Run noPort = remove("localhost", "4", DIRECTORY);
        assertEquals(2, noPort.exitCode(), noPort.err());
        assertTrue(noPort.line().startsWith("brook: --bootstrap-controller takes host:port of a controller listener"),
                noPort.err());

        String closed = "localhost:" + closedPort();
        Run unreachable = remove(closed, "4", DIRECTORY, "--timeout-ms", "2000");
        assertEquals(1, unreachable.exitCode(), unreachable.err());
        String line = unreachable.line();
        assertTrue(line.startsWith("brook: removing controller 4 failed: no controller answered at " + closed), line);
        assertTrue(line.contains("Is the controller running"), line);

        Run zero = remove(closed, "4", DIRECTORY, "--timeout-ms", "0");
        assertEquals(2, zero.exitCode(), zero.err());
        assertEquals("brook: --timeout-ms must be positive, got 0", zero.line());
    }

    /**
     * A controller's refusal, as the admin client reports it (Kafka's exception for the answer's error code and
     * message): one line each, naming the problem and what to do.
     */
    @Test
    void eachRefusalOfTheControllerIsOneLineWithWhatToDo() {
        String what = "removing controller 4";
        String bootstrap = "localhost:19093";
        assertExplained(Errors.VOTER_NOT_FOUND, "node 4 is not a voter of the metadata quorum [1, 2, 3]",
                "no such voter, or it is the last one", "--controller-id and --controller-directory-id");
        assertExplained(Errors.DUPLICATE_VOTER, "node 4 is already a voter of the metadata quorum [1, 2, 3, 4]",
                "already a voter", "describe --status");
        assertExplained(Errors.REQUEST_TIMED_OUT, "adding voter 4 did not complete within 60000 ms",
                "did not complete in time", "then retry");
        assertExplained(Errors.NOT_LEADER_OR_FOLLOWER, "node 2 is not the active controller",
                "no active controller right now", "retry once");
        assertExplained(Errors.INVALID_REQUEST, "the new voter 4 names no endpoint on the controller listener C",
                "the controller refused it", "names no endpoint");
        assertExplained(Errors.UNSUPPORTED_VERSION, "unsupported", "does not take voter changes",
                "controller listener");
        assertExplained(Errors.INCONSISTENT_CLUSTER_ID, "the request is for cluster x", "another cluster",
                "cluster x");
        assertFalse(ControllerCommands.explain(Errors.REQUEST_TIMED_OUT.exception("Timed out waiting for a node "
                + "assignment. Call: removeRaftVoter"), bootstrap, what).contains("did not complete"),
                "the client's own timeout means no controller answered");
    }

    private static void assertExplained(Errors error, String message, String... expected) {
        String line = ControllerCommands.explain(error.exception(message), "localhost:19093", "removing controller 4");
        assertTrue(line.startsWith("removing controller 4 "), line);
        assertFalse(line.contains("\n"), line);
        for (String part : expected) {
            assertTrue(line.contains(part), error + ": '" + part + "' in " + line);
        }
    }

    private File properties(String name, String text) throws IOException {
        File file = new File(dir, name);
        Files.writeString(file.toPath(), text);
        return file;
    }

    /** A port nobody listens on (bound, then closed). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
