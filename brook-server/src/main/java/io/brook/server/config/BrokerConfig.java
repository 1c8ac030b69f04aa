package io.brook.server.config;

import io.brook.storage.cleaner.CleanerConfig;
import io.brook.storage.log.LogConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.SHORT;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

/**
 * The node's settings, under Kafka's broker property names and defaults, all checked at start-up.
 * Invalid values fail with a {@link ConfigException} naming the key and value; keys without effect are
 * reported by {@link #warnings()}. Immutable.
 */
public final class BrokerConfig {
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define("node.id", INT, 1, atLeast(0), HIGH, "The id of this node.")
            .define("process.roles", LIST, "broker,controller", HIGH, "Roles of this node: broker, controller.")
            .define("listeners", STRING, "PLAINTEXT://localhost:9092", HIGH, "Listeners: NAME://host:port, comma-separated.")
            .define("advertised.listeners", STRING, null, HIGH, "Listeners published to clients (default: listeners).")
            .define("controller.listener.names", LIST, "", MEDIUM, "Listener names used by the controller quorum.")
            .define("listener.security.protocol.map", STRING, "", LOW, "Listener name to security protocol.")
            .define("log.dirs", STRING, null, HIGH, "Comma-separated directories holding the log data; new "
                    + "partitions go to the one holding the fewest, the first also holds the metadata log.")
            .define("log.dir", STRING, "./data", HIGH, "Directory holding the log data, used if log.dirs is not set.")
            .define("num.partitions", INT, 1, atLeast(1), MEDIUM, "Default partition count of new topics.")
            .define("default.replication.factor", SHORT, (short) 1, atLeast(1), MEDIUM, "Default replication factor.")
            .define("auto.create.topics.enable", BOOLEAN, true, HIGH, "Create a topic on first use by a client.")
            .define("socket.request.max.bytes", INT, 104857600, atLeast(1), HIGH, "Largest request accepted, in bytes.")
            .define("connections.max.idle.ms", LONG, 600000L, atLeast(1), MEDIUM, "Idle connections close after this.")
            .define("max.connections", INT, Integer.MAX_VALUE, atLeast(0), MEDIUM, "Most connections at once.")
            .define("max.connections.per.ip", INT, Integer.MAX_VALUE, atLeast(0), MEDIUM, "Most connections per client address.")
            .define("queued.max.request.bytes", LONG, null, MEDIUM, "The number of queued bytes allowed before no "
                    + "more requests are read: requests hold their size from the moment their size prefix is "
                    + "read until they are answered, and connections stop reading while the total is used up "
                    + "(one request may take it past the limit, as in Kafka). 0 or less is unbounded (Kafka's "
                    + "default, -1); Brook's default, when it is not set, is a quarter of the maximum heap.")
            .define("brook.connection.write.buffer.bytes", INT, 1024 * 1024, atLeast(1), MEDIUM, "Most bytes of "
                    + "responses (zero-copy fetch data included) queued on one connection but not yet taken by "
                    + "its client: above it the connection stops reading and dispatching requests until its "
                    + "queue is below half of it. Bounds what a client that stops reading can make the node hold.")
            .define("num.network.threads", INT, 3, atLeast(1), HIGH, "Network (event loop) threads.")
            .define("num.io.threads", INT, 8, atLeast(1), HIGH, "Request handler threads.")
            .define("num.recovery.threads.per.data.dir", INT, 2, atLeast(1), HIGH, "Threads per log directory "
                    + "opening (and after an unclean stop recovering) partition logs at start-up.")
            .define("log.segment.bytes", INT, 1024 * 1024 * 1024, atLeast(14), HIGH, TopicConfig.SEGMENT_BYTES_DOC)
            .define("log.roll.ms", LONG, null, HIGH, TopicConfig.SEGMENT_MS_DOC)
            .define("log.roll.hours", INT, 168, atLeast(1), HIGH, TopicConfig.SEGMENT_MS_DOC)
            .define("log.roll.jitter.ms", LONG, null, HIGH, TopicConfig.SEGMENT_JITTER_MS_DOC)
            .define("log.roll.jitter.hours", INT, 0, atLeast(0), HIGH, TopicConfig.SEGMENT_JITTER_MS_DOC)
            .define("log.index.size.max.bytes", INT, 10 * 1024 * 1024, atLeast(8), MEDIUM, TopicConfig.SEGMENT_INDEX_BYTES_DOC)
            .define("log.index.interval.bytes", INT, 4096, atLeast(0), MEDIUM, TopicConfig.INDEX_INTERVAL_BYTES_DOC)
            .define("message.max.bytes", INT, 1024 * 1024 + 12, atLeast(0), HIGH, TopicConfig.MAX_MESSAGE_BYTES_DOC)
            .define("log.message.timestamp.type", STRING, "CreateTime",
                    ConfigDef.ValidString.in("CreateTime", "LogAppendTime"), MEDIUM, TopicConfig.MESSAGE_TIMESTAMP_TYPE_DOC)
            .define("log.message.timestamp.before.max.ms", LONG, Long.MAX_VALUE, atLeast(0), MEDIUM,
                    TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_DOC)
            .define("log.message.timestamp.after.max.ms", LONG, 3600000L, atLeast(0), MEDIUM,
                    TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_DOC)
            .define("log.retention.ms", LONG, null, HIGH, TopicConfig.RETENTION_MS_DOC)
            .define("log.retention.minutes", INT, null, HIGH, TopicConfig.RETENTION_MS_DOC)
            .define("log.retention.hours", INT, 168, HIGH, TopicConfig.RETENTION_MS_DOC)
            .define("log.retention.bytes", LONG, -1L, HIGH, TopicConfig.RETENTION_BYTES_DOC)
            .define("log.retention.check.interval.ms", LONG, 300000L, atLeast(1), MEDIUM,
                    "How often retention runs, in milliseconds.")
            .define("log.cleanup.policy", LIST, "delete", ConfigDef.ValidList.in("compact", "delete"), MEDIUM,
                    TopicConfig.CLEANUP_POLICY_DOC)
            .define("log.cleaner.enable", BOOLEAN, true, MEDIUM,
                    "Whether the log cleaner runs (compacted topics, including __consumer_offsets, need it).")
            .define("log.cleaner.threads", INT, 1, atLeast(1), MEDIUM, "Threads cleaning compacted logs.")
            .define("log.cleaner.dedupe.buffer.size", LONG, 128L * 1024 * 1024, MEDIUM,
                    "Memory for the cleaners' offset maps, shared by all threads (at least 1 MiB each).")
            .define("log.cleaner.io.buffer.size", INT, 512 * 1024, atLeast(0), MEDIUM,
                    "Memory for the cleaners' read and write buffers, shared by all threads.")
            .define("log.cleaner.io.buffer.load.factor", ConfigDef.Type.DOUBLE, 0.9, between(0.01, 0.99), MEDIUM,
                    "How full an offset map may get before a cleaning stops and continues in another pass.")
            .define("log.cleaner.io.max.bytes.per.second", ConfigDef.Type.DOUBLE, Double.MAX_VALUE, MEDIUM,
                    "Cleaner I/O (read plus written) allowed per second, all threads together.")
            .define("log.cleaner.backoff.ms", LONG, 15000L, atLeast(0), MEDIUM,
                    "How long a cleaner thread sleeps when no log needs cleaning.")
            .define("log.cleaner.min.cleanable.ratio", ConfigDef.Type.DOUBLE, 0.5, between(0, 1), MEDIUM,
                    TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_DOC)
            .define("log.cleaner.delete.retention.ms", LONG, 86400000L, atLeast(0), MEDIUM,
                    TopicConfig.DELETE_RETENTION_MS_DOC)
            .define("log.cleaner.min.compaction.lag.ms", LONG, 0L, atLeast(0), MEDIUM,
                    TopicConfig.MIN_COMPACTION_LAG_MS_DOC)
            .define("log.cleaner.max.compaction.lag.ms", LONG, Long.MAX_VALUE, atLeast(1), MEDIUM,
                    TopicConfig.MAX_COMPACTION_LAG_MS_DOC)
            .define("log.flush.interval.messages", LONG, Long.MAX_VALUE, atLeast(1), HIGH,
                    TopicConfig.FLUSH_MESSAGES_INTERVAL_DOC)
            .define("log.flush.interval.ms", LONG, null, HIGH, TopicConfig.FLUSH_MS_DOC)
            .define("log.flush.scheduler.interval.ms", LONG, Long.MAX_VALUE, HIGH,
                    "How often logs are checked for flush.ms, in milliseconds.")
            .define("brook.log.segment.idle.ms", LONG, 300000L, atLeast(1000), MEDIUM,
                    "A segment nothing read or wrote for this many milliseconds closes its .log file and "
                            + "drops its index entries from memory; the next use opens them again. Keeps open "
                            + "files and index memory bounded by the partitions in use, not those held. A "
                            + "segment a fetch response is still being sent from stays open until it is sent.")
            .define("log.segment.delete.delay.ms", LONG, 60000L, atLeast(0), HIGH, TopicConfig.FILE_DELETE_DELAY_MS_DOC)
            .define("min.insync.replicas", INT, 1, atLeast(1), HIGH, TopicConfig.MIN_IN_SYNC_REPLICAS_DOC)
            .define("compression.type", STRING, "producer", MEDIUM, TopicConfig.COMPRESSION_TYPE_DOC)
            .define("unclean.leader.election.enable", BOOLEAN, false, HIGH,
                    TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_DOC)
            .define("producer.id.expiration.ms", INT, 86400000, atLeast(1), LOW,
                    "Idle producers are forgotten by partitions after this many milliseconds.")
            .define("producer.id.expiration.check.interval.ms", INT, 600000, atLeast(1), LOW,
                    "How often idle producers are looked for, in milliseconds.")
            .define("fetch.max.bytes", INT, 57671680, atLeast(1024), MEDIUM, "Most bytes in one fetch response.")
            .define("max.incremental.fetch.session.cache.slots", INT, 1000, atLeast(0), MEDIUM,
                    "Most incremental fetch sessions kept at once.")
            .define("min.incremental.fetch.session.eviction.ms", LONG, 120000L, atLeast(0), MEDIUM,
                    "How long a fetch session must be idle before a new session may evict it.")
            .define("offsets.topic.num.partitions", INT, 50, atLeast(1), HIGH,
                    "Partitions of the __consumer_offsets topic (fixed once it exists).")
            .define("offsets.topic.replication.factor", SHORT, (short) 1, atLeast(1), HIGH,
                    "Replication factor of the __consumer_offsets topic.")
            .define("offsets.topic.segment.bytes", INT, 104857600, atLeast(1), HIGH,
                    "Segment size of the __consumer_offsets topic.")
            .define("brook.transaction.version", SHORT, (short) 2, between(0, 2), HIGH,
                    "The transaction.version feature Brook finalizes for clients: 2 (KIP-890: partitions "
                            + "added as they are written to, an epoch bump at every commit or abort) or 0/1 "
                            + "(the earlier protocol). Clients that do not know version 2 use the earlier one.")
            .define("transaction.state.log.num.partitions", INT, 50, atLeast(1), HIGH,
                    "Partitions of the __transaction_state topic (fixed once it exists).")
            .define("transaction.state.log.replication.factor", SHORT, (short) 1, atLeast(1), HIGH,
                    "Replication factor of the __transaction_state topic.")
            .define("transaction.state.log.min.isr", INT, 1, atLeast(1), HIGH,
                    "min.insync.replicas of the __transaction_state topic.")
            .define("transaction.state.log.segment.bytes", INT, 104857600, atLeast(1), HIGH,
                    "Segment size of the __transaction_state topic.")
            .define("transaction.max.timeout.ms", INT, 900000, atLeast(1), HIGH,
                    "Largest transaction.timeout.ms a producer may ask for.")
            .define("transactional.id.expiration.ms", INT, 604800000, atLeast(1), HIGH,
                    "A transactional id without a transaction is forgotten after this many milliseconds.")
            .define("transaction.abort.timed.out.transaction.cleanup.interval.ms", INT, 10000, atLeast(1), LOW,
                    "How often transactions older than their timeout are looked for and aborted.")
            .define("transaction.remove.expired.transaction.cleanup.interval.ms", INT, 3600000, atLeast(1), LOW,
                    "How often expired transactional ids are looked for.")
            .define("offsets.retention.minutes", INT, 10080, atLeast(1), HIGH,
                    "Offsets of a group without members are deleted this long after the group became empty.")
            .define("offsets.retention.check.interval.ms", LONG, 600000L, atLeast(1), HIGH,
                    "How often expired offsets are looked for.")
            .define("offset.metadata.max.bytes", INT, 4096, atLeast(0), HIGH,
                    "Largest metadata string an offset commit may carry.")
            .define("group.min.session.timeout.ms", INT, 6000, atLeast(0), MEDIUM,
                    "Smallest session timeout a group member may ask for.")
            .define("group.max.session.timeout.ms", INT, 1800000, atLeast(0), MEDIUM,
                    "Largest session timeout a group member may ask for.")
            .define("group.initial.rebalance.delay.ms", INT, 3000, atLeast(0), MEDIUM,
                    "How long the first rebalance of an empty group waits for more members.")
            .define("group.max.size", INT, Integer.MAX_VALUE, atLeast(1), MEDIUM,
                    "Most members a group may have.")
            .define("group.consumer.session.timeout.ms", INT, 45000, atLeast(1), MEDIUM,
                    "Session timeout of members of consumer-protocol groups (KIP-848).")
            .define("group.consumer.heartbeat.interval.ms", INT, 5000, atLeast(1), MEDIUM,
                    "Heartbeat interval the coordinator gives members of consumer-protocol groups.")
            .define("group.consumer.max.size", INT, Integer.MAX_VALUE, atLeast(1), MEDIUM,
                    "Most members a consumer-protocol group may have.")
            .define("group.consumer.assignors", LIST, "uniform,range",
                    ConfigDef.ValidList.in("uniform", "range"), MEDIUM,
                    "Server-side assignors of consumer-protocol groups; the first is the default.")
            .define("broker.rack", STRING, null, MEDIUM, "The rack of this node.")
            .define("delete.topic.enable", BOOLEAN, true, HIGH, "Whether topics may be deleted.");

