package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Reading an index file's entries once, to check them when a segment is opened: through a small
 * buffer (not a mapping, so opening the segments of a large log maps nothing).
 */
final class IndexFile {
    /** Bytes read at a time. */
    private static final int CHUNK_BYTES = 64 * 1024;

    private IndexFile() {
    }

    /** Sees the entries of an index file one by one; returns false to stop (the file is invalid). */
    interface EntryCheck {
        /** {@code buf} holds the entry number {@code slot} at {@code at}. */
        boolean accept(ByteBuffer buf, int at, int slot);
    }

    /**
     * Hands each of the {@code entries} first entries of {@code file} to {@code check}, in order.
     * Returns false as soon as the check does, or when the file is shorter than that.
     */
    static boolean checkEntries(File file, int entryBytes, int entries, EntryCheck check) throws IOException {
        if (entries == 0) {
            return true;
        }
        int perChunk = Math.max(1, CHUNK_BYTES / entryBytes);
        ByteBuffer buf = ByteBuffer.allocate(Math.min(entries, perChunk) * entryBytes);
        try (FileChannel ch = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            long position = 0;
            int slot = 0;
            while (slot < entries) {
                int n = Math.min(entries - slot, perChunk);
                buf.clear().limit(n * entryBytes);
                while (buf.hasRemaining()) {
                    int read = ch.read(buf, position + buf.position());
                    if (read < 0) {
                        return false;
                    }
                }
                for (int i = 0; i < n; i++, slot++) {
                    if (!check.accept(buf, i * entryBytes, slot)) {
                        return false;
                    }
                }
                position += (long) n * entryBytes;
            }
        }
        return true;
    }
}
