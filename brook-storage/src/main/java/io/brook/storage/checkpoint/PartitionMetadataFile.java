package io.brook.storage.checkpoint;

import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Kafka's {@code partition.metadata} file: the id of the topic a partition directory belongs to.
 *
 * <pre>
 * version: 0
 * topic_id: &lt;base64 uuid&gt;
 * </pre>
 */
public final class PartitionMetadataFile {
    public static final String FILE_NAME = "partition.metadata";

    private PartitionMetadataFile() {
    }

    public static void write(File dir, Uuid topicId) throws IOException {
        File file = new File(dir, FILE_NAME);
        File tmp = new File(dir, FILE_NAME + ".tmp");
        Files.writeString(tmp.toPath(), "version: 0\ntopic_id: " + topicId + "\n", StandardCharsets.UTF_8);
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The topic id in the file, or null when there is no readable file. */
    public static Uuid read(File dir) throws IOException {
        File file = new File(dir, FILE_NAME);
        if (!file.exists()) {
            return null;
        }
        List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.startsWith("topic_id:")) {
                return Uuid.fromString(line.substring("topic_id:".length()).trim());
            }
        }
        return null;
    }
}
