package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataLog;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.brook.metadata.MetadataOps.assertSameImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class MetadataControllerTest {
    private static final List<Integer> BROKERS = List.of(1);

    @TempDir
    File dir;

    private static Function<MetadataImage, ControllerResult<CreatedTopic>> create(String name) {
        return image -> TopicControl.createTopic(image, new NewTopic(name, 2, (short) 1, null, Map.of("a", "b")),
                BROKERS, 1, (short) 1, Uuid::randomUuid);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    private long logBytes() {
        return new File(dir, MetadataLog.segmentName(0)).length();
    }

    @Test
    void decisionsAreWrittenAppliedPublishedAndReplayed() throws Exception {
        List<MetadataImage> published = new CopyOnWriteArrayList<>();
        MetadataImage last;
        try (MetadataController controller = MetadataController.open(dir)) {
            assertSame(MetadataImage.EMPTY, controller.image());
            controller.addPublisher((delta, image) -> published.add(image));
            CreatedTopic created = await(controller.submit(create("t")));
            assertEquals(created.topicId(), controller.image().topic("t").id());
            assertEquals(0L, await(controller.submit(ProducerIdControl::allocateBlock)));
            assertEquals(1000L, await(controller.submit(ProducerIdControl::allocateBlock)));
            last = controller.image();
            assertEquals(5, last.offset()); // topic, 2 partitions, 1 config, then 2 producer id records
            assertEquals(3, published.size());
            assertSame(last, published.get(2));
        }
        try (MetadataController reopened = MetadataController.open(dir)) {
            assertSameImage(last, reopened.image());
            assertEquals(2000L, await(reopened.submit(ProducerIdControl::allocateBlock)));
        }
    }

    @Test
    void aRefusedDecisionWritesNothing() throws Exception {
        try (MetadataController controller = MetadataController.open(dir)) {
            await(controller.submit(create("t")));
            MetadataImage image = controller.image();
            long bytes = logBytes();
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(create("t"))));
            assertInstanceOf(TopicExistsException.class, e.getCause());
            assertSame(image, controller.image());
            assertEquals(bytes, logBytes());
        }
    }

    @Test
    void validateOnlyDecidesButWritesNothing() throws Exception {
        try (MetadataController controller = MetadataController.open(dir)) {
            CreatedTopic created = await(controller.submit(create("t"), true));
            assertNotNull(created.topicId());
            assertNull(controller.image().topic("t"));
            assertEquals(0, logBytes());
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(
                    image -> TopicControl.deleteTopic(image, "t", null), true)));
            assertEquals("This server does not host topic 't'.", e.getCause().getMessage());
        }
    }

    /**
     * Records the image rejects must never reach the log: every later start would replay them and
     * fail. (They were written first and applied after, so the broker could not restart.)
     */
    @Test
    void recordsTheImageRejectsAreNotWritten() throws Exception {
        MetadataImage image;
        try (MetadataController controller = MetadataController.open(dir)) {
            await(controller.submit(create("t")));
            image = controller.image();
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(controller.submit(
                    current -> ControllerResult.of(List.of(partition(new Uuid(7, 7), 0, List.of(1),
                            List.of(1), 1, 0, 0)), null))));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertSame(image, controller.image());
            await(controller.submit(create("u")));
            image = controller.image();
        }
        try (MetadataController reopened = MetadataController.open(dir)) {
            assertSameImage(image, reopened.image());
        }
        assertEquals(7, image.offset(), "offsets stay contiguous");
    }

    @Test
    void closeWaitsForSubmittedDecisions() throws Exception {
        CompletableFuture<CreatedTopic> pending;
        try (MetadataController controller = MetadataController.open(dir)) {
            pending = controller.submit(create("t"));
        }
        assertNotNull(await(pending));
        try (MetadataController reopened = MetadataController.open(dir)) {
            assertNotNull(reopened.image().topic("t"));
        }
    }

    @Test
    void aLogThatDoesNotReplayFailsTheOpen() throws IOException {
        try (MetadataLog log = MetadataLog.open(dir)) {
            log.append(List.of(partition(new Uuid(7, 7), 0, List.of(1), List.of(1), 1, 0, 0)), 1, 0L);
        }
        IOException e = assertThrows(IOException.class, () -> MetadataController.open(dir));
        assertEquals(dir + ": the metadata batch at offset 0 does not apply: metadata record for unknown topic id "
                + new Uuid(7, 7), e.getMessage());
    }
}
