package io.brook.storage.cleaner;

/**
 * Broker-wide settings of the log cleaner, under Kafka's {@code log.cleaner.*} names.
 *
 * @param threads              {@code log.cleaner.threads}
 * @param dedupeBufferBytes    {@code log.cleaner.dedupe.buffer.size}, shared by all threads
 * @param loadFactor           {@code log.cleaner.io.buffer.load.factor}: how full an offset map may get
 * @param ioBufferBytes        {@code log.cleaner.io.buffer.size}, shared by all threads, half read, half write
 * @param maxIoBytesPerSecond  {@code log.cleaner.io.max.bytes.per.second}, read plus written, all threads
 * @param backoffMs            {@code log.cleaner.backoff.ms}: the pause when no log needs cleaning
 */
public record CleanerConfig(int threads, long dedupeBufferBytes, double loadFactor, int ioBufferBytes,
                            double maxIoBytesPerSecond, long backoffMs) {

    /** Kafka's defaults: one thread, 128 MiB of offset map, 512 KiB of I/O buffers, no throttle, 15 s backoff. */
    public static CleanerConfig defaults() {
        return new CleanerConfig(1, 128L * 1024 * 1024, 0.9, 512 * 1024, Double.MAX_VALUE, 15_000L);
    }

    /** The offset map memory of one thread. */
    public int dedupeBytesPerThread() {
        return (int) Math.min(Integer.MAX_VALUE - 64, dedupeBufferBytes / threads);
    }

    /** The read (and the write) buffer of one thread, before it grows for a larger batch. */
    public int ioBufferBytesPerThread() {
        return Math.max(1024, ioBufferBytes / threads / 2);
    }
}
