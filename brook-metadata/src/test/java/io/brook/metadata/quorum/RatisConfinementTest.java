package io.brook.metadata.quorum;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Architecture rule: Apache Ratis appears only in {@code io.brook.metadata.quorum}. Scans the main sources of
 * every module of the repository for the text {@code org.apache.ratis} (imports and fully qualified names).
 */
class RatisConfinementTest {
    private static final String RATIS = "org.apache.ratis";
    private static final String QUORUM_PACKAGE = Paths.get("io", "brook", "metadata", "quorum").toString();

    @Test
    void onlyTheQuorumPackageUsesRatis() throws IOException {
        Path repo = repositoryRoot();
        List<Path> mainSources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(repo)) {
            for (Path module : modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).toList()) {
                try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(mainSources::add);
                }
            }
        }
        List<String> offenders = new ArrayList<>();
        int quorumFilesUsingRatis = 0;
        for (Path source : mainSources) {
            if (!Files.readString(source, StandardCharsets.UTF_8).contains(RATIS)) {
                continue;
            }
            if (repo.relativize(source).getParent().toString().endsWith(QUORUM_PACKAGE)) {
                quorumFilesUsingRatis++;
            } else {
                offenders.add(repo.relativize(source).toString());
            }
        }
        assertTrue(mainSources.size() > 100, "scanned the whole repository, found " + mainSources.size() + " sources");
        assertTrue(quorumFilesUsingRatis > 0, "the scan sees the quorum package's own use of Ratis");
        assertEquals(List.of(), offenders, "only " + QUORUM_PACKAGE + " may use " + RATIS);
    }

    /** The directory holding the parent pom, above this module's directory (Surefire's working directory). */
    private static Path repositoryRoot() throws IOException {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom) && Files.readString(pom).contains("<artifactId>brook-parent</artifactId>")
                    && Files.isDirectory(dir.resolve("brook-metadata"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no brook-parent pom above " + Paths.get("").toAbsolutePath());
    }
}
