package io.brook.tests;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the client x feature compatibility matrix from the run itself: every test method
 * annotated with {@link Compat} marks its cells pass or fail by its outcome (a test skipped for a
 * missing client leaves them "not run"); compat/not-yet.txt lists what is known not to work yet.
 * The matrix is written to brook-tests/target/compatibility.md, and to docs/compatibility.md when
 * BROOK_COMPAT_DOC=1 and CI=true, as {@code .ci/run} sets them: the document is never edited by hand.
 *
 * <p>The suite runs in several JVMs (surefire forks) at once, and a JVM may finish several test plans: each JVM
 * appends its outcomes to a file of its own under {@code target/compat-cells/<run>/}, and every finished plan
 * renders the matrix from all of them, one JVM at a time (a file lock), so the last one written holds every
 * outcome of the run.
 */
public final class CompatMatrix implements TestExecutionListener {
    private static final File ROOT = new File("..").getAbsoluteFile();
    private static final String PASS = "pass";
    private static final String FAIL = "FAIL";
    private static final String NOT_RUN = "not run";

    /**
     * Clients found missing during this run (the prefix of their cells): a test that passed while
     * skipping such a client's part has not proven its cells, so they stay "not run". Static because
     * the tests and this listener share nothing else; JUnit creates the listener, the tests report.
     */
    private static final Set<String> MISSING_CLIENTS = ConcurrentHashMap.newKeySet();

    /** This run's outcomes, one file per JVM ({@code brook.test.run} is set by the build, once per run). */
    private static final File CELLS = new File("target/compat-cells/"
            + System.getProperty("brook.test.run", "local").replaceAll("[^A-Za-z0-9-]", "_"));
    private static final String SEPARATOR = "\t";

    private final File own = new File(CELLS, ProcessHandle.current().pid() + ".tsv");

    /** A test found {@code client} (the start of its cells' names, e.g. "kcat") missing and skipped its part. */
    static void clientMissing(String client) {
        MISSING_CLIENTS.add(client);
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, NOT_RUN);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        record(test, switch (result.getStatus()) {
            case SUCCESSFUL -> PASS;
            case ABORTED -> NOT_RUN;
            case FAILED -> FAIL;
        });
    }

    private synchronized void record(TestIdentifier test, String outcome) {
        Compat compat = test.isTest() ? compatOf(test) : null; // not the container of parameterized runs
        if (compat == null) {
            return;
        }
        String argument = argumentOf(test);
        for (String template : compat.value()) {
            String cell = template.replace("{0}", argument);
            int colon = cell.indexOf(':');
            String client = cell.substring(0, colon).trim();
            String feature = cell.substring(colon + 1).trim();
            String cellOutcome = outcome.equals(PASS) && MISSING_CLIENTS.stream().anyMatch(client::startsWith)
                    ? NOT_RUN : outcome;
            try {
                Files.createDirectories(CELLS.toPath());
                Files.writeString(own.toPath(), client + SEPARATOR + feature + SEPARATOR + cellOutcome + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot record the compatibility cell " + cell, e);
            }
        }
    }

    /** Every outcome of this run so far, from every JVM's file: client -> feature -> outcome. */
    private static Map<String, Map<String, String>> cells() throws IOException {
        Map<String, Map<String, String>> cells = new TreeMap<>();
        File[] files = CELLS.listFiles((dir, name) -> name.endsWith(".tsv"));
        for (File file : files == null ? new File[0] : files) {
            for (String line : Files.readAllLines(file.toPath(), StandardCharsets.UTF_8)) {
                String[] fields = line.split(SEPARATOR);
                if (fields.length != 3) {
                    continue; // a line another JVM is still writing
                }
                // a feature proven by several tests passes only if all of them ran and passed
                cells.computeIfAbsent(fields[0], c -> new TreeMap<>()).merge(fields[1], fields[2],
                        (a, b) -> a.equals(FAIL) || b.equals(FAIL) ? FAIL : a.equals(PASS) && b.equals(PASS) ? PASS
                                : NOT_RUN);
            }
        }
        return cells;
    }

    /** The argument of a parameterized invocation ("[2] gzip" -> gzip; a class name -> its simple name). */
    private static String argumentOf(TestIdentifier test) {
        String argument = test.getDisplayName().replaceFirst("^\\[\\d+\\]\\s*", "");
        return argument.matches("([a-z0-9]+\\.)+[A-Z]\\w*") ? argument.substring(argument.lastIndexOf('.') + 1)
                : argument;
    }

    private static Compat compatOf(TestIdentifier test) {
        if (test.getSource().orElse(null) instanceof MethodSource source) {
            try {
                Class<?> type = Class.forName(source.getClassName());
                for (Method method : type.getDeclaredMethods()) {
                    if (method.getName().equals(source.getMethodName()) && method.isAnnotationPresent(Compat.class)) {
                        return method.getAnnotation(Compat.class);
                    }
                }
            } catch (ClassNotFoundException e) {
                return null;
            }
        }
        return null;
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (!own.exists()) {
            return;
        }
        try (FileChannel lockFile = FileChannel.open(new File(CELLS, "render.lock").toPath(),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            String markdown = render(cells());
            File target = new File("target/compatibility.md");
            Files.writeString(target.toPath(), markdown, StandardCharsets.UTF_8);
            // only where every client is required (CI=true): elsewhere a missing client may skip cells silently
            if ("1".equals(System.getenv("BROOK_COMPAT_DOC")) && "true".equals(System.getenv("CI"))) {
                Files.writeString(new File(ROOT, "docs/compatibility.md").toPath(), markdown, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the compatibility matrix", e);
        }
    }

    private static String render(Map<String, Map<String, String>> cells) throws IOException {
        Map<String, Map<String, String>> all = new TreeMap<>();
        cells.forEach((client, features) -> all.put(client, new TreeMap<>(features)));
        for (String line : Files.readAllLines(new File(ROOT, "compat/not-yet.txt").toPath())) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            all.computeIfAbsent(line.substring(0, colon).trim(), c -> new TreeMap<>())
                    .putIfAbsent(line.substring(colon + 1).trim(), "not yet");
        }
        TreeSet<String> features = new TreeSet<>();
        all.values().forEach(f -> features.addAll(f.keySet()));
        List<String> clients = new ArrayList<>(all.keySet());
        StringBuilder md = new StringBuilder();
        md.append("# Compatibility matrix\n\n")
                .append("Generated by the test suite from its own results (`CI=true bash .ci/run`), where every ")
                .append("client talks to a `bin/brook server` process from a process of its own; ")
                .append("do not edit. A cell is `pass` when every test proving it passed in that run, `FAIL` ")
                .append("when one failed, `not run` when its client was missing, `not yet` when the feature ")
                .append("is known not to work yet (compat/not-yet.txt), and empty when nothing tests it.\n\n");
        md.append("| feature |");
        clients.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n| --- |");
        clients.forEach(c -> md.append(" :---: |"));
        md.append('\n');
        for (String feature : features) {
            md.append("| ").append(feature).append(" |");
            for (String client : clients) {
                md.append(' ').append(all.get(client).getOrDefault(feature, "")).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }
}
