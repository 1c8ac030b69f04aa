package io.brook.metadata.image;

import io.brook.metadata.record.MetadataRecord;
import io.brook.metadata.record.MetadataRecord.ConfigRecord;
import io.brook.metadata.record.MetadataRecord.PartitionRecord;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;
import io.brook.metadata.record.MetadataRecord.RemoveTopicRecord;
import io.brook.metadata.record.MetadataRecord.TopicRecord;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random valid record sequences (topics created, re-created under a reused name or id, deleted;
 * partitions created and changed; configs set and removed; producer-id blocks), cut into random
 * batches:
 * <ul>
 *   <li>the image built batch by batch through deltas equals the image of one delta over all the
 *       records, and both equal a plain mutable model that replays the records from scratch;</li>
 *   <li>every intermediate image still holds what it held when it was made (later deltas share
 *       its structure but never change it);</li>
 *   <li>each delta names every topic whose image changed and every changed partition, and the
 *       topics it does not name are the very same objects as in the image before.</li>
 * </ul>
 */
class MetadataDeltaPropertyTest {
    private static final String[] NAMES = {"a", "b", "c", "d", "__x"};
    private static final String[] CONFIGS = {"retention.ms", "cleanup.policy", "segment.bytes"};

    /** The reference: topics by id in a mutable map, rebuilt from nothing by replaying every record. */
    private static final class Model {
        record Topic(String name, TreeMap<Integer, PartitionImage> partitions, Map<String, String> configs) {
        }

        final Map<Uuid, Topic> topics = new LinkedHashMap<>();
        long nextProducerId;

        Uuid idOf(String name) {
            for (Map.Entry<Uuid, Topic> e : topics.entrySet()) {
                if (e.getValue().name().equals(name)) {
                    return e.getKey();
                }
            }
            return null;
        }

        void replay(MetadataRecord record) {
            if (record instanceof TopicRecord r) {
                topics.put(r.topicId(), new Topic(r.name(), new TreeMap<>(), new HashMap<>()));
            } else if (record instanceof PartitionRecord r) {
                topics.get(r.topicId()).partitions().put(r.partition(), new PartitionImage(r.partition(),
                        r.replicas(), r.isr(), r.leader(), r.leaderEpoch(), r.partitionEpoch()));
            } else if (record instanceof ConfigRecord r) {
                Map<String, String> configs = topics.get(idOf(r.topic())).configs();
                if (r.value() == null) {
                    configs.remove(r.name());
                } else {
                    configs.put(r.name(), r.value());
                }
            } else if (record instanceof RemoveTopicRecord r) {
                topics.remove(r.topicId());
            } else if (record instanceof ProducerIdsRecord r) {
                nextProducerId = Math.max(nextProducerId, r.nextProducerId());
            }
        }

        void assertMatches(MetadataImage image) {
            assertEquals(nextProducerId, image.nextProducerId());
            assertEquals(topics.size(), image.topicsById().size());
            assertEquals(topics.size(), image.topicsByName().size());
            for (Map.Entry<Uuid, Topic> e : topics.entrySet()) {
                TopicImage topic = image.topic(e.getKey());
                assertNotNull(topic, "topic " + e.getValue().name());
                assertSame(topic, image.topic(e.getValue().name()));
                assertEquals(e.getValue().name(), topic.name());
                assertEquals(e.getValue().partitions(), topic.partitions());
                assertEquals(List.copyOf(e.getValue().partitions().keySet()), List.copyOf(topic.partitions().keySet()));
                assertEquals(e.getValue().configs(), topic.configs());
            }
        }
    }