    /** Kafka's floor for {@code log.cleaner.dedupe.buffer.size} per cleaner thread. */
    private static final long MIN_DEDUPE_BYTES_PER_THREAD = 1024 * 1024;

    /** Broker property name of each topic-level default, as Kafka pairs them. */
    private static final Map<String, String> TOPIC_SYNONYMS = new LinkedHashMap<>();

    static {
        TOPIC_SYNONYMS.put(TopicConfig.SEGMENT_BYTES_CONFIG, "log.segment.bytes");
        TOPIC_SYNONYMS.put(TopicConfig.SEGMENT_MS_CONFIG, "log.roll.ms");
        TOPIC_SYNONYMS.put(TopicConfig.SEGMENT_JITTER_MS_CONFIG, "log.roll.jitter.ms");
        TOPIC_SYNONYMS.put(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, "log.index.size.max.bytes");
        TOPIC_SYNONYMS.put(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "log.index.interval.bytes");
        TOPIC_SYNONYMS.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "message.max.bytes");
        TOPIC_SYNONYMS.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "log.message.timestamp.type");
        TOPIC_SYNONYMS.put(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "log.message.timestamp.before.max.ms");
        TOPIC_SYNONYMS.put(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, "log.message.timestamp.after.max.ms");
        TOPIC_SYNONYMS.put(TopicConfig.RETENTION_MS_CONFIG, "log.retention.ms");
        TOPIC_SYNONYMS.put(TopicConfig.RETENTION_BYTES_CONFIG, "log.retention.bytes");
        TOPIC_SYNONYMS.put(TopicConfig.CLEANUP_POLICY_CONFIG, "log.cleanup.policy");
        TOPIC_SYNONYMS.put(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, "log.flush.interval.messages");
        TOPIC_SYNONYMS.put(TopicConfig.FLUSH_MS_CONFIG, "log.flush.interval.ms");
        TOPIC_SYNONYMS.put(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, "log.segment.delete.delay.ms");
        TOPIC_SYNONYMS.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "min.insync.replicas");
        TOPIC_SYNONYMS.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "compression.type");
        TOPIC_SYNONYMS.put(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "unclean.leader.election.enable");
        TOPIC_SYNONYMS.put(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "log.cleaner.min.cleanable.ratio");
        TOPIC_SYNONYMS.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, "log.cleaner.delete.retention.ms");
        TOPIC_SYNONYMS.put(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "log.cleaner.min.compaction.lag.ms");
        TOPIC_SYNONYMS.put(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "log.cleaner.max.compaction.lag.ms");
    }

    /** An address to listen on and the one to tell clients. */
    public record Listener(String name, String bindHost, int port, String advertisedHost, int advertisedPort) {
    }

    private final Map<String, String> originals;
    private final Map<String, Object> values;
    private final Listener listener;
    private final Map<String, String> topicDefaults;

    private BrokerConfig(Map<String, String> originals) {
        this.originals = Map.copyOf(originals);
        this.values = CONFIG_DEF.parse(originals);
        this.listener = parseListener();
        this.topicDefaults = computeTopicDefaults();
        LogConfig.fromMap(topicDefaults); // the derived topic defaults must be valid too
        List<String> roles = getList("process.roles");
        for (String role : roles) {
            if (!role.equals("broker") && !role.equals("controller")) {
                throw new ConfigException("process.roles", roles, "roles are 'broker' and 'controller'");
            }
        }
        if (getLong("log.cleaner.dedupe.buffer.size") / getInt("log.cleaner.threads") < MIN_DEDUPE_BYTES_PER_THREAD) {
            throw new ConfigException("log.cleaner.dedupe.buffer.size", getLong("log.cleaner.dedupe.buffer.size"),
                    "must be at least 1 MiB per cleaner thread (log.cleaner.threads=" + getInt("log.cleaner.threads")
                            + ")");
        }
        if (logDirs().isEmpty()) {
            throw new ConfigException("log.dirs", getString("log.dirs"),
                    "names no directory; give one or more paths separated by commas");
        }
    }

    public static BrokerConfig fromMap(Map<String, String> properties) {
        return new BrokerConfig(properties);
    }

    /**
     * What the operator must be warned of: every supplied setting Brook does not know, and every one it
     * knows of but does not honour yet (see {@link SettingsReport}).
     */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>(SettingsReport.warnings(originals, CONFIG_DEF));
        if (originals.containsKey("process.roles") && !getList("process.roles").containsAll(List.of("broker",
                "controller"))) {
            warnings.add("The setting process.roles=" + originals.get("process.roles") + " has no effect yet: this "
                    + "node runs as both broker and controller.");
        }
        return warnings;
    }

    /** The effective value of every setting, secrets masked, for the start-up log. */
    public String effectiveSettings() {
        return SettingsReport.effective(values, CONFIG_DEF);
    }

    public static BrokerConfig defaults() {
        return fromMap(Map.of());
    }

    /** Reads a Kafka-style properties file. */
    public static Map<String, String> readProperties(File file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file.toPath())) {
            properties.load(reader);
        }
        Map<String, String> map = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name).trim());
        }
        return map;
    }

    private Listener parseListener() {
        List<String> controllerNames = getList("controller.listener.names");
        Listener found = null;
        for (String entry : getString("listeners").split(",")) {
            String spec = entry.trim();
            if (spec.isEmpty()) {
                continue;
            }
            Endpoint endpoint = Endpoint.parse("listeners", spec);
            if (controllerNames.contains(endpoint.name())) {
                continue; // the single-node quorum is local; controller listeners are not needed
            }
            if (found != null) {
                throw new ConfigException("listeners", getString("listeners"),
                        "Brook serves one client listener for now");
            }
            if (!endpoint.name().equals("PLAINTEXT") && !protocolOf(endpoint.name()).equals("PLAINTEXT")) {
                throw new ConfigException("listeners", spec, "only PLAINTEXT listeners are supported for now");
            }
            found = new Listener(endpoint.name(), endpoint.host(), endpoint.port(), endpoint.host(), endpoint.port());
        }
        if (found == null) {
            throw new ConfigException("listeners", getString("listeners"), "no client listener is configured");
        }
        String advertised = getString("advertised.listeners");
        String host = found.bindHost();
        int port = found.port();
        if (advertised != null) {
            for (String entry : advertised.split(",")) {
                Endpoint endpoint = Endpoint.parse("advertised.listeners", entry.trim());
                if (endpoint.name().equals(found.name())) {
                    host = endpoint.host();
                    port = endpoint.port();
                }
            }
        }
        if (host.isEmpty() || host.equals("0.0.0.0")) {
            try {
                host = InetAddress.getLocalHost().getCanonicalHostName();
            } catch (IOException e) {
                host = "localhost";
            }
        }
        return new Listener(found.name(), found.bindHost().isEmpty() ? "0.0.0.0" : found.bindHost(), found.port(),
                host, port);
    }

    private String protocolOf(String listenerName) {
        for (String pair : getString("listener.security.protocol.map").split(",")) {
            String[] kv = pair.trim().split(":");
            if (kv.length == 2 && kv[0].trim().equals(listenerName)) {
                return kv[1].trim().toUpperCase(Locale.ROOT);
            }
        }
        return listenerName;
    }

    private record Endpoint(String name, String host, int port) {
        static Endpoint parse(String key, String spec) {
            int sep = spec.indexOf("://");
            int colon = spec.lastIndexOf(':');
            if (sep <= 0 || colon <= sep) {
                throw new ConfigException(key, spec, "expected NAME://host:port");
            }
            String host = spec.substring(sep + 3, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                int port = Integer.parseInt(spec.substring(colon + 1));
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return new Endpoint(spec.substring(0, sep).toUpperCase(Locale.ROOT), host, port);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, spec, "the port must be a number from 0 to 65535");
            }
        }
    }

    private Map<String, String> computeTopicDefaults() {
        Map<String, String> defaults = new HashMap<>();
        defaults.put(TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(getInt("log.segment.bytes")));
        Long rollMs = (Long) values.get("log.roll.ms");
        defaults.put(TopicConfig.SEGMENT_MS_CONFIG,
                String.valueOf(rollMs != null ? rollMs : getInt("log.roll.hours") * 3600_000L));
        Long jitterMs = (Long) values.get("log.roll.jitter.ms");
        defaults.put(TopicConfig.SEGMENT_JITTER_MS_CONFIG,
                String.valueOf(jitterMs != null ? jitterMs : getInt("log.roll.jitter.hours") * 3600_000L));
        defaults.put(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, String.valueOf(getInt("log.index.size.max.bytes")));
        defaults.put(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, String.valueOf(getInt("log.index.interval.bytes")));
        defaults.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(getInt("message.max.bytes")));
        defaults.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, getString("log.message.timestamp.type"));
        defaults.put(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                String.valueOf(getLong("log.message.timestamp.before.max.ms")));
        defaults.put(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
                String.valueOf(getLong("log.message.timestamp.after.max.ms")));
        Long retentionMs = (Long) values.get("log.retention.ms");
        Integer retentionMinutes = (Integer) values.get("log.retention.minutes");
        long retention = retentionMs != null ? retentionMs
                : retentionMinutes != null ? retentionMinutes * 60_000L : getInt("log.retention.hours") * 3600_000L;
        defaults.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retention < 0 ? -1 : retention));
        defaults.put(TopicConfig.RETENTION_BYTES_CONFIG, String.valueOf(getLong("log.retention.bytes")));
        defaults.put(TopicConfig.CLEANUP_POLICY_CONFIG, String.join(",", getList("log.cleanup.policy")));
        defaults.put(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, String.valueOf(getLong("log.flush.interval.messages")));
        Long flushMs = (Long) values.get("log.flush.interval.ms");
        defaults.put(TopicConfig.FLUSH_MS_CONFIG, String.valueOf(flushMs != null ? flushMs
                : getLong("log.flush.scheduler.interval.ms")));
        defaults.put(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, String.valueOf(getLong("log.segment.delete.delay.ms")));
        defaults.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(getInt("min.insync.replicas")));
        defaults.put(TopicConfig.COMPRESSION_TYPE_CONFIG, getString("compression.type"));
        defaults.put(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG,
                String.valueOf(values.get("unclean.leader.election.enable")));
        defaults.put(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                String.valueOf(values.get("log.cleaner.min.cleanable.ratio")));
        defaults.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, String.valueOf(getLong("log.cleaner.delete.retention.ms")));
        defaults.put(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                String.valueOf(getLong("log.cleaner.min.compaction.lag.ms")));
        defaults.put(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG,
                String.valueOf(getLong("log.cleaner.max.compaction.lag.ms")));
        return Map.copyOf(defaults);
    }

    /** The log cleaner's settings. */
    public CleanerConfig cleanerConfig() {
        return new CleanerConfig(getInt("log.cleaner.threads"), getLong("log.cleaner.dedupe.buffer.size"),
                (Double) values.get("log.cleaner.io.buffer.load.factor"), getInt("log.cleaner.io.buffer.size"),
                (Double) values.get("log.cleaner.io.max.bytes.per.second"), getLong("log.cleaner.backoff.ms"));
    }

    /** Topic-level defaults derived from the broker settings (topic config name to value). */
    public Map<String, String> topicDefaults() {
        return topicDefaults;
    }

    /** The broker property whose value is the default of a topic config, or null. */
    public static String brokerSynonym(String topicConfig) {
        return TOPIC_SYNONYMS.get(topicConfig);
    }

    /** Whether the broker property was set explicitly (in the file or an override). */
    public boolean isSet(String name) {
        return originals.containsKey(name);
    }

    public Map<String, String> originals() {
        return originals;
    }

    public Object value(String name) {
        return values.get(name);
    }

    public int nodeId() {
        return getInt("node.id");
    }

    public Listener listener() {
        return listener;
    }

    /** The log directories ({@code log.dirs}, comma-separated, else {@code log.dir}), in the order given. */
    public List<File> logDirs() {
        String dirs = getString("log.dirs");
        return Arrays.stream((dirs != null ? dirs : getString("log.dir")).split(","))
                .map(String::trim).filter(d -> !d.isEmpty()).map(File::new).toList();
    }

    /** The first log directory: it also holds the metadata log. */
    public File logDir() {
        return logDirs().get(0);
    }

    public int getInt(String name) {
        return (Integer) values.get(name);
    }

    public long getLong(String name) {
        return (Long) values.get(name);
    }

    public short getShort(String name) {
        return (Short) values.get(name);
    }

    public boolean getBoolean(String name) {
        return (Boolean) values.get(name);
    }

    public String getString(String name) {
        return (String) values.get(name);
    }

    @SuppressWarnings("unchecked")
    public List<String> getList(String name) {
        Object v = values.get(name);
        return v == null ? List.of() : (List<String>) v;
    }

    @Override
    public String toString() {
        return "BrokerConfig" + Arrays.toString(originals.entrySet().toArray());
    }
}
