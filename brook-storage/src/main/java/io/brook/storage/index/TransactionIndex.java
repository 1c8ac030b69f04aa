package io.brook.storage.index;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The aborted-transaction index of one segment, {@code <base offset>.txnindex}, in Kafka's format:
 * one 34-byte entry per transaction aborted by a marker in the segment: version int16 (0),
 * producer id int64, first offset int64, last offset (the marker's) int64, and the last stable
 * offset int64 when the marker was written. Entries are in marker-offset order.
 *
 * <p>The file exists only once a segment has an entry. Entries are also held in memory (a segment
 * rarely has many), so read_committed fetches never touch the file. Thread-safety: appends and
 * truncation come from the log's appender; readers see a consistent list at any time.
 */
public final class TransactionIndex {
    public static final int ENTRY_BYTES = 2 + 8 + 8 + 8 + 8;
    private static final short VERSION = 0;

    /** One aborted transaction: the producer's records in [firstOffset, lastOffset] are to be dropped. */
    public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
    }

    private volatile File file;
    private final CopyOnWriteArrayList<AbortedTxn> entries = new CopyOnWriteArrayList<>();

    private TransactionIndex(File file) {
        this.file = file;
    }

    /** Opens the index at {@code file}; a missing file is an empty index and a torn last entry is dropped. */
    public static TransactionIndex open(File file) throws IOException {
        TransactionIndex index = new TransactionIndex(file);
        if (file.exists()) {
            ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file.toPath()));
            while (buffer.remaining() >= ENTRY_BYTES) {
                if (buffer.getShort() != VERSION) {
                    break;
                }
                index.entries.add(new AbortedTxn(buffer.getLong(), buffer.getLong(), buffer.getLong(),
                        buffer.getLong()));
            }
            if (index.entries.size() * (long) ENTRY_BYTES != file.length()) {
                index.rewrite();
            }
        }
        return index;
    }

    public void append(AbortedTxn txn) throws IOException {
        AbortedTxn last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        if (last != null && txn.lastOffset() <= last.lastOffset()) {
            throw new IllegalArgumentException("Aborted transaction " + txn + " does not follow " + last);
        }
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buffer = encode(List.of(txn));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
        entries.add(txn);
    }

    /** Creates the (empty) file if there is none. */
    public void createFile() throws IOException {
        if (!file.exists()) {
            Files.createFile(file.toPath());
        }
    }

    /** The last marker offset indexed, or -1. */
    public long lastIndexedOffset() {
        List<AbortedTxn> snapshot = entries;
        return snapshot.isEmpty() ? -1 : snapshot.get(snapshot.size() - 1).lastOffset();
    }

    /**
     * Adds the aborted transactions that overlap [fetchOffset, upperBoundOffset) to {@code out}:
     * those whose marker is at or after the fetch offset and whose first record is before the bound.
     */
    public void collect(long fetchOffset, long upperBoundOffset, List<AbortedTxn> out) {
        for (AbortedTxn txn : entries) {
            if (txn.lastOffset() >= fetchOffset && txn.firstOffset() < upperBoundOffset) {
                out.add(txn);
            }
        }
    }

    public List<AbortedTxn> entries() {
        return List.copyOf(entries);
    }

    /** Drops the entries whose marker is at or after {@code offset}. */
    public void truncateTo(long offset) throws IOException {
        if (entries.removeIf(txn -> txn.lastOffset() >= offset)) {
            rewrite();
        }
    }

    private void rewrite() throws IOException {
        if (entries.isEmpty()) {
            Files.deleteIfExists(file.toPath());
            return;
        }
        File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
        Files.write(tmp.toPath(), encode(entries).array());
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static ByteBuffer encode(List<AbortedTxn> txns) {
        ByteBuffer buffer = ByteBuffer.allocate(txns.size() * ENTRY_BYTES);
        for (AbortedTxn txn : txns) {
            buffer.putShort(VERSION).putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset())
                    .putLong(txn.lastStableOffset());
        }
        return buffer.flip();
    }

    public File file() {
        return file;
    }

    public void flush() throws IOException {
        if (file.exists()) {
            try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        }
    }

    /**
     * Renames the file (if there is one) and keeps the new name for later writes. The rename
     * replaces a file of the target name atomically: a delayed deletion of an older segment with
     * the same name may remove that file at any moment.
     */
    public void renameTo(File target) throws IOException {
        if (file.exists()) {
            Files.move(file.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE);
        }
        file = target;
    }

    public void delete() throws IOException {
        Files.deleteIfExists(file.toPath());
    }

    /** Appends {@code txns} in marker-offset order: the entries of the segments a cleaned one replaces. */
    public void appendAll(List<AbortedTxn> txns) throws IOException {
        List<AbortedTxn> sorted = new ArrayList<>(txns);
        sorted.sort((a, b) -> Long.compare(a.lastOffset(), b.lastOffset()));
        for (AbortedTxn txn : sorted) {
            append(txn);
        }
    }
}
