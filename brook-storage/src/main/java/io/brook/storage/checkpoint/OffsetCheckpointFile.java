package io.brook.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kafka's per-log-dir offset checkpoint files ({@code recovery-point-offset-checkpoint},
 * {@code log-start-offset-checkpoint}):
 *
 * <pre>
 * 0                          (version)
 * N                          (entry count)
 * topic partition offset     (N lines)
 * </pre>
 *
 * Written to a temporary file, fsynced, renamed over the old one and the directory fsynced, so a
 * crash leaves the old file or the new one, whole. {@link #read()} is lenient (an unreadable file
 * reads as empty: the recovery point and log start fall back to a full recovery);
 * {@link #readStrict()} refuses a malformed file, naming it and the line.
 *
 * <p>Thread-safety: reads and writes of one instance are serialized.
 */
public final class OffsetCheckpointFile {
    private final File file;

    public OffsetCheckpointFile(File file) {
        this.file = file;
    }

    public synchronized void write(Map<TopicPartition, Long> offsets) throws IOException {
        File tmp = new File(file.getPath() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp.toPath(), StandardCharsets.UTF_8)) {
            w.write("0\n" + offsets.size() + "\n");
            for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                w.write(e.getKey().topic() + " " + e.getKey().partition() + " " + e.getValue() + "\n");
            }
        }
        try (FileChannel ch = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Utils.flushDir(file.getAbsoluteFile().getParentFile().toPath()); // the rename itself survives a crash
    }

    public File file() {
        return file;
    }

    /**
     * The offsets in the file; empty when it is missing.
     *
     * @throws IOException naming the file and the line when it is malformed: another version than 0, a
     *         count that is not a number or does not match the entries, an entry that is not
     *         {@code topic partition offset}, a partition twice
     */
    public synchronized Map<TopicPartition, Long> readStrict() throws IOException {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        if (!file.exists()) {
            return offsets;
        }
        List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).trim().equals("0")) {
            throw malformed(1, lines.isEmpty() ? "the file is empty" : "version '" + lines.get(0) + "', expected 0");
        }
        if (lines.size() < 2) {
            throw malformed(2, "the entry count is missing");
        }
        int count;
        try {
            count = Integer.parseInt(lines.get(1).trim());
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 0) {
            throw malformed(2, "entry count '" + lines.get(1) + "' is not a number of entries");
        }
        for (int i = 2; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = lines.get(i).trim();
            if (i - 2 >= count) {
                if (!line.isEmpty()) {
                    throw malformed(lineNumber, "more entries than the count " + count);
                }
                continue;
            }
            String[] parts = line.split("\\s+");
            TopicPartition tp;
            long offset;
            try {
                if (parts.length != 3 || parts[0].isEmpty()) {
                    throw new NumberFormatException();
                }
                tp = new TopicPartition(parts[0], Integer.parseInt(parts[1]));
                offset = Long.parseLong(parts[2]);
                if (tp.partition() < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw malformed(lineNumber, "'" + line + "' is not 'topic partition offset'");
            }
            if (offsets.put(tp, offset) != null) {
                throw malformed(lineNumber, tp + " appears twice");
            }
        }
        if (offsets.size() != count) {
            throw malformed(lines.size() + 1, "expected " + count + " entries, found " + offsets.size());
        }
        return offsets;
    }

    private IOException malformed(int line, String what) {
        return new IOException("Malformed checkpoint file " + file + ", line " + line + ": " + what);
    }

    /** The offsets in the file; empty when it is missing or unreadable. */
    public synchronized Map<TopicPartition, Long> read() {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        if (!file.exists()) {
            return offsets;
        }
        try {
            List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
            int n = Integer.parseInt(lines.get(1).trim());
            for (int i = 0; i < n; i++) {
                String[] parts = lines.get(i + 2).trim().split("\\s+");
                offsets.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
            }
        } catch (IOException | RuntimeException e) {
            offsets.clear();
        }
        return offsets;
    }
}
