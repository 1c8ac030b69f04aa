package io.brook.server.node;

import io.brook.server.node.InitialControllers.FormatRequest;
import io.brook.server.node.InitialControllers.FormattedNode;
import io.brook.server.node.InitialControllers.Voter;
import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The initial voters of a dynamic quorum: Kafka's {@code --initial-controllers} syntax, what {@code brook storage format}
 * accepts and refuses with {@code --standalone}, {@code --initial-controllers} and {@code --no-initial-controllers},
 * the file, and the metadata directory's id taken from the list.
 */
class InitialControllersTest {
    private static final Uuid D1 = Uuid.fromString("MvDxzVmcRsaTz33bUuRiZg");
    private static final Uuid D2 = Uuid.fromString("K1nR0VhMRWO7C1sByqwD0A");
    private static final Uuid D3 = Uuid.fromString("gJjUw6Wy2RmU1VfQ9DyRmQ");
    private static final String THREE = "1@localhost:19093:" + D1 + ",2@localhost:29093:" + D2 + ",3@[::1]:39093:" + D3;
    @TempDir
    File tmp;

    /** A combined or controller node 1 of a dynamic quorum, its controller listener on localhost:19093. */
    private static FormattedNode controller(int id, int port) {
        return new FormattedNode(id, true, false, true, "localhost", port, port);
    }

    @Test
    void parsesKafkasSyntax() throws Exception {
        InitialControllers parsed = InitialControllers.parse(THREE);
        assertEquals(List.of(new Voter(1, "localhost", 19093, D1), new Voter(2, "localhost", 29093, D2),
                new Voter(3, "::1", 39093, D3)), parsed.voters());
        assertEquals(THREE, parsed.toString(), "written back as given");
        assertEquals(InetSocketAddress.createUnresolved("::1", 39093), parsed.addresses().get(3));
        assertEquals(Optional.of(new Voter(2, "localhost", 29093, D2)), parsed.voter(2));
        assertTrue(parsed.voter(4).isEmpty());
        assertEquals(parsed, InitialControllers.parse(" " + THREE.replace(",", " , ") + ","), "blanks ignored");
    }

