package io.brook.storage.epoch;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Leader epoch to start offset, persisted in Kafka's {@code leader-epoch-checkpoint} format:
 *
 * <pre>
 * 0                 (version)
 * N                 (entry count)
 * epoch startOffset (N lines)
 * </pre>
 *
 * The file is rewritten (a temporary file renamed over it) only when the entries differ from what it
 * holds: a rename that replaces a file makes ext4 write the new file's data out at once, which made a
 * start of 100 empty partitions spend about a second dropping and re-adding each one's epoch-0 entry.
 *
 * Thread-safety: synchronized; written by the appender, read by fetch and OffsetForLeaderEpoch.
 */
public final class LeaderEpochCache {
    public static final String FILE_NAME = "leader-epoch-checkpoint";

    public record EpochEntry(int epoch, long startOffset) {
    }

    private final File file;
    private final List<EpochEntry> entries = new ArrayList<>();
    /** What the file holds, as last read or written; null when unknown (no file, or one not read). */
    private List<EpochEntry> persisted;

    public LeaderEpochCache(File dir) throws IOException {
        this.file = new File(dir, FILE_NAME);
        if (file.exists()) {
            List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
            if (lines.size() >= 2 && lines.get(0).trim().equals("0")) {
                int n = Integer.parseInt(lines.get(1).trim());
                for (int i = 0; i < n && i + 2 < lines.size(); i++) {
                    String[] parts = lines.get(i + 2).trim().split("\\s+");
                    entries.add(new EpochEntry(Integer.parseInt(parts[0]), Long.parseLong(parts[1])));
                }
                persisted = List.copyOf(entries);
            }
        }
    }

    /** Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest. */
    public synchronized void assign(int epoch, long startOffset) throws IOException {
        if (epoch < 0) {
            return;
        }
        if (!entries.isEmpty() && entries.get(entries.size() - 1).epoch() >= epoch) {
            return;
        }
        entries.add(new EpochEntry(epoch, startOffset));
        write();
    }

    public synchronized int latestEpoch() {
        return entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
    }

    /**
     * For OffsetForLeaderEpoch: the largest epoch at or below {@code epoch} and the offset where
     * the next epoch starts (or {@code logEndOffset} for the latest); (-1, -1) when unknown.
     */
    public synchronized EpochEntry endOffsetFor(int epoch, long logEndOffset) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            EpochEntry e = entries.get(i);
            if (e.epoch() <= epoch) {
                long end = i == entries.size() - 1 ? logEndOffset : entries.get(i + 1).startOffset();
                return new EpochEntry(e.epoch(), end);
            }
        }
        return new EpochEntry(-1, -1L);
    }

    /** Drops entries starting at or after {@code offset} (log truncated to that offset). */
    public synchronized void truncateFromEnd(long offset) throws IOException {
        boolean changed = entries.removeIf(e -> e.startOffset() >= offset);
        if (changed) {
            write();
        }
    }

    /**
     * As {@link #truncateFromEnd} but in memory only, for loading a log: the truncation is derived
     * from the log's files, so a crash before {@link #flush} repeats it at the next load (Kafka's
     * {@code truncateFromEndAsyncFlush} does the same). Any later change writes all the entries.
     *
     * @return whether entries were dropped (the file then needs a {@link #flush})
     */
    public synchronized boolean truncateFromEndUnflushed(long offset) {
        return entries.removeIf(e -> e.startOffset() >= offset);
    }

    /** Writes the entries if the file does not hold them already. */
    public synchronized void flush() throws IOException {
        write();
    }

    /** Log start moved to {@code offset}: the entry covering it now starts there. */
    public synchronized void truncateFromStart(long offset) throws IOException {
        int keepFrom = 0;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).startOffset() <= offset) {
                keepFrom = i;
            }
        }
        if (keepFrom > 0 || (!entries.isEmpty() && entries.get(0).startOffset() < offset)) {
            List<EpochEntry> kept = new ArrayList<>(entries.subList(keepFrom, entries.size()));
            EpochEntry first = kept.get(0);
            if (first.startOffset() < offset) {
                kept.set(0, new EpochEntry(first.epoch(), offset));
            }
            entries.clear();
            entries.addAll(kept);
            write();
        }
    }

    public synchronized void clearAndFlush() throws IOException {
        entries.clear();
        write();
    }

    public synchronized List<EpochEntry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Field by field: a record's own {@code equals} is bootstrapped (invokedynamic) on its first call,
     * about 70 ms of a start's main thread.
     */
    private static boolean sameEntries(List<EpochEntry> a, List<EpochEntry> b) {
        if (b == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).epoch() != b.get(i).epoch() || a.get(i).startOffset() != b.get(i).startOffset()) {
                return false;
            }
        }
        return true;
    }

    private void write() throws IOException {
        if (sameEntries(entries, persisted)) {
            return;
        }
        File tmp = new File(file.getPath() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp.toPath(), StandardCharsets.UTF_8)) {
            w.write("0\n" + entries.size() + "\n");
            for (EpochEntry e : entries) {
                w.write(e.epoch() + " " + e.startOffset() + "\n");
            }
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        persisted = List.copyOf(entries);
    }
}
