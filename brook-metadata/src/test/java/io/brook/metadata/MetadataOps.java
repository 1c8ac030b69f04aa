package io.brook.metadata;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.controller.TopicControl;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random metadata operations turned into record batches by the real controller decisions, so every
 * batch is one the controller could write; and a full comparison of two images.
 */
public final class MetadataOps {
    public static final List<Integer> BROKERS = List.of(1, 2, 3);
    private static final String[] TOPICS = {"t0", "t1", "t2", "t3", "a.b", "a_b", "__internal", "ünï-cødé"};
    private static final String[] CONFIGS = {"retention.ms", "cleanup.policy", "segment.bytes", "x"};

    private MetadataOps() {
    }

    /**
     * One operation: {@code kind} 0-1 create a topic, 2 delete one, 3 add partitions, 4 alter configs,
     * 5 allocate producer ids; the other fields pick the topic and the details.
     */
    public record Op(int kind, int topic, int a, int b) {
    }

    public static Arbitrary<Op> op() {
        return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 7),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 1000)).as(Op::new);
    }

    public static Arbitrary<List<Op>> ops(int max) {
        return op().list().ofMinSize(1).ofMaxSize(max);
    }

    /** The records the controller writes for {@code op} on {@code image}; empty if it refuses the op. */
    public static List<ApiMessageAndVersion> decide(MetadataImage image, Op op) {
        String topic = TOPICS[op.topic()];
        try {
            ControllerResult<?> result = switch (op.kind()) {
                case 0, 1 -> TopicControl.createTopic(image, new NewTopic(topic, 1 + op.a() % 4,
                                (short) (1 + op.b() % 3), null, configs(op.a(), op.b())), BROKERS, 1, (short) 1,
                        () -> new Uuid(image.offset() + 2, op.a() + 17L));
                case 2 -> TopicControl.deleteTopic(image, op.a() % 2 == 0 ? topic : null,
                        image.topic(topic) == null ? Uuid.randomUuid() : image.topic(topic).id());
                case 3 -> {
                    TopicImage t = image.topic(topic);
                    yield TopicControl.createPartitions(image, topic,
                            (t == null ? 1 : t.partitions().size()) + 1 + op.a() % 3, null, BROKERS);
                }
                case 4 -> TopicControl.alterConfigs(image, topic, configs(op.a(), op.b()), op.b() % 3 == 0);
                case 5 -> ProducerIdControl.allocateBlock(image);
                default -> throw new IllegalArgumentException("op " + op);
            };
            return result.records();
        } catch (ApiException e) {
            return List.of();
        }
    }

    private static Map<String, String> configs(int a, int b) {
        Map<String, String> configs = new HashMap<>();
        for (int i = 0; i < a % 3; i++) {
            String name = CONFIGS[(a + i * b) % CONFIGS.length];
            configs.put(name, (a + b + i) % 5 == 0 ? null : name + "=" + (b * 31 + i) + (i == 1 ? "\u00e9\u4e2d" : ""));
        }
        return configs;
    }

    /** The non-empty batches of {@code ops}, each decided on the image left by the previous ones. */
    public static List<List<ApiMessageAndVersion>> batches(List<Op> ops) {
        List<List<ApiMessageAndVersion>> batches = new ArrayList<>();
        MetadataImage image = MetadataImage.EMPTY;
        for (Op op : ops) {
            List<ApiMessageAndVersion> records = decide(image, op);
            if (!records.isEmpty()) {
                batches.add(records);
                image = image.apply(records, image.offset() + records.size());
            }
        }
        return batches;
    }

    /** images.get(k) is the image after the first k batches (offsets as the metadata log gives them). */
    public static List<MetadataImage> images(List<List<ApiMessageAndVersion>> batches) {
        List<MetadataImage> images = new ArrayList<>();
        MetadataImage image = MetadataImage.EMPTY;
        images.add(image);
        for (List<ApiMessageAndVersion> batch : batches) {
            image = image.apply(batch, image.offset() + batch.size());
            images.add(image);
        }
        return images;
    }

    public static void assertSameImage(MetadataImage expected, MetadataImage actual) {
        assertEquals(expected.offset(), actual.offset(), "offset");
        assertEquals(expected.nextProducerId(), actual.nextProducerId(), "nextProducerId");
        assertEquals(expected.topicsByName(), actual.topicsByName(), "topics");
        for (TopicImage t : expected.topicsByName().values()) {
            assertEquals(t, actual.topic(t.id()), "topic by id " + t.id());
        }
    }
}
