package io.brook.tests;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kafka-clients of other versions, each in its own JVM so versions do not clash: the version is
 * resolved from Maven Central by compat/java-clients/pom.xml and runs compat/java-clients/RoundTrip.java
 * (admin, idempotent producer, consumer group with commits, transactions). Older clients send older API
 * versions, which Brook must answer.
 */
class OlderJavaClientsTest {
    private static final File ROOT = new File("..").getAbsoluteFile();
    private static final File COMPAT = new File(ROOT, "compat/java-clients");
    /** One server for every version: each run uses topics, groups and transactional ids named after its version. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());

    private static String run(List<String> command, File dir) throws Exception {
        return Processes.run(new ProcessBuilder(command).directory(dir), null, Duration.ofSeconds(300));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.8.2", "3.6.2", "3.9.1", "4.3.1"})
    @Compat({"Java {0}: produce and consume (keys, values, headers)", "Java {0}: admin: topics",
            "Java {0}: transactions commit/abort", "Java {0}: read_committed"})
    void roundTripWithClientsOfVersion(String version) throws Exception {
        File classpathFile = new File(COMPAT, "target/classpath-" + version + ".txt");
        if (!classpathFile.exists()) {
            run(List.of(new File(ROOT, "mvnw").getPath(), "-B", "-q", "-f", new File(COMPAT, "pom.xml").getPath(),
                    "-Dclients.version=" + version, "dependency:build-classpath",
                    "-Dmdep.outputFile=" + classpathFile.getPath()), ROOT);
        }
        String classpath = Files.readString(classpathFile.toPath()).trim();
        String output = run(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp",
                classpath, "RoundTrip.java", SHARED.brook().bootstrap()), COMPAT);
        assertTrue(output.contains("OK " + version), output);
    }
}
