package io.brook.server.controller;

import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker that is not the active controller forwards its metadata changes in Kafka's request data:
 * every operation through {@link ForwardingControllerChannel} -> bytes -> {@link ForwardedRequestServer}
 * must commit the same change and refuse with the same exception (class and message) as the local call.
 */
class ForwardingControllerChannelTest {
    @TempDir
    File dir;
    private MetadataController controller;
    private LocalControllerChannel local;
    private ForwardingControllerChannel forwarding;
    private final AtomicInteger forwarded = new AtomicInteger();

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        local = new LocalControllerChannel(controller, () -> List.of(1), 3, (short) 1, Short.MAX_VALUE,
                () -> QuorumDescription.singleNode(1, 0, controller.image().offset() + 1, 0));
        ForwardedRequestServer server = new ForwardedRequestServer(local);
        forwarding = new ForwardingControllerChannel(request -> {
            forwarded.incrementAndGet();
            ByteBuffer copy = ByteBuffer.allocate(request.remaining()).put(request.duplicate()).flip();
            return server.serve(copy).thenApply(answer ->
                    ByteBuffer.allocate(answer.remaining()).put(answer.duplicate()).flip());
        });
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    @Test
    void createTopicIsCommittedWithTheControllersDefaults() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("orders", -1, (short) -1, Map.of(),
                Map.of("cleanup.policy", "compact")), false));
        assertEquals(3, created.numPartitions());
        assertEquals(1, created.replicationFactor());
        assertEquals(created.topicId(), controller.image().topic("orders").id());
        assertEquals("compact", controller.image().topic("orders").configs().get("cleanup.policy"));
        assertEquals(1, forwarded.get());
    }

    @Test
    void validateOnlyWritesNothing() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("dry", 2, (short) 1, Map.of(), Map.of()),
                true));
        assertEquals(2, created.numPartitions());
        assertNull(controller.image().topic("dry"));
    }

    @Test
    void refusalsArriveAsTheSameExceptionAsALocalCall() throws Exception {
        get(local.createTopic(new NewTopic("t", 2, (short) 1, Map.of(), Map.of()), false));
        assertSameRefusal(local.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false),
                forwarding.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false),
                TopicExistsException.class);
        assertSameRefusal(local.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                forwarding.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertSameRefusal(local.createPartitions("t", 1, null, false),
                forwarding.createPartitions("t", 1, null, false), InvalidPartitionsException.class);
        assertSameRefusal(local.alterTopicConfigs("nope", Map.of("retention.ms", "1"), false),
                forwarding.alterTopicConfigs("nope", Map.of("retention.ms", "1"), false),
                UnknownTopicOrPartitionException.class);
        Uuid unknown = Uuid.randomUuid();
        assertSameRefusal(local.deleteTopic(null, unknown), forwarding.deleteTopic(null, unknown),
                UnknownTopicIdException.class);
    }

    @Test
    void partitionsConfigsAndDeletionAreCommitted() throws Exception {
        CreatedTopic created = get(forwarding.createTopic(new NewTopic("t", 1, (short) 1, Map.of(), Map.of()), false));
        get(forwarding.createPartitions("t", 4, List.of(List.of(1), List.of(1), List.of(1)), false));
        assertEquals(4, controller.image().topic("t").partitions().size());
        get(forwarding.alterTopicConfigs("t", Map.of("retention.ms", "1000"), false));
        assertEquals(Map.of("retention.ms", "1000"), controller.image().topic("t").configs());
        get(forwarding.alterTopicConfigs("t", Map.of(), false));
        assertEquals(Map.of(), controller.image().topic("t").configs());
        ControllerChannel.DeletedTopic deleted = get(forwarding.deleteTopic(null, created.topicId()));
        assertEquals("t", deleted.name());
        assertEquals(created.topicId(), deleted.id());
        assertNull(controller.image().topic("t"));
    }

    @Test
    void aClusterWithoutReplicationRefusesMoreThanOneReplicaLocallyAndForwarded() throws Exception {
        LocalControllerChannel cluster = new LocalControllerChannel(controller, () -> List.of(1, 2, 3), 3, (short) 1,
                1, () -> QuorumDescription.singleNode(1, 0, 0, 0));
        ForwardedRequestServer server = new ForwardedRequestServer(cluster);
        ForwardingControllerChannel toCluster = new ForwardingControllerChannel(server::serve);
        assertSameRefusal(cluster.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                toCluster.createTopic(new NewTopic("r3", 1, (short) 3, Map.of(), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertSameRefusal(cluster.createTopic(new NewTopic("a2", -1, (short) -1, Map.of(0, List.of(1, 2)), Map.of()),
                        false),
                toCluster.createTopic(new NewTopic("a2", -1, (short) -1, Map.of(0, List.of(1, 2)), Map.of()), false),
                InvalidReplicationFactorException.class);
        assertEquals(3, get(toCluster.createTopic(new NewTopic("r1", 3, (short) 1, Map.of(), Map.of()), false))
                .numPartitions());
        assertNull(controller.image().topic("r3"));
    }

    @Test
    void theQuorumIsDescribedAsTheActiveControllerSeesIt() throws Exception {
        get(local.createTopic(new NewTopic("t", 2, (short) 1, Map.of(), Map.of()), false));
        QuorumDescription described = get(forwarding.describeQuorum());
        assertEquals(get(local.describeQuorum()), described);
        assertEquals(controller.image().offset() + 1, described.highWatermark());
        assertEquals(List.of(1), described.voters().stream().map(QuorumDescription.Replica::id).toList());
    }

    @Test
    void producerIdBlocksNeverOverlap() throws Exception {
        ControllerChannel.ProducerIdBlock first = get(forwarding.allocateProducerIds(1));
        ControllerChannel.ProducerIdBlock second = get(local.allocateProducerIds(1));
        ControllerChannel.ProducerIdBlock third = get(forwarding.allocateProducerIds(2));
        assertTrue(first.size() > 0);
        assertEquals(first.firstId() + first.size(), second.firstId());
        assertEquals(second.firstId() + second.size(), third.firstId());
        assertNotEquals(first.firstId(), third.firstId());
    }

    @Test
    void anUnreadableRequestFailsWithoutReachingTheController() {
        ForwardedRequestServer server = new ForwardedRequestServer(local);
        ExecutionException e = assertThrows(ExecutionException.class, () ->
                server.serve(ByteBuffer.wrap(new byte[]{0x7f, 0x7f, 0, 0})).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("unknown API key"), e.getCause().getMessage());
    }

    private static void assertSameRefusal(CompletableFuture<?> local, CompletableFuture<?> forwarded,
                                          Class<? extends Throwable> expected) {
        Throwable l = cause(local);
        Throwable f = cause(forwarded);
        assertInstanceOf(expected, l);
        assertInstanceOf(expected, f);
        assertEquals(l.getMessage(), f.getMessage());
    }

    private static Throwable cause(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
        Throwable t = e.getCause();
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }
}
