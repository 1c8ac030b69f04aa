package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/** Reading an index file whole, for the offset and time indexes. */
final class IndexFile {
    private IndexFile() {
    }

    /** The first {@code bytes} bytes of {@code file}, flipped for reading (zeros past its end). */
    static ByteBuffer read(File file, int bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(bytes);
        try (FileChannel ch = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read fully
            }
        }
        return buf.clear();
    }
}
