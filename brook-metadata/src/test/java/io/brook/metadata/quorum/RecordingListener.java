package io.brook.metadata.quorum;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A test owner: its state is the list of committed entries it was given, its snapshots are text files in
 * its own directory (surviving a restart, as a real owner's would), and it records every callback.
 */
final class RecordingListener implements QuorumListener {
    record Entry(long index, long term, String payload) {
        String line() {
            return index + " " + term + " " + payload;
        }

        static Entry parse(String line) {
            String[] parts = line.split(" ", 3);
            return new Entry(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2]);
        }
    }

    record LeaderChange(int leaderId, long term) {
    }

    private final Path ownDir;
    private final List<Entry> state = new CopyOnWriteArrayList<>();
    final List<LeaderChange> leaderChanges = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final AtomicInteger snapshotsTaken = new AtomicInteger();
    final AtomicInteger snapshotsInstalled = new AtomicInteger();
    private volatile QuorumSnapshot own;
    private volatile Thread callbackThread;
    private volatile long lastIndex = -1;

    /** Loads the newest snapshot in {@code ownDir}, as an owner does at start-up. */
    RecordingListener(Path ownDir) {
        this.ownDir = ownDir;
        try {
            Files.createDirectories(ownDir);
            try (Stream<Path> files = Files.list(ownDir)) {
                Optional<Path> newest = files.filter(p -> p.getFileName().toString().endsWith(".snap"))
                        .max((a, b) -> Long.compare(indexOf(a), indexOf(b)));
                if (newest.isPresent()) {
                    List<Entry> loaded = read(newest.get());
                    state.addAll(loaded);
                    long index = indexOf(newest.get());
                    own = new QuorumSnapshot(index, termOf(newest.get()), List.of(newest.get()));
                    lastIndex = index;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long indexOf(Path snap) {
        return Long.parseLong(snap.getFileName().toString().split("[-.]")[1]);
    }

    private static long termOf(Path snap) {
        return Long.parseLong(snap.getFileName().toString().split("[-.]")[2]);
    }

    List<Entry> entries() {
        return List.copyOf(state);
    }

    /** Forgets the newest entry (a test that checked one entry and wants the rest of its state simple). */
    void dropLast() {
        state.remove(state.size() - 1);
    }

    List<String> payloads() {
        return state.stream().map(Entry::payload).toList();
    }

    private void checkThread() {
        Thread current = Thread.currentThread();
        if (!current.getName().startsWith("brook-quorum-") || !current.getName().endsWith("-listener")) {
            violations.add("callback on thread " + current.getName());
        }
        Thread previous = callbackThread;
        if (previous != null && previous != current) {
            violations.add("callbacks on two threads: " + previous.getName() + " and " + current.getName());
        }
        callbackThread = current;
    }

    @Override
    public void onCommitted(long index, long term, ByteBuffer entry) {
        checkThread();
        if (index <= lastIndex) {
            violations.add("entry " + index + " after " + lastIndex);
        }
        lastIndex = index;
        byte[] bytes = new byte[entry.remaining()];
        entry.duplicate().get(bytes);
        state.add(new Entry(index, term, new String(bytes, StandardCharsets.UTF_8)));
    }

    @Override
    public void onLeaderChange(int leaderId, long term) {
        checkThread();
        leaderChanges.add(new LeaderChange(leaderId, term));
    }

    @Override
    public List<Path> takeSnapshot(long index, long term) throws IOException {
        checkThread();
        Path file = ownDir.resolve("owner-" + index + "-" + term + ".snap");
        write(file, state);
        own = new QuorumSnapshot(index, term, List.of(file));
        snapshotsTaken.incrementAndGet();
        return List.of(file);
    }

    @Override
    public void installSnapshot(List<Path> files, long index, long term) throws IOException {
        checkThread();
        if (files.size() != 1) {
            violations.add("snapshot with " + files.size() + " files: " + files);
        }
        List<Entry> loaded = read(files.get(0));
        snapshotsInstalled.incrementAndGet(); // before the state changes: tests wait for the state
        state.clear();
        state.addAll(loaded);
        lastIndex = index;
        // keep a copy of our own, as a real owner does
        Path copy = ownDir.resolve("owner-" + index + "-" + term + ".snap");
        write(copy, loaded);
        own = new QuorumSnapshot(index, term, List.of(copy));
    }

    @Override
    public Optional<QuorumSnapshot> latestSnapshot() {
        checkThread();
        return Optional.ofNullable(own);
    }

    private static void write(Path file, List<Entry> entries) throws IOException {
        List<String> lines = new ArrayList<>();
        entries.forEach(e -> lines.add(e.line()));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<Entry> read(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                .map(Entry::parse).toList();
    }
}
