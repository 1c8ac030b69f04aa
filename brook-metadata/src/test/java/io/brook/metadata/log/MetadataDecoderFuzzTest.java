package io.brook.metadata.log;

import io.brook.metadata.MetadataOps;
import io.brook.metadata.MetadataOps.Op;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import io.brook.metadata.record.MetadataRecordCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of the decoders of the metadata log: the record decoder ({@link MetadataRecordCodec}, Kafka's
 * serde underneath), the batch decoder ({@link MetadataBatches#decode}) and the legacy frame decoder
 * ({@link LegacyMetadataLog}). Inputs are valid encodings mutated at random (flipped bytes, extreme length
 * values, cuts, insertions, splices) and plain random bytes. For every input the decoder must decode
 * or throw an {@link IOException}: anything else (a RuntimeException, OutOfMemoryError, a hang, caught by
 * the preemptive timeout) fails. A record that decodes must encode to bytes that decode to the same
 * record; a legacy frame that decodes must be exactly the encoding of what it decoded to.
 *
 * <p>CI runs {@value #CI_TRIES} inputs per decoder, or as many as fit in {@link #CI_BUDGET} on a busy
 * machine, with a fresh seed (printed on failure). A long run, or a replay:
 * {@code -Dbrook.fuzz.tries=1000000 [-Dbrook.fuzz.seed=...]} runs {@link #longRun} too.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MetadataDecoderFuzzTest {
    private static final int CI_TRIES = 150_000;
    private static final Duration CI_BUDGET = Duration.ofSeconds(8);
    private static final int[] EXTREMES = {0, 1, -1, 2, 4, 6, 127, 128, 255, 0x7fff, 0xffff, 0x10000, 1_000_000,
            Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 8};

    private final long seed = Long.getLong("brook.fuzz.seed", System.nanoTime());

    @Test
    void recordDecoderDecodesOrThrowsIOException() {
        fuzzRecordDecoder(CI_TRIES, deadline(CI_BUDGET));
    }

    @Test
    void batchDecoderDecodesOrThrowsIOException() {
        fuzzBatchDecoder(CI_TRIES, deadline(CI_BUDGET));
    }

    @Test
    void legacyFrameDecoderDecodesOrThrowsIOException() {
        fuzzFrameDecoder(CI_TRIES, deadline(CI_BUDGET));
    }

    @Test
    @EnabledIfSystemProperty(named = "brook.fuzz.tries", matches = "\\d+")
    @Timeout(value = 12, unit = TimeUnit.HOURS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void longRun() {
        int tries = Integer.getInteger("brook.fuzz.tries");
        fuzzRecordDecoder(tries, Long.MAX_VALUE);
        fuzzBatchDecoder(tries, Long.MAX_VALUE);
        fuzzFrameDecoder(tries, Long.MAX_VALUE);
    }

    private static long deadline(Duration budget) {
        return System.nanoTime() + budget.toNanos();
    }

    private void fuzzRecordDecoder(int tries, long deadlineNanos) {
        Random random = new Random(seed);
        List<byte[]> corpus = new ArrayList<>();
        for (List<ApiMessageAndVersion> batch : validBatches(random)) {
            for (ApiMessageAndVersion record : batch) {
                corpus.add(MetadataRecordCodec.encode(record));
            }
        }
        for (int i = 0; i < tries && !(i % 1024 == 0 && System.nanoTime() > deadlineNanos); i++) {
            byte[] input = mutate(random, corpus);
            ApiMessageAndVersion record;
            try {
                record = MetadataRecordCodec.decode(ByteBuffer.wrap(input));
            } catch (IOException expected) {
                continue;
            } catch (Throwable t) {
                throw crash("record", i, input, t);
            }
            try {
                ApiMessageAndVersion again = MetadataRecordCodec.decode(ByteBuffer.wrap(MetadataRecordCodec.encode(record)));
                if (!again.equals(record)) {
                    throw new AssertionError("accepted as " + record + ", which encodes to " + again);
                }
            } catch (Throwable t) {
                throw crash("record", i, input, t);
            }
        }
    }

    private void fuzzBatchDecoder(int tries, long deadlineNanos) {
        Random random = new Random(seed);
        List<byte[]> corpus = new ArrayList<>();
        long offset = 0;
        for (List<ApiMessageAndVersion> batch : validBatches(random)) {
            ByteBuffer encoded = MetadataBatches.encode(batch, offset, 1 + random.nextInt(3), random.nextInt(Integer.MAX_VALUE));
            offset += batch.size();
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            corpus.add(bytes);
        }
        for (int i = 0; i < tries && !(i % 1024 == 0 && System.nanoTime() > deadlineNanos); i++) {
            byte[] input = mutate(random, corpus);
            try {
                MetadataBatches.decode(ByteBuffer.wrap(input));
            } catch (IOException expected) {
                // refused
            } catch (Throwable t) {
                throw crash("batch", i, input, t);
            }
        }
    }

    private void fuzzFrameDecoder(int tries, long deadlineNanos) {
        Random random = new Random(seed);
        List<byte[]> corpus = new ArrayList<>();
        for (List<ApiMessageAndVersion> batch : validBatches(random)) {
            corpus.add(LegacyEncoding.payload(batch));
        }
        corpus.add(LegacyEncoding.payload(List.of()));
        for (int i = 0; i < tries && !(i % 1024 == 0 && System.nanoTime() > deadlineNanos); i++) {
            byte[] input = mutate(random, corpus);
            List<ApiMessageAndVersion> records;
            try {
                records = LegacyMetadataLog.decodeFrame(ByteBuffer.wrap(input));
            } catch (IOException expected) {
                continue;
            } catch (Throwable t) {
                throw crash("frame", i, input, t);
            }
            if (!Arrays.equals(input, LegacyEncoding.payload(records))) {
                throw crash("frame", i, input, new AssertionError("accepted as " + records));
            }
        }
    }

    /** Crashes the fuzzer found before the legacy frame decoder was hardened, kept as regression tests. */
    @Test
    void crashesFoundByTheFuzzer() {
        assertAll(Stream.of(
                new byte[]{0x7f, -1, -1, -1},              // record count 2^31-1: OutOfMemoryError
                new byte[]{-1, -1, -1, -1},                // record count -1: IllegalArgumentException
                new byte[]{0, 0, 0, 1, -1, -1, -1, -1},    // record length -1: NegativeArraySizeException
                new byte[]{0, 0, 0, 1, 0, 0, 0, 9, 5, 0},  // record length past the end: BufferUnderflowException
                new byte[]{0, 0, 0, 2, 0, 0, 0, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 1}, // 1 record, 2 counted: BufferUnderflowException
                new byte[]{0, 0}                           // no count at all: BufferUnderflowException
        ).map(frame -> () -> {
            try {
                LegacyMetadataLog.decodeFrame(ByteBuffer.wrap(frame));
                fail("decoded " + HexFormat.of().formatHex(frame));
            } catch (IOException expected) {
                // refused
            } catch (Throwable t) { // JUnit would let an OutOfMemoryError end the whole run
                throw new AssertionError("frame " + HexFormat.of().formatHex(frame) + " threw " + t, t);
            }
        }));
    }

    private static List<List<ApiMessageAndVersion>> validBatches(Random random) {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ops.add(new Op(random.nextInt(6), random.nextInt(8), random.nextInt(1000), random.nextInt(1000)));
        }
        return MetadataOps.batches(ops);
    }

    private static byte[] mutate(Random random, List<byte[]> corpus) {
        if (random.nextInt(10) == 0) {
            byte[] noise = new byte[random.nextInt(64)];
            random.nextBytes(noise);
            return noise;
        }
        byte[] data = corpus.get(random.nextInt(corpus.size())).clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int at = data.length == 0 ? 0 : random.nextInt(data.length);
            switch (random.nextInt(6)) {
                case 0 -> { // flip a byte
                    if (data.length > 0) {
                        data[at] ^= (byte) (1 + random.nextInt(255));
                    }
                }
                case 1 -> { // an extreme int over any 4 bytes (lengths, counts, flags)
                    if (data.length >= 4) {
                        ByteBuffer.wrap(data).putInt(random.nextInt(data.length - 3),
                                EXTREMES[random.nextInt(EXTREMES.length)]);
                    }
                }
                case 2 -> data = Arrays.copyOf(data, at); // cut
                case 3 -> { // insert random bytes
                    byte[] inserted = new byte[1 + random.nextInt(8)];
                    random.nextBytes(inserted);
                    byte[] longer = new byte[data.length + inserted.length];
                    System.arraycopy(data, 0, longer, 0, at);
                    System.arraycopy(inserted, 0, longer, at, inserted.length);
                    System.arraycopy(data, at, longer, at + inserted.length, data.length - at);
                    data = longer;
                }
                case 4 -> { // splice in the tail of another input
                    byte[] other = corpus.get(random.nextInt(corpus.size()));
                    int from = random.nextInt(other.length);
                    byte[] spliced = Arrays.copyOf(data, at + other.length - from);
                    System.arraycopy(other, from, spliced, at, other.length - from);
                    data = spliced;
                }
                default -> { // an extreme short (string lengths)
                    if (data.length >= 2) {
                        ByteBuffer.wrap(data).putShort(random.nextInt(data.length - 1),
                                (short) EXTREMES[random.nextInt(EXTREMES.length)]);
                    }
                }
            }
        }
        return data;
    }

    private AssertionError crash(String decoder, int i, byte[] input, Throwable t) {
        return new AssertionError("the " + decoder + " decoder threw " + t + " on input " + i + " of seed " + seed
                + " (replay with -Dbrook.fuzz.seed=" + seed + "): " + HexFormat.of().formatHex(input), t);
    }
}
