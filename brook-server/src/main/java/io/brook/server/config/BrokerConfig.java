package io.brook.server.config;

import io.brook.storage.cleaner.CleanerConfig;
import io.brook.storage.log.LogConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

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
            .define("process.roles", LIST, "broker,controller", HIGH, "Roles of this node: broker, controller, "
                    + "or both (Brook's default: one node that is its own cluster).")
            .define("listeners", STRING, "PLAINTEXT://localhost:9092", HIGH, "Listeners: NAME://host:port, "
                    + "comma-separated; every one but the controller listener serves Kafka clients.")
            .define("advertised.listeners", STRING, null, HIGH, "Listeners published to clients and other brokers "
                    + "(default: listeners), never 0.0.0.0; a controller's own controller listener here is the "
                    + "address the other controllers use (KIP-853), never given to clients.")
            .define("controller.listener.names", LIST, "", MEDIUM, "Listener names used by the controller quorum; "
                    + "the first one in listeners is this controller's. Required for a quorum of more than one "
                    + "controller and on broker-only nodes.")
            .define("listener.security.protocol.map", STRING, null, LOW, "Listener name to security protocol "
                    + "(NAME:PROTOCOL,...). Default: Kafka's (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL map to "
                    + "themselves, controller listeners to PLAINTEXT). PLAINTEXT and SSL are served (SASL not yet).")
            .define("inter.broker.listener.name", STRING, null, MEDIUM, "The listener brokers reach each other "
                    + "on (default: the first listener that is not a controller listener).")
            .define("controller.quorum.voters", LIST, "", HIGH, "The static controller quorum: id@host:port of "
                    + "every voter, comma-separated; the port is the voter's controller listener.")
            .define("controller.quorum.bootstrap.servers", LIST, "", HIGH, "The controllers (host:port) to "
                    + "bootstrap a dynamic quorum (KIP-853) from; not together with controller.quorum.voters.")
            .define("controller.quorum.election.timeout.ms", INT, 1000, atLeast(1), MEDIUM, "How long a "
                    + "controller waits without a leader before it calls an election.")
            .define("controller.quorum.request.timeout.ms", INT, 2000, atLeast(1), MEDIUM, "How long a "
                    + "controller waits for a quorum request to be answered.")
            .define("broker.session.timeout.ms", INT, 9000, atLeast(1), MEDIUM, "A broker whose heartbeats stop "
                    + "for this long is fenced by the controller.")
            .define("broker.heartbeat.interval.ms", INT, 2000, atLeast(1), MEDIUM, "How often a broker sends the "
                    + "controller a heartbeat.")
            .define("replica.lag.time.max.ms", LONG, 30000L, atLeast(1), HIGH, "A follower that has not caught up "
                    + "with its leader's log end for this long leaves the in-sync replicas.")
            .define("replica.high.watermark.checkpoint.interval.ms", LONG, 5000L, atLeast(1), HIGH, "How often "
                    + "each log directory's replication-offset-checkpoint file records the high watermarks.")
            .define("leader.replication.throttled.rate", LONG, Long.MAX_VALUE, atLeast(0), MEDIUM, "Bytes per "
                    + "second a leader sends to the replicas its topics list in leader.replication.throttled.replicas "
                    + "while they are out of the ISR (KIP-73); dynamic, usually set per broker by a reassignment.")
            .define("follower.replication.throttled.rate", LONG, Long.MAX_VALUE, atLeast(0), MEDIUM, "Bytes per "
                    + "second a follower fetches for the replicas its topics list in "
                    + "follower.replication.throttled.replicas while they are behind (KIP-73); dynamic.")
            .define("replica.alter.log.dirs.io.max.bytes.per.second", LONG, Long.MAX_VALUE, atLeast(0), MEDIUM,
                    "Bytes per second the moves of replicas between this broker's log directories copy "
                    + "(AlterReplicaLogDirs, KIP-113), all moves together; dynamic.")
            .define("replication.quota.window.num", INT, 11, atLeast(1), LOW, "Samples the replication "
                    + "throttles measure their rate over.")
            .define("replication.quota.window.size.seconds", INT, 1, atLeast(1), LOW, "Time span of each sample "
                    + "of the replication throttles, in seconds.")
            .define("initial.broker.registration.timeout.ms", INT, 60000, atLeast(1), MEDIUM, "How long a "
                    + "starting broker waits for its first registration with the controller to be accepted.")
            .define("controlled.shutdown.enable", BOOLEAN, true, MEDIUM, "Whether a broker that stops first asks "
                    + "the controller to move its leaderships away (controlled shutdown).")
            .define("brook.controlled.shutdown.timeout.ms", LONG, 300000L, atLeast(0), MEDIUM, "Longest a "
                    + "stopping broker waits for the controller to allow its controlled shutdown before it stops "
                    + "anyway (Kafka waits 5 minutes).")
            .define("metadata.log.dir", STRING, null, HIGH, "The directory of the metadata log (default: the "
                    + "first of log.dirs); formatted like the log directories.")
            .define("metadata.log.max.record.bytes.between.snapshots", LONG, 20L * 1024 * 1024, atLeast(1), MEDIUM,
                    "Bytes of metadata records after which a new snapshot of the metadata image is taken.")
            .define("metadata.log.max.snapshot.interval.ms", LONG, 3600000L, atLeast(0), MEDIUM, "Longest time "
                    + "between two snapshots of the metadata image while it changes (0: no time-based snapshots).")
            .define("log.dirs", STRING, null, HIGH, "Comma-separated directories holding the log data; new "
                    + "partitions go to the one holding the fewest, the first also holds the metadata log unless "
                    + "metadata.log.dir names another.")
            .define("log.dir", STRING, "./data", HIGH, "Directory holding the log data, used if log.dirs is not set.")
            .define("num.partitions", INT, 1, atLeast(1), MEDIUM, "Default partition count of new topics.")
            .define("default.replication.factor", SHORT, (short) 1, atLeast(1), MEDIUM, "Default replication factor.")
            .define("auto.create.topics.enable", BOOLEAN, true, HIGH, "Create a topic on first use by a client.")
            .define("socket.request.max.bytes", INT, 104857600, atLeast(1), HIGH, "Largest request accepted, in bytes.")
            .define("connections.max.idle.ms", LONG, 600000L, atLeast(1), MEDIUM, "Idle connections close after this.")
            .define("socket.send.buffer.bytes", INT, -1, atLeast(-1), MEDIUM, "SO_SNDBUF of client connections; -1 "
                    + "(Brook's default; Kafka's is 102400) leaves the OS's autotuned size.")
            .define("socket.receive.buffer.bytes", INT, -1, atLeast(-1), MEDIUM, "SO_RCVBUF of client connections; "
                    + "-1 (Brook's default; Kafka's is 102400) leaves the OS's autotuned size.")
            .define("quota.window.num", INT, 11, atLeast(1), LOW, "Samples a client quota's rate is kept over.")
            .define("quota.window.size.seconds", INT, 1, atLeast(1), LOW, "Length of one client quota sample.")
            .define("controller.quota.window.num", INT, 11, atLeast(1), LOW, "With controller.quota.window.size."
                    + "seconds, how many seconds of its controller_mutation_rate a client may mutate in one burst.")
            .define("controller.quota.window.size.seconds", INT, 1, atLeast(1), LOW, "Length of one controller "
                    + "mutation quota sample.")
            .define("max.connections", INT, Integer.MAX_VALUE, atLeast(0), MEDIUM, "Most connections at once.")
            .define("max.connections.per.ip", INT, Integer.MAX_VALUE, atLeast(0), MEDIUM, "Most connections per client address.")
            .define("max.connections.per.ip.overrides", STRING, "", MEDIUM, "Per-host exceptions to "
                    + "max.connections.per.ip: host:count,host:count (names are resolved at start-up).")
            .define("max.connection.creation.rate", INT, Integer.MAX_VALUE, atLeast(0), MEDIUM, "New connections "
                    + "per second the node accepts (KIP-402; listener.name.<l>.max.connection.creation.rate per "
                    + "listener): over it, accepting waits rather than refusing. The inter-broker listener is not "
                    + "counted when there are several listeners.")
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
            .define("auto.leader.rebalance.enable", BOOLEAN, true, HIGH,
                    "Whether the active controller moves leadership back to each partition's preferred replica "
                            + "(its first) when a broker's share of such partitions it does not lead exceeds "
                            + "leader.imbalance.per.broker.percentage; checked every "
                            + "leader.imbalance.check.interval.seconds.")
            .define("leader.imbalance.check.interval.seconds", LONG, 300L, atLeast(1), HIGH,
                    "How often, in seconds, the active controller checks the leader imbalance.")
            .define("leader.imbalance.per.broker.percentage", INT, 10, atLeast(0), HIGH,
                    "The share (percent) of a broker's preferred partitions it may not lead before the "
                            + "controller rebalances them.")
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
            .define("brook.eligible.leader.replicas.version", SHORT, (short) 1, between(0, 1), HIGH,
                    "The eligible.leader.replicas.version feature (KIP-966) a new cluster's metadata starts with, "
                            + "as kafka-storage format --feature sets it (1 is Kafka 4.3's default too): 1 keeps "
                            + "replicas that left an ISR below min.insync.replicas electable (a partition whose ISR "
                            + "empties comes back with any of them that shut down cleanly, not only its last "
                            + "leader), 0 leaves the feature off. Read only when the cluster's first controller "
                            + "starts; an existing cluster keeps its level.")
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
            .define("broker.rack", STRING, null, MEDIUM, "The rack of this node, told to clients (and used to "
                    + "spread a partition's replicas once nodes form a cluster).")
            .define("replica.selector.class", STRING, null, MEDIUM, "Where consumers that name their rack "
                    + "(client.rack) read from (KIP-392): unset for leaders only, or "
                    + "org.apache.kafka.common.replica.RackAwareReplicaSelector for an in-sync replica of their "
                    + "rack (Brook's own implementation of it; no other class is loaded).")
            .define("delete.topic.enable", BOOLEAN, true, HIGH, "Whether topics may be deleted.")
            .define("authorizer.class.name", STRING, "", HIGH, "The authorizer: empty for none (every client may "
                    + "do everything; the ACL APIs answer SECURITY_DISABLED), or "
                    + "org.apache.kafka.metadata.authorizer.StandardAuthorizer for ACLs kept in the metadata log, "
                    + "with that authorizer's semantics.")
            .define("super.users", STRING, "", HIGH, "Principals allowed every operation whatever the ACLs say, "
                    + "separated by ';' (User:admin;User:ops).")
            .define("allow.everyone.if.no.acl.found", BOOLEAN, false, HIGH, "Whether a resource that no ACL names "
                    + "is open to every principal (false: only super users may use it).")
            .define("sasl.enabled.mechanisms", LIST, "GSSAPI", MEDIUM, "SASL mechanisms of SASL listeners "
                    + "(listener.name.<listener>.sasl.enabled.mechanisms overrides it per listener). Brook serves "
                    + "PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; Kafka's default, GSSAPI, stops a node with a SASL "
                    + "listener from starting.")
            .define("sasl.jaas.config", ConfigDef.Type.PASSWORD, null, MEDIUM, "JAAS configuration of PLAIN "
                    + "(org.apache.kafka.common.security.plain.PlainLoginModule required user_<name>=\"<password>\" "
                    + "...;) for SASL listeners without listener.name.<listener>.plain.sasl.jaas.config.")
            .define("sasl.server.max.receive.size", INT, 524288, atLeast(1), MEDIUM, "Largest request a "
                    + "connection of a SASL listener may send before it has authenticated; a larger one closes it.")
            .define("connection.failed.authentication.delay.ms", INT, 100, atLeast(0), LOW, "How long the answer "
                    + "to a failed authentication is held back before the connection is closed, so guessing "
                    + "passwords is slow.")
            .define("connections.max.reauth.ms", LONG, 0L, atLeast(0), MEDIUM, "The longest session of a SASL "
                    + "connection (KIP-368): clients are told it and re-authenticate before it ends; a connection "
                    + "that sends anything else after it ended is closed. 0: sessions do not expire.")
            .define("brook.sasl.authentication.timeout.ms", LONG, 30000L, atLeast(1), MEDIUM, "A connection of a "
                    + "SASL listener that has not authenticated this long after it was opened is closed.");

    static {
        TlsSettings.defineInto(CONFIG_DEF); // ssl.*: Kafka's names and defaults (a listener's own: tlsSettings)
    }

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

    /** Whether the listener's security protocol is SSL or SASL_SSL. */
    public boolean usesTls(String listenerName) {
        SecurityProtocol protocol = listeners.securityProtocols().get(listenerName);
        return protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL;
    }

    /** The TLS settings of a listener: its own {@code listener.name.<name>.ssl.*} values over the node's. */
    public TlsSettings tlsSettings(String listenerName) {
        return TlsSettings.resolve(originals, listenerName);
    }

    /** The {@code process.roles} values. */
    public static final String ROLE_BROKER = "broker";
    public static final String ROLE_CONTROLLER = "controller";

    private final Map<String, String> originals;
    private final Map<String, Object> values;
    private final Set<String> roles;
    private final QuorumSettings quorum;
    private final ListenerSettings listeners;
    private final Map<String, String> topicDefaults;
    private final io.brook.server.security.acl.AuthorizerSettings authorizer;
    private final Optional<io.brook.server.fetch.ReplicaSelector> replicaSelector;
    /** The SASL settings of each SASL broker listener, by listener name. */
    private final Map<String, SaslSettings> sasl;
    private final ConnectionLimitSettings connectionLimits;

    private BrokerConfig(Map<String, String> originals) {
        this.originals = Map.copyOf(originals);
        this.values = CONFIG_DEF.parse(originals);
        this.roles = parseRoles();
        this.quorum = QuorumSettings.parse(getList(QuorumSettings.VOTERS), getList(QuorumSettings.BOOTSTRAP_SERVERS));
        quorum.check(nodeId(), roles);
        this.listeners = ListenerSettings.parse(new ListenerSettings.Input(getString("listeners"),
                getString("advertised.listeners"), getString("listener.security.protocol.map"),
                getList("controller.listener.names"), getString("inter.broker.listener.name"), isBroker(),
                isController(), quorum.voters().get(nodeId()), quorum.hasOtherNodes(nodeId())));
        this.sasl = new LinkedHashMap<>();
        for (Listener listener : listeners.brokerListeners()) { // a bad TLS or SASL value stops start-up here
            if (usesTls(listener.name())) {
                tlsSettings(listener.name());
            }
            SecurityProtocol protocol = listeners.securityProtocols().get(listener.name());
            if (protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL) {
                sasl.put(listener.name(), SaslSettings.parse(listener.name(), originals));
            }
        }
        this.connectionLimits = ConnectionLimitSettings.parse(originals,
                listeners.brokerListeners().stream().map(Listener::name).toList(),
                getInt(ConnectionLimitSettings.MAX_CONNECTION_CREATION_RATE),
                getInt(ConnectionLimitSettings.MAX_CONNECTIONS_PER_IP));
        this.topicDefaults = computeTopicDefaults();
        LogConfig.fromMap(topicDefaults); // the derived topic defaults must be valid too
        if (getLong("log.cleaner.dedupe.buffer.size") / getInt("log.cleaner.threads") < MIN_DEDUPE_BYTES_PER_THREAD) {
            throw new ConfigException("log.cleaner.dedupe.buffer.size", getLong("log.cleaner.dedupe.buffer.size"),
                    "must be at least 1 MiB per cleaner thread (log.cleaner.threads=" + getInt("log.cleaner.threads")
                            + ")");
        }
        if (logDirs().isEmpty()) {
            throw new ConfigException("log.dirs", getString("log.dirs"),
                    "names no directory; give one or more paths separated by commas");
        }
        String metadataLogDir = getString("metadata.log.dir");
        if (metadataLogDir != null && metadataLogDir.isBlank()) {
            throw new ConfigException("metadata.log.dir", metadataLogDir, "names no directory; leave it out to "
                    + "keep the metadata log in the first of log.dirs");
        }
        if (getInt("broker.heartbeat.interval.ms") >= getInt("broker.session.timeout.ms")) {
            throw new ConfigException("broker.heartbeat.interval.ms", getInt("broker.heartbeat.interval.ms"),
                    "must be less than broker.session.timeout.ms (" + getInt("broker.session.timeout.ms")
                            + "), or every broker would be fenced between two heartbeats");
        }
        this.authorizer = io.brook.server.security.acl.AuthorizerSettings.parse(getString("authorizer.class.name"),
                getString("super.users"), getBoolean("allow.everyone.if.no.acl.found"));
        String rack = getString("broker.rack");
        if (rack != null && rack.isBlank()) {
            throw new ConfigException("broker.rack", rack, "is blank; give a rack name or leave it out");
        }
        this.replicaSelector = io.brook.server.fetch.ReplicaSelector.forClassName(getString("replica.selector.class"));
    }

    private Set<String> parseRoles() {
        List<String> given = getList("process.roles");
        Set<String> parsed = new LinkedHashSet<>();
        for (String raw : given) {
            String role = raw.trim().toLowerCase(Locale.ROOT);
            if (!role.equals(ROLE_BROKER) && !role.equals(ROLE_CONTROLLER)) {
                throw new ConfigException("process.roles", String.join(",", given), "the roles are broker, "
                        + "controller, or both (broker,controller)");
            }
            if (!parsed.add(role)) {
                throw new ConfigException("process.roles", String.join(",", given), "the role " + role
                        + " is listed twice");
            }
        }
        if (parsed.isEmpty()) {
            throw new ConfigException("process.roles", "", "give broker, controller, or both (broker,controller)");
        }
        return Collections.unmodifiableSet(parsed);
    }

    /** {@code authorizer.class.name}, {@code super.users} and {@code allow.everyone.if.no.acl.found}. */
    public io.brook.server.security.acl.AuthorizerSettings authorizer() {
        return authorizer;
    }

    public static BrokerConfig fromMap(Map<String, String> properties) {
        return new BrokerConfig(properties);
    }

    /**
     * What the operator must be warned of: every supplied setting Brook does not know, and every one it
     * knows of but does not honour yet (see {@link SettingsReport}).
     */
    public List<String> warnings() {
        return SettingsReport.warnings(originals, CONFIG_DEF);
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

    /** Every broker property that is the default of a topic config (log.retention.ms, log.segment.bytes, ...). */
    public static java.util.Collection<String> topicDefaultNames() {
        return Collections.unmodifiableCollection(TOPIC_SYNONYMS.values());
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

    /**
     * The first broker listener: the address {@code bin/brook server} reports and the one the node advertises
     * to clients; null on a controller-only node.
     */
    public Listener listener() {
        return listeners.brokerListeners().isEmpty() ? null : listeners.brokerListeners().get(0);
    }

    /**
     * Every listener the Kafka-protocol server binds (all but the controller listener), in the order of
     * {@code listeners}, with what each advertises; empty on a controller-only node.
     */
    public List<Listener> brokerListeners() {
        return listeners.brokerListeners();
    }

    /**
     * The controller listener (the first of {@code controller.listener.names} found in {@code listeners}),
     * whose port the quorum's transport binds; its advertised address is the one {@code advertised.listeners}
     * gives it (the address other controllers use, KIP-853), else its own. Empty when this node is not a
     * controller or, in the single-node default, names none.
     */
    public Optional<Listener> controllerListener() {
        return Optional.ofNullable(listeners.controllerListener());
    }

    /** The listener brokers reach this one on ({@code inter.broker.listener.name}); null on a controller-only node. */
    public Listener interBrokerListener() {
        return listeners.interBrokerListener();
    }

    /** The names in {@code controller.listener.names}, upper case. */
    public List<String> controllerListenerNames() {
        return listeners.controllerNames();
    }

    /** The effective {@code listener.security.protocol.map} (Kafka's default when not set). */
    public Map<String, SecurityProtocol> securityProtocols() {
        return listeners.securityProtocols();
    }

    /** The connection limits beyond max.connections and max.connections.per.ip (rates, per listener, per host). */
    public ConnectionLimitSettings connectionLimits() {
        return connectionLimits;
    }

    /** The SASL settings of the broker listener {@code name}, or null when it is not a SASL listener. */
    public SaslSettings saslSettings(String name) {
        return sasl.get(name);
    }

    /** The node's roles ({@code process.roles}). */
    public Set<String> processRoles() {
        return roles;
    }

    public boolean isBroker() {
        return roles.contains(ROLE_BROKER);
    }

    public boolean isController() {
        return roles.contains(ROLE_CONTROLLER);
    }

    /**
     * The static voters ({@code controller.quorum.voters}) by node id, addresses unresolved; empty for a
     * dynamic quorum and in the single-node default.
     */
    public Map<Integer, InetSocketAddress> quorumVoters() {
        return quorum.voters();
    }

    /** The controllers a dynamic quorum bootstraps from ({@code controller.quorum.bootstrap.servers}), unresolved. */
    public List<InetSocketAddress> quorumBootstrapServers() {
        return quorum.bootstrapServers();
    }

    /** Whether this node learns the voters from {@link #quorumBootstrapServers()} at start (no static voters). */
    public boolean discoversQuorumVoters() {
        return quorum.discoversVoters();
    }

    /**
     * Whether this node's quorum involves other nodes (other voters, or a dynamic quorum), or this node is a
     * controller only (a lone voter whose brokers are other processes: it runs the Raft quorum, which they follow).
     * Such a node's directories must be formatted with the cluster's id ({@code bin/brook storage format}) before
     * it starts; a node that is its own quorum (the single-node default) creates its meta.properties itself.
     */
    public boolean isMultiNodeQuorum() {
        return quorum.hasOtherNodes(nodeId()) || !isBroker();
    }

    /** The replica selector of {@code replica.selector.class}: empty when consumers read from leaders only. */
    public Optional<io.brook.server.fetch.ReplicaSelector> replicaSelector() {
        return replicaSelector;
    }

    /** The rack of this node ({@code broker.rack}), if set. */
    public Optional<String> rack() {
        return Optional.ofNullable(getString("broker.rack"));
    }

    /** The directory of the metadata log ({@code metadata.log.dir}, else the first of the log directories). */
    public File metadataLogDir() {
        String dir = getString("metadata.log.dir");
        return dir != null ? new File(dir.trim()) : logDir();
    }

    /**
     * Every directory that holds a {@code meta.properties}: the log directories, then the metadata log's
     * directory if it is not one of them.
     */
    public List<File> metaPropertiesDirs() {
        List<File> dirs = new ArrayList<>(logDirs());
        File metadata = metadataLogDir();
        if (dirs.stream().noneMatch(d -> d.getAbsoluteFile().toPath().normalize()
                .equals(metadata.getAbsoluteFile().toPath().normalize()))) {
            dirs.add(metadata);
        }
        return List.copyOf(dirs);
    }

    public int brokerSessionTimeoutMs() {
        return getInt("broker.session.timeout.ms");
    }

    public int brokerHeartbeatIntervalMs() {
        return getInt("broker.heartbeat.interval.ms");
    }

    public int initialBrokerRegistrationTimeoutMs() {
        return getInt("initial.broker.registration.timeout.ms");
    }

    /** How long a stopping broker waits for its controlled shutdown; 0 when {@code controlled.shutdown.enable} is off. */
    public long controlledShutdownTimeoutMs() {
        return getBoolean("controlled.shutdown.enable") ? getLong("brook.controlled.shutdown.timeout.ms") : 0;
    }

    public int quorumElectionTimeoutMs() {
        return getInt("controller.quorum.election.timeout.ms");
    }

    public int quorumRequestTimeoutMs() {
        return getInt("controller.quorum.request.timeout.ms");
    }

    /** Bytes of metadata records after which the image is snapshotted. */
    public long metadataMaxBytesBetweenSnapshots() {
        return getLong("metadata.log.max.record.bytes.between.snapshots");
    }

    /** Longest time between two snapshots of a changing image; 0 disables time-based snapshots. */
    public long metadataMaxSnapshotIntervalMs() {
        return getLong("metadata.log.max.snapshot.interval.ms");
    }

    /** The log directories ({@code log.dirs}, comma-separated, else {@code log.dir}), in the order given. */
    public List<File> logDirs() {
        String dirs = getString("log.dirs");
        return Arrays.stream((dirs != null ? dirs : getString("log.dir")).split(","))
                .map(String::trim).filter(d -> !d.isEmpty()).map(File::new).toList();
    }

    /** The first log directory: it holds the metadata log unless {@code metadata.log.dir} says otherwise. */
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