    @Test
    void badListsAreOneLineErrors() {
        for (String bad : List.of("", "localhost:9093:" + D1, "x@localhost:9093:" + D1, "1@localhost:" + D1,
                "1@:9093:" + D1, "1@localhost:70000:" + D1, "1@localhost:9093", "1@localhost:9093:not-an-id",
                "1@localhost:9093:" + DirectoryId.LOST, "1@a:1:" + D1 + ",1@b:2:" + D2, "1@a:1:" + D1 + ",2@b:2:" + D1)) {
            MetaPropertiesException e = assertThrows(MetaPropertiesException.class, () -> InitialControllers.parse(bad),
                    bad);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("--initial-controllers"), e.getMessage());
        }
    }

    @Test
    void writtenAndReadBack() throws Exception {
        assertNull(InitialControllers.read(tmp));
        InitialControllers three = InitialControllers.parse(THREE);
        three.write(tmp);
        assertEquals(three, InitialControllers.read(tmp));
        assertFalse(new File(tmp, InitialControllers.FILE_NAME + ".tmp").exists());
    }

    @Test
    void standaloneMakesThisControllerTheOnlyVoter() throws Exception {
        Optional<InitialControllers> planned = InitialControllers.planFormat(controller(1, 19093),
                new FormatRequest(true, null, false), D1);
        assertEquals(List.of(new Voter(1, "localhost", 19093, D1)), planned.orElseThrow().voters());
        // its endpoint must be one the other controllers can reach
        MetaPropertiesException noHost = assertThrows(MetaPropertiesException.class, () -> InitialControllers
                .planFormat(new FormattedNode(1, true, false, true, "0.0.0.0", 19093, 19093),
                        new FormatRequest(true, null, false), D1));
        assertTrue(noHost.getMessage().contains("advertise one"), noHost.getMessage());
    }

    @Test
    void initialControllersAreKeptByControllersOnly() throws Exception {
        FormatRequest request = new FormatRequest(false, THREE, false);
        assertEquals(InitialControllers.parse(THREE), InitialControllers.planFormat(controller(2, 29093), request, D3)
                .orElseThrow());
        // a controller that is not listed keeps the list and joins (an observer until added)
        assertTrue(InitialControllers.planFormat(controller(4, 49093), request, D3).isPresent());
        // a broker formatted with the same command keeps nothing: it learns the voters from its bootstrap servers
        FormattedNode broker = new FormattedNode(7, false, false, true, null, -1, -1);
        assertEquals(Optional.empty(), InitialControllers.planFormat(broker, request, D3));
        // --no-initial-controllers: a controller that joins; the same for a broker
        assertEquals(Optional.empty(), InitialControllers.planFormat(controller(4, 49093),
                new FormatRequest(false, null, true), D3));
        assertEquals(Optional.empty(), InitialControllers.planFormat(broker, FormatRequest.NONE, D3));
    }

    @Test
    void refusals() {
        Map<String, Object[]> cases = Map.of(
                "exclude each other", new Object[] {controller(1, 19093), new FormatRequest(true, THREE, false)},
                "exclude each other ", new Object[] {controller(1, 19093), new FormatRequest(true, null, true)},
                "so give one of --standalone", new Object[] {controller(1, 19093), FormatRequest.NONE},
                "its quorum is static", new Object[] {new FormattedNode(1, true, true, false, "localhost", 19093,
                        19093), new FormatRequest(true, null, false)},
                "its quorum is static ", new Object[] {new FormattedNode(1, true, true, false, "localhost", 19093,
                        19093), new FormatRequest(false, THREE, false)},
                "is no controller", new Object[] {new FormattedNode(7, false, false, true, null, -1, -1),
                        new FormatRequest(true, null, false)},
                "is no controller ", new Object[] {new FormattedNode(1, false, false, true, null, -1, -1),
                        new FormatRequest(false, THREE, false)},
                "they must be the same", new Object[] {controller(1, 19094), new FormatRequest(false, THREE, false)});
        cases.forEach((expected, args) -> {
            MetaPropertiesException e = assertThrows(MetaPropertiesException.class, () -> InitialControllers
                    .planFormat((FormattedNode) args[0], (FormatRequest) args[1], D1), expected);
            String message = e.getMessage();
            assertTrue(message.contains(expected.trim().replace("its quorum is static",
                    "this node's quorum is static")), expected + " in: " + message);
            assertFalse(message.contains("\n"), message);
        });
    }

    @Test
    void theMetadataDirectoryGetsItsIdFromTheList() throws Exception {
        File data = new File(tmp, "data");
        File metadata = new File(tmp, "metadata");
        java.util.Map<File, MetaProperties> files = new java.util.LinkedHashMap<>();
        files.put(data, null);
        files.put(metadata, null);
        // both new: the metadata directory takes the given id, the data directory a fresh one (never the same)
        var plan = new MetaDirectories(files).planFormat("MkU3OEVBNTcwNTJENDM2Qg", 1, false, DirectoryId::random,
                new File(tmp, "./metadata"), D1);
        assertEquals(D1, plan.writes().get(metadata).directoryId());
        assertFalse(plan.writes().get(data).directoryId() == null);
        assertFalse(D1.equals(plan.writes().get(data).directoryId()));
        // an already formatted metadata directory with another id, skipped with --ignore-formatted: refused
        files.put(metadata, MetaProperties.of("MkU3OEVBNTcwNTJENDM2Qg", 1, D2));
        MetaPropertiesException other = assertThrows(MetaPropertiesException.class, () -> new MetaDirectories(files)
                .planFormat("MkU3OEVBNTcwNTJENDM2Qg", 1, true, DirectoryId::random, metadata, D1));
        assertTrue(other.getMessage().contains("already formatted with the directory id " + D2), other.getMessage());
        // another directory already holds the id the list gives the metadata directory: refused
        files.put(metadata, null);
        files.put(data, MetaProperties.of("MkU3OEVBNTcwNTJENDM2Qg", 1, D1));
        MetaPropertiesException taken = assertThrows(MetaPropertiesException.class, () -> new MetaDirectories(files)
                .planFormat("MkU3OEVBNTcwNTJENDM2Qg", 1, true, DirectoryId::random, metadata, D1));
        assertTrue(taken.getMessage().contains("already has the directory id " + D1), taken.getMessage());
    }
}
