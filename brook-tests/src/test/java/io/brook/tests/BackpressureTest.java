package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bounded memory on the network path, against server processes with small heaps: a client that
 * stops reading its fetch responses, a flood of large produce requests on many connections, and a
 * segment deleted while a zero-copy send of it is in flight.
 */
@Timeout(300)
class BackpressureTest {
    /** A server with little memory: 128 MiB of heap and 64 MiB of direct memory, exiting on an OOM. */
    private static final Map<String, String> SMALL_SERVER = Map.of("BROOK_JAVA_OPTS",
            "-Xms64m -Xmx128m -XX:MaxDirectMemorySize=64m -XX:+ExitOnOutOfMemoryError");
    /** 256 MiB of heap (and as much direct memory), exiting on an OOM. */
    private static final Map<String, String> FLOODED_SERVER = Map.of("BROOK_JAVA_OPTS",
            "-Xms64m -Xmx256m -XX:+ExitOnOutOfMemoryError");
    private static final int RECORD_BYTES = 100 * 1024;

    @TempDir
    File dataDir;

    /**
     * A client pipelines thousands of fetches of a large partition and reads none of the answers.
     * Each answer costs the server a response buffer besides its zero-copy file region; unbounded,
     * they use up the small server's memory. Bounded, the connection stops being served once its
     * unsent responses pass the write buffer limit, and another client keeps producing and
     * consuming. When the slow client reads again, it gets every answer, in order and intact.
     */
    @Test
    void aClientThatStopsReadingItsFetchesHoldsBoundedMemoryAndOthersKeepWorking() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of(), 0, SMALL_SERVER);
             Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("big", 1, (short) 1),
                    new NewTopic("others", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            long records = produce(brook, "big", 4096, 1024);

            int fetches = 4000; // 64 KiB answers: 250 MiB in all
            byte[] fetch = frame(ApiKeys.FETCH, (short) 12, fetchRequest("big", 0, 64 * 1024), 7);
            try (Socket slow = new Socket()) {
                slow.setReceiveBufferSize(64 * 1024);
                slow.connect(new InetSocketAddress("localhost", port(brook)), 10_000);
                slow.setSoTimeout(60_000);
                ExecutorService writer = Executors.newSingleThreadExecutor();
                Future<?> sent = writer.submit(() -> {
                    OutputStream out = slow.getOutputStream();
                    for (int i = 0; i < fetches; i++) {
                        out.write(fetch); // blocks once the server stops reading this connection
                    }
                    out.flush();
                    return null;
                });
                try {
                    Thread.sleep(2_000); // the pipelined fetches pile up on the server

                    // meanwhile another client produces and consumes
                    long start = System.nanoTime();
                    long others = produce(brook, "others", 200);
                    assertEquals(others, consumeCount(brook, "others", others, Duration.ofSeconds(90)));
                    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(tookMs < 90_000, "the other client took " + tookMs + " ms");
                    assertTrue(alive(brook), "the server is up");
                    assertNoOutOfMemory(brook);

                    // the slow client reads again: every answer arrives, intact
                    DataInputStream in = new DataInputStream(slow.getInputStream());
                    for (int i = 0; i < fetches; i++) {
                        FetchResponseData response = (FetchResponseData) readResponse(in, ApiKeys.FETCH, (short) 12, 7);
                        FetchResponseData.PartitionData partition = response.responses().get(0).partitions().get(0);
                        assertEquals(Errors.NONE.code(), partition.errorCode());
                        if (i % 500 == 0) {
                            assertTrue(validOffsets((MemoryRecords) partition.records()) > 0);
                        }
                    }
                    sent.get(60, TimeUnit.SECONDS);
                } finally {
                    writer.shutdownNow();
                    writer.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
            assertTrue(records > 0);
            assertTrue(alive(brook));
            assertNoOutOfMemory(brook);
        }
    }

    /**
     * Many connections send an 8 MiB produce request each, at once, to a server with 256 MiB of heap:
     * without a bound on request memory their copies exceed it; with {@code queued.max.request.bytes}
     * (a quarter of the heap by default) connections wait their turn, and every request is answered.
     */
    @Test
    void aFloodOfLargeProduceRequestsIsAnsweredWithoutRunningOutOfMemory() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of(), 0, FLOODED_SERVER);
             Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("flood", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(16 << 20))))).all().get(60, TimeUnit.SECONDS);
            SimpleRecord[] values = new SimpleRecord[8];
            byte[] value = new byte[1 << 20];
            for (int i = 0; i < values.length; i++) {
                values[i] = new SimpleRecord(System.currentTimeMillis(), null, value);
            }
            ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
            topics.add(new ProduceRequestData.TopicProduceData().setName("flood").setPartitionData(List.of(
                    new ProduceRequestData.PartitionProduceData().setIndex(0)
                            .setRecords(MemoryRecords.withRecords(Compression.NONE, values)))));
            byte[] produce = frame(ApiKeys.PRODUCE, (short) 9,
                    new ProduceRequestData().setAcks((short) 1).setTimeoutMs(60_000).setTopicData(topics), 1);

            int connections = 40;
            ExecutorService clients = Executors.newFixedThreadPool(connections);
            try {
                List<Future<Short>> answers = new ArrayList<>();
                for (int c = 0; c < connections; c++) {
                    answers.add(clients.submit(() -> {
                        try (Socket socket = new Socket()) {
                            socket.connect(new InetSocketAddress("localhost", port(brook)), 10_000);
                            socket.setSoTimeout(120_000);
                            socket.getOutputStream().write(produce);
                            socket.getOutputStream().flush();
                            ProduceResponseData response = (ProduceResponseData) readResponse(
                                    new DataInputStream(socket.getInputStream()), ApiKeys.PRODUCE, (short) 9, 1);
                            return response.responses().iterator().next().partitionResponses().get(0).errorCode();
                        }
                    }));
                }
                int appended = 0;
                for (Future<Short> answer : answers) {
                    short error = answer.get(180, TimeUnit.SECONDS);
                    assertTrue(error == Errors.NONE.code() || Errors.forCode(error).exception()
                            instanceof org.apache.kafka.common.errors.RetriableException, "answered " + error);
                    appended += error == Errors.NONE.code() ? 1 : 0;
                }
                assertEquals(connections, appended, "every request appended (none needed throttling)");
            } finally {
                clients.shutdownNow();
                clients.awaitTermination(10, TimeUnit.SECONDS);
            }
            assertTrue(alive(brook), "the server is up");
            assertNoOutOfMemory(brook);
            long more = produce(brook, "flood", 20);
            TopicPartition tp = new TopicPartition("flood", 0);
            assertEquals(connections * 8L + more, admin.listOffsets(Map.of(tp,
                    org.apache.kafka.clients.admin.OffsetSpec.latest())).partitionResult(tp)
                    .get(60, TimeUnit.SECONDS).offset(), "every record appended, once");
        }
    }

    /**
     * A fetch answer of most of a 16 MiB segment goes to a client that reads slowly; meanwhile
     * DeleteRecords deletes the segment (file.delete.delay.ms=0, so its file goes at once). The
     * client still receives every promised byte with valid CRCs, and once the answer is sent the
     * server holds no handle on the deleted file.
     */
    @Test
    void aSegmentDeletedUnderAZeroCopySendIsSentWholeAndItsHandleClosedAfterwards() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, Map.of("brook.log.segment.idle.ms", "1000"));
             Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("doomed", 1, (short) 1).configs(Map.of(
                    "segment.bytes", String.valueOf(16 << 20), "file.delete.delay.ms", "0"))))
                    .all().get(60, TimeUnit.SECONDS);
            long records = produce(brook, "doomed", 40L * 1024 * 1024 / RECORD_BYTES);
            Path partitionDir = dataDir.toPath().resolve("doomed-0");
            Path firstSegment = partitionDir.resolve("00000000000000000000.log");
            assertTrue(Files.exists(firstSegment));

            try (Socket slow = new Socket()) {
                slow.setReceiveBufferSize(16 * 1024);
                slow.connect(new InetSocketAddress("localhost", port(brook)), 10_000);
                slow.setSoTimeout(60_000);
                slow.getOutputStream().write(frame(ApiKeys.FETCH, (short) 12, fetchRequest("doomed", 0, 32 << 20), 3));
                slow.getOutputStream().flush();
                DataInputStream in = new DataInputStream(slow.getInputStream());
                int size = in.readInt();
                byte[] response = new byte[size];
                in.readFully(response, 0, 1024); // the answer has started, then the client stalls

                admin.deleteRecords(Map.of(new TopicPartition("doomed", 0), RecordsToDelete.beforeOffset(records)))
                        .all().get(60, TimeUnit.SECONDS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (Files.exists(firstSegment) || Files.exists(Path.of(firstSegment + ".deleted"))) {
                    assertTrue(System.nanoTime() < deadline, "the first segment was not deleted");
                    Thread.sleep(50);
                }
                Thread.sleep(2_500); // past brook.log.segment.idle.ms, so the idle sweep has run too
                assertTrue(handlesOn(brook.pid(), "00000000000000000000.log") > 0,
                        "the send holds the deleted segment");

                in.readFully(response, 1024, size - 1024);
                ByteBuffer buffer = ByteBuffer.wrap(response);
                ResponseHeader.parse(buffer, ApiKeys.FETCH.responseHeaderVersion((short) 12));
                FetchResponseData fetched = (FetchResponseData) AbstractResponse.parseResponse(ApiKeys.FETCH,
                        new ByteBufferAccessor(buffer), (short) 12).data();
                FetchResponseData.PartitionData partition = fetched.responses().get(0).partitions().get(0);
                assertEquals(Errors.NONE.code(), partition.errorCode());
                MemoryRecords sent = (MemoryRecords) partition.records();
                assertTrue(sent.sizeInBytes() > 15 << 20, sent.sizeInBytes() + " bytes");
                long count = validOffsets(sent);
                assertTrue(count > 100, count + " records");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (handlesOn(brook.pid(), "00000000000000000000.log") > 0) {
                assertTrue(System.nanoTime() < deadline, "the deleted segment's handle was not closed");
                Thread.sleep(50);
            }
            assertTrue(alive(brook));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Checks every batch's CRC and that offsets follow each other from 0; returns the records seen. */
    private static long validOffsets(MemoryRecords records) {
        long next = -1;
        long count = 0;
        for (RecordBatch batch : records.batches()) {
            batch.ensureValid();
            if (next >= 0) {
                assertEquals(next, batch.baseOffset());
            }
            next = batch.nextOffset();
            count += batch.nextOffset() - batch.baseOffset();
        }
        return count;
    }

    private static FetchRequestData fetchRequest(String topic, long offset, int maxBytes) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1).setMaxBytes(maxBytes)
                .setSessionEpoch(-1).setTopics(List.of(new FetchRequestData.FetchTopic().setTopic(topic)
                        .setPartitions(List.of(new FetchRequestData.FetchPartition().setPartition(0)
                                .setFetchOffset(offset).setPartitionMaxBytes(maxBytes).setCurrentLeaderEpoch(-1)))));
    }

    private static byte[] frame(ApiKeys key, short version, ApiMessage body, int correlationId) {
        return RawConnection.frame(key, version, body, correlationId);
    }

    private static ApiMessage readResponse(DataInputStream in, ApiKeys key, short version, int correlationId)
            throws IOException {
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        ResponseHeader header = ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        assertEquals(correlationId, header.correlationId());
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version).data();
    }

    private static boolean alive(BrookFixture brook) {
        return ProcessHandle.of(brook.pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    private static int port(BrookFixture brook) {
        return Integer.parseInt(brook.bootstrap().substring(brook.bootstrap().lastIndexOf(':') + 1));
    }

    /** Produces {@code count} records of {@value #RECORD_BYTES} bytes; returns how many. */
    private static long produce(BrookFixture brook, String topic, long count) throws Exception {
        return produce(brook, topic, count, RECORD_BYTES);
    }

    private static long produce(BrookFixture brook, String topic, long count, int recordBytes) throws Exception {
        byte[] value = new byte[recordBytes];
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1 << 20))) {
            for (long i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), value));
            }
            producer.flush();
        }
        return count;
    }

    private static long consumeCount(BrookFixture brook, String topic, long expected, Duration within) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
            consumer.assign(Set.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(Set.of(new TopicPartition(topic, 0)));
            long seen = 0;
            long deadline = System.nanoTime() + within.toNanos();
            while (seen < expected && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(500));
                seen += polled.count();
            }
            return seen;
        }
    }

    private static void assertNoOutOfMemory(BrookFixture brook) throws IOException {
        String output = Files.readString(brook.logFile().toPath());
        File serverLog = new File(brook.logDir(), "server.log");
        if (serverLog.exists()) {
            output += Files.readString(serverLog.toPath());
        }
        assertFalse(output.contains("OutOfMemoryError") || output.contains("OutOfDirectMemoryError"),
                "the server ran out of memory:\n" + tail(output));
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    /** Handles the process {@code pid} holds on files whose name contains {@code name}. */
    private static long handlesOn(long pid, String name) throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(target -> target.contains("doomed-0") && target.contains(name)).count();
        }
    }
}