    /** Turns a seed into a valid record sequence by deciding each record against the model so far. */
    private static List<MetadataRecord> records(long seed, int count) {
        Random random = new Random(seed);
        Model model = new Model();
        List<MetadataRecord> records = new ArrayList<>();
        long ids = 1;
        while (records.size() < count) {
            List<Uuid> live = new ArrayList<>(model.topics.keySet());
            Uuid some = live.isEmpty() ? null : live.get(random.nextInt(live.size()));
            MetadataRecord record;
            int kind = random.nextInt(100);
            if (kind < 15 || some == null) {
                String name = NAMES[random.nextInt(NAMES.length)];
                Uuid existing = model.idOf(name);
                if (existing != null && random.nextBoolean()) {
                    record = new TopicRecord(name, existing); // the same id again: the topic starts afresh
                } else if (existing != null) {
                    record = new RemoveTopicRecord(existing); // the name is reused next time round
                } else {
                    record = new TopicRecord(name, new Uuid(7, ids++));
                }
            } else if (kind < 65) {
                List<Integer> replicas = random.ints(1 + random.nextInt(3), 0, 4).boxed().distinct().toList();
                record = new PartitionRecord(some, random.nextInt(6), replicas, replicas.subList(0, 1),
                        replicas.get(0), random.nextInt(5), random.nextInt(5));
            } else if (kind < 85) {
                record = new ConfigRecord(model.topics.get(some).name(), CONFIGS[random.nextInt(CONFIGS.length)],
                        random.nextInt(3) == 0 ? null : Integer.toString(random.nextInt(100)));
            } else if (kind < 93) {
                record = new RemoveTopicRecord(some);
            } else {
                record = new ProducerIdsRecord(random.nextInt(5000));
            }
            model.replay(record);
            records.add(record);
        }
        return records;
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 300)
    void deltasGiveTheImageAFullReplayGives(@ForAll("seeds") long seed) {
        Random random = new Random(seed ^ 0x5DEECE66DL);
        List<MetadataRecord> records = records(seed, 1 + random.nextInt(120));
        MetadataImage image = MetadataImage.EMPTY;
        Model model = new Model();
        List<MetadataImage> versions = new ArrayList<>();
        List<Model> snapshots = new ArrayList<>();
        int next = 0;
        while (next < records.size()) {
            List<MetadataRecord> batch = records.subList(next, Math.min(records.size(), next + 1 + random.nextInt(12)));
            next += batch.size();
            MetadataDelta delta = new MetadataDelta(image);
            batch.forEach(delta::replay);
            MetadataImage after = delta.apply(next - 1);
            assertDeltaDescribesTheChange(image, delta, after);
            image = after;
            batch.forEach(model::replay);
            model.assertMatches(image);
            versions.add(image);
            snapshots.add(copy(model));
        }
        MetadataImage replayed = MetadataImage.EMPTY.apply(records, records.size() - 1);
        assertEquals(replayed, image);
        model.assertMatches(replayed);
        for (int i = 0; i < versions.size(); i++) {
            snapshots.get(i).assertMatches(versions.get(i));
        }
    }

    private static void assertDeltaDescribesTheChange(MetadataImage before, MetadataDelta delta, MetadataImage after) {
        for (TopicImage topic : after.topicsById().values()) {
            TopicDelta changed = delta.topic(topic.id());
            if (changed == null) {
                assertSame(before.topic(topic.id()), topic, "a topic the delta does not name is shared");
                continue;
            }
            TopicImage old = changed.created() ? null : before.topic(topic.id());
            for (PartitionImage p : topic.partitions().values()) {
                if (old == null || !Objects.equals(old.partitions().get(p.partition()), p)) {
                    assertTrue(changed.changedPartitions().containsKey(p.partition()),
                            "changed partition " + topic.name() + "-" + p.partition() + " is in the delta");
                }
            }
            if (old != null && !old.configs().equals(topic.configs())) {
                assertTrue(changed.configsChanged());
            }
        }
        for (TopicImage topic : before.topicsById().values()) {
            TopicImage now = after.topic(topic.id());
            TopicDelta changed = delta.topic(topic.id());
            if (now == null || changed != null && changed.created()) {
                assertTrue(delta.deletedTopics().contains(topic), "deleted topic " + topic.name() + " is in the delta");
            }
        }
        for (TopicImage gone : delta.deletedTopics()) {
            assertSame(before.topic(gone.id()), gone);
        }
    }

    private static Model copy(Model model) {
        Model copy = new Model();
        model.topics.forEach((id, t) -> copy.topics.put(id,
                new Model.Topic(t.name(), new TreeMap<>(t.partitions()), new HashMap<>(t.configs()))));
        copy.nextProducerId = model.nextProducerId;
        return copy;
    }
}
