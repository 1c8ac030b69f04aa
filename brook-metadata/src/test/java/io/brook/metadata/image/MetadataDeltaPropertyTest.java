package io.brook.metadata.image;

import org.apache.kafka.server.common.ApiMessageAndVersion;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.FeatureLevelRecord;
import org.apache.kafka.common.metadata.FenceBrokerRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.UnfenceBrokerRecord;
import org.apache.kafka.common.metadata.UnregisterBrokerRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;

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

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.partitionChange;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

/**
 * Random valid sequences of Kafka's metadata records (topics created, re-created under a reused name or
 * id, deleted; partitions created, replaced and changed by partition-change records with Kafka's "no
 * change" defaults; topic and broker configs set and removed; feature levels; producer-id blocks; brokers
 * registered, re-registered, fenced, unfenced and unregistered), cut
 * into random batches:
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
        final Map<String, Map<String, String>> brokerConfigs = new HashMap<>();
        final Map<String, Short> features = new HashMap<>();
        /** Registered brokers: id to {epoch, fenced 0/1}. */
        final Map<Integer, long[]> brokers = new TreeMap<>();
        long nextProducerId;

        Uuid idOf(String name) {
            for (Map.Entry<Uuid, Topic> e : topics.entrySet()) {
                if (e.getValue().name().equals(name)) {
                    return e.getKey();
                }
            }
            return null;
        }

        void replay(ApiMessageAndVersion record) {
            if (record.message() instanceof TopicRecord r) {
                topics.put(r.topicId(), new Topic(r.name(), new TreeMap<>(), new HashMap<>()));
            } else if (record.message() instanceof PartitionRecord r) {
                topics.get(r.topicId()).partitions().put(r.partitionId(), new PartitionImage(r.partitionId(),
                        r.replicas(), r.isr(), r.leader(), r.leaderEpoch(), r.partitionEpoch()));
            } else if (record.message() instanceof PartitionChangeRecord r) {
                TreeMap<Integer, PartitionImage> partitions = topics.get(r.topicId()).partitions();
                PartitionImage p = partitions.get(r.partitionId());
                boolean newLeader = r.leader() != -2;
                partitions.put(r.partitionId(), new PartitionImage(p.partition(),
                        r.replicas() != null ? r.replicas() : p.replicas(), r.isr() != null ? r.isr() : p.isr(),
                        newLeader ? r.leader() : p.leader(), newLeader ? p.leaderEpoch() + 1 : p.leaderEpoch(),
                        p.partitionEpoch() + 1));
            } else if (record.message() instanceof ConfigRecord r) {
                Map<String, String> configs = r.resourceType() == MetadataRecords.TOPIC_RESOURCE
                        ? topics.get(idOf(r.resourceName())).configs()
                        : brokerConfigs.computeIfAbsent(r.resourceName(), k -> new HashMap<>());
                if (r.value() == null) {
                    configs.remove(r.name());
                } else {
                    configs.put(r.name(), r.value());
                }
                brokerConfigs.values().removeIf(Map::isEmpty);
            } else if (record.message() instanceof RemoveTopicRecord r) {
                topics.remove(r.topicId());
            } else if (record.message() instanceof ProducerIdsRecord r) {
                nextProducerId = Math.max(nextProducerId, r.nextProducerId());
            } else if (record.message() instanceof FeatureLevelRecord r) {
                if (r.featureLevel() == 0) {
                    features.remove(r.name());
                } else {
                    features.put(r.name(), r.featureLevel());
                }
            } else if (record.message() instanceof RegisterBrokerRecord r) {
                brokers.put(r.brokerId(), new long[] {r.brokerEpoch(), r.fenced() ? 1 : 0});
            } else if (record.message() instanceof FenceBrokerRecord r) {
                brokers.get(r.id())[1] = 1;
            } else if (record.message() instanceof UnfenceBrokerRecord r) {
                brokers.get(r.id())[1] = 0;
            } else if (record.message() instanceof UnregisterBrokerRecord r) {
                brokers.remove(r.brokerId());
            } else {
                throw new AssertionError("the model has no rule for " + record);
            }
        }

        void assertMatches(MetadataImage image) {
            assertEquals(nextProducerId, image.nextProducerId());
            assertEquals(brokerConfigs, image.brokerConfigs());
            assertEquals(features, image.features());
            assertEquals(brokers.keySet(), new java.util.TreeSet<>(image.cluster().brokers().keySet()));
            brokers.forEach((id, state) -> {
                assertEquals(state[0], image.cluster().broker(id).epoch());
                assertEquals(state[1] == 1, image.cluster().broker(id).fenced());
            });
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
    private static List<ApiMessageAndVersion> records(long seed, int count) {
        Random random = new Random(seed);
        Model model = new Model();
        List<ApiMessageAndVersion> records = new ArrayList<>();
        long ids = 1;
        while (records.size() < count) {
            List<Uuid> live = new ArrayList<>(model.topics.keySet());
            Uuid some = live.isEmpty() ? null : live.get(random.nextInt(live.size()));
            ApiMessageAndVersion record;
            int kind = random.nextInt(100);
            if (kind < 15 || some == null) {
                String name = NAMES[random.nextInt(NAMES.length)];
                Uuid existing = model.idOf(name);
                if (existing != null && random.nextBoolean()) {
                    record = topic(name, existing); // the same id again: the topic starts afresh
                } else if (existing != null) {
                    record = removeTopic(existing); // the name is reused next time round
                } else {
                    record = topic(name, new Uuid(7, ids++));
                }
            } else if (kind < 45 || kind < 65 && model.topics.get(some).partitions().isEmpty()) {
                List<Integer> replicas = random.ints(1 + random.nextInt(3), 0, 4).boxed().distinct().toList();
                record = partition(some, random.nextInt(6), replicas, replicas.subList(0, 1),
                        replicas.get(0), random.nextInt(5), random.nextInt(5));
            } else if (kind < 65) {
                List<Integer> indexes = new ArrayList<>(model.topics.get(some).partitions().keySet());
                int p = indexes.get(random.nextInt(indexes.size()));
                List<Integer> replicas = random.ints(1 + random.nextInt(3), 0, 4).boxed().distinct().toList();
                int leader = switch (random.nextInt(4)) {
                    case 0 -> MetadataRecords.NO_LEADER_CHANGE;
                    case 1 -> MetadataRecords.NO_LEADER;
                    default -> replicas.get(0);
                };
                record = partitionChange(some, p, random.nextBoolean() ? null : replicas,
                        random.nextBoolean() ? null : replicas.subList(0, 1), leader);
            } else if (kind < 75) {
                record = topicConfig(model.topics.get(some).name(), CONFIGS[random.nextInt(CONFIGS.length)],
                        random.nextInt(3) == 0 ? null : Integer.toString(random.nextInt(100)));
            } else if (kind < 80) {
                record = MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, random.nextBoolean() ? "" : "1",
                        CONFIGS[random.nextInt(CONFIGS.length)],
                        random.nextInt(3) == 0 ? null : Integer.toString(random.nextInt(100)));
            } else if (kind < 83) {
                record = MetadataRecords.featureLevel(random.nextBoolean() ? "metadata.version" : "x.version",
                        (short) random.nextInt(3));
            } else if (kind < 93) {
                record = removeTopic(some);
            } else if (kind < 96) {
                record = producerIds(-1, -1, random.nextInt(5000));
            } else {
                record = brokerRecord(random, model, records.size());
            }
            model.replay(record);
            records.add(record);
        }
        return records;
    }

    /** A valid broker record for broker 1..3: register (afresh or again), fence, unfence or unregister. */
    private static ApiMessageAndVersion brokerRecord(Random random, Model model, long epoch) {
        int id = 1 + random.nextInt(3);
        long[] state = model.brokers.get(id);
        int choice = state == null ? 0 : random.nextInt(4);
        return switch (choice) {
            case 0 -> new ApiMessageAndVersion(new RegisterBrokerRecord().setBrokerId(id).setBrokerEpoch(epoch)
                    .setIncarnationId(new Uuid(5, id)).setFenced(random.nextBoolean()), (short) 0);
            case 1 -> new ApiMessageAndVersion(new FenceBrokerRecord().setId(id).setEpoch(state[0]), (short) 0);
            case 2 -> new ApiMessageAndVersion(new UnfenceBrokerRecord().setId(id).setEpoch(state[0]), (short) 0);
            default -> new ApiMessageAndVersion(new UnregisterBrokerRecord().setBrokerId(id)
                    .setBrokerEpoch(state[0]), (short) 0);
        };
    }

    /**
     * The delta between any two images of one history ({@link MetadataDelta#between}, an installed
     * snapshot) leads from the earlier to the later one exactly.
     */
    @Property(tries = 200)
    void betweenTwoImagesLeadsFromTheFirstToTheSecond(@ForAll("seeds") long seed) {
        Random random = new Random(seed ^ 0x77L);
        List<ApiMessageAndVersion> records = records(seed, 1 + random.nextInt(150));
        int second = random.nextInt(records.size() + 1);
        int first = random.nextInt(second + 1);
        MetadataImage from = MetadataImage.EMPTY.apply(records.subList(0, first), first - 1);
        MetadataImage to = MetadataImage.EMPTY.apply(records.subList(0, second), second - 1);
        MetadataDelta delta = MetadataDelta.between(from, to);
        assertEquals(to, delta.apply(to.offset()));
        for (TopicImage topic : to.topicsById().values()) {
            if (topic.equals(from.topic(topic.id()))) {
                assertEquals(null, delta.topic(topic.id()), "an unchanged topic is not in the delta");
            }
        }
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 300)
    void deltasGiveTheImageAFullReplayGives(@ForAll("seeds") long seed) {
        Random random = new Random(seed ^ 0x5DEECE66DL);
        List<ApiMessageAndVersion> records = records(seed, 1 + random.nextInt(120));
        MetadataImage image = MetadataImage.EMPTY;
        Model model = new Model();
        List<MetadataImage> versions = new ArrayList<>();
        List<Model> snapshots = new ArrayList<>();
        int next = 0;
        while (next < records.size()) {
            List<ApiMessageAndVersion> batch = records.subList(next, Math.min(records.size(), next + 1 + random.nextInt(12)));
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

    /**
     * Snapshot plus tail equals full replay: the records of the image after any batch ({@link
     * MetadataImage#records}) rebuild it exactly, and the remaining batches applied on top give the image
     * of replaying everything.
     */
    @Property(tries = 200)
    void aSnapshotPlusTheTailGivesTheImageOfAFullReplay(@ForAll("seeds") long seed) {
        Random random = new Random(seed ^ 0x1234L);
        List<ApiMessageAndVersion> records = records(seed, 1 + random.nextInt(150));
        int cut = random.nextInt(records.size() + 1);
        MetadataImage atCut = MetadataImage.EMPTY.apply(records.subList(0, cut), cut - 1);
        MetadataImage fromSnapshot = MetadataImage.EMPTY.apply(atCut.records(), cut - 1);
        assertEquals(atCut, fromSnapshot);
        MetadataImage image = fromSnapshot;
        int next = cut;
        while (next < records.size()) {
            List<ApiMessageAndVersion> batch = records.subList(next, Math.min(records.size(), next + 1 + random.nextInt(12)));
            next += batch.size();
            image = image.apply(batch, next - 1);
        }
        MetadataImage full = MetadataImage.EMPTY.apply(records, records.size() - 1);
        assertEquals(full, image);
        Model model = new Model();
        records.forEach(model::replay);
        model.assertMatches(image);
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
        for (int id = 1; id <= 3; id++) {
            java.util.Optional<BrokerRegistration> change = delta.changedBrokers().get(id);
            if (change == null) {
                assertSame(before.cluster().broker(id), after.cluster().broker(id), "an untouched broker is shared");
            } else {
                assertEquals(change.orElse(null), after.cluster().broker(id), "the delta names broker " + id);
            }
        }
    }

    private static Model copy(Model model) {
        Model copy = new Model();
        model.topics.forEach((id, t) -> copy.topics.put(id,
                new Model.Topic(t.name(), new TreeMap<>(t.partitions()), new HashMap<>(t.configs()))));
        copy.nextProducerId = model.nextProducerId;
        model.brokerConfigs.forEach((k, v) -> copy.brokerConfigs.put(k, new HashMap<>(v)));
        copy.features.putAll(model.features);
        model.brokers.forEach((id, state) -> copy.brokers.put(id, state.clone()));
        return copy;
    }
}
