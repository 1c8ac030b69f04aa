package io.brook.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;

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
 * Written to a temporary file, fsynced, then renamed over the old one.
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
