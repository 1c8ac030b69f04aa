package io.brook.metadata.quorum;

import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot of the owner's state covering every entry up to and including Raft log {@code index}, written
 * in term {@code term}, as the files the owner wrote.
 */
public record QuorumSnapshot(long index, long term, List<Path> files) {
    public QuorumSnapshot {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must be >= 0: " + index + "/" + term);
        }
        files = List.copyOf(files);
    }
}
