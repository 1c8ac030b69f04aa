package io.brook.tests;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One {@code bin/brook server} ({@link BrookFixture}) for every test of a class, instead of one per test: a start
 * costs seconds, a test often less. For classes whose tests each use their own topics, groups and transactional
 * ids, so that they cannot see each other's data. A test may still stop, kill, restart or SIGSTOP the server:
 * before each test the server is made to serve again ({@link BrookFixture#ensureRunning}), so a test that failed
 * half-way through a crash does not fail the next ones.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SharedBrook SHARED = new SharedBrook(Map.of());
 * }</pre>
 *
 * <p>The data directory is a temporary directory removed after the class (as {@code @TempDir}'s); the server's
 * output stays in {@code target/server-logs/}. Not thread-safe: JUnit runs a class's tests one at a time here.
 */
final class SharedBrook implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private final Map<String, String> overrides;
    private Path dataDir;
    private BrookFixture brook;

    /** A shared server with {@code overrides} on top of {@link BrookFixture}'s settings. */
    SharedBrook(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dataDir = Files.createTempDirectory("brook-shared-");
        brook = new BrookFixture(dataDir.toFile(), overrides);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        brook.ensureRunning();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (brook != null) {
                if (brook.running()) {
                    brook.resume(); // the last test may have left it SIGSTOPped: it could not stop
                }
                brook.close();
            }
        } finally {
            brook = null;
            if (dataDir != null) {
                delete(dataDir);
            }
        }
    }

    /** The class's server (running at the start of every test). */
    BrookFixture brook() {
        return brook;
    }

    /** The server's data directory ({@code log.dirs}). */
    File dataDir() {
        return dataDir.toFile();
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
