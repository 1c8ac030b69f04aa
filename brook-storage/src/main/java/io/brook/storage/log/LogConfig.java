package io.brook.storage.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.TimestampType;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Type.BOOLEAN;
import static org.apache.kafka.common.config.ConfigDef.Type.INT;
import static org.apache.kafka.common.config.ConfigDef.Type.LIST;
import static org.apache.kafka.common.config.ConfigDef.Type.LONG;
import static org.apache.kafka.common.config.ConfigDef.Type.STRING;

/**
 * The settings of one partition log, under Kafka's topic-level names and with Kafka's defaults.
 * Immutable; a config change replaces the whole object.
 */
public record LogConfig(
        int segmentBytes,
        long segmentMs,
        long segmentJitterMs,
        int segmentIndexBytes,
        int indexIntervalBytes,
        int maxMessageBytes,
        TimestampType timestampType,
        long timestampBeforeMaxMs,
        long timestampAfterMaxMs,
        long retentionMs,
        long retentionBytes,
        boolean compact,
        boolean delete,
        long flushIntervalMessages,
        long flushIntervalMs,
        long fileDeleteDelayMs,
        int minInSyncReplicas,
        boolean durableAppend,
        long deleteRetentionMs,
        long minCompactionLagMs,
        long maxCompactionLagMs,
        double minCleanableDirtyRatio,
        Compression compression) {

    /** {@code compression.type=producer}: batches keep the codec their producer chose. */
    public static final String PRODUCER_COMPRESSION = "producer";

    /** Brook's own topic option: fsync before acknowledging a produce (group commit). */
    public static final String DURABLE_APPEND_CONFIG = "brook.durable.append";

    /** Every topic-level config Brook understands, with Kafka's defaults and documentation. */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(TopicConfig.SEGMENT_BYTES_CONFIG, INT, 1024 * 1024 * 1024, atLeast(14), MEDIUM,
                    TopicConfig.SEGMENT_BYTES_DOC)
            .define(TopicConfig.SEGMENT_MS_CONFIG, LONG, 7 * 24 * 60 * 60 * 1000L, atLeast(1), MEDIUM,
                    TopicConfig.SEGMENT_MS_DOC)
            .define(TopicConfig.SEGMENT_JITTER_MS_CONFIG, LONG, 0L, atLeast(0), MEDIUM,
                    TopicConfig.SEGMENT_JITTER_MS_DOC)
            .define(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, INT, 10 * 1024 * 1024, atLeast(8), MEDIUM,
                    TopicConfig.SEGMENT_INDEX_BYTES_DOC)
            .define(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, INT, 4096, atLeast(0), MEDIUM,
                    TopicConfig.INDEX_INTERVAL_BYTES_DOC)
            .define(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, INT, 1024 * 1024 + 12, atLeast(0), MEDIUM,
                    TopicConfig.MAX_MESSAGE_BYTES_DOC)
            .define(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, STRING, "CreateTime",
                    ConfigDef.ValidString.in("CreateTime", "LogAppendTime"), MEDIUM,
                    TopicConfig.MESSAGE_TIMESTAMP_TYPE_DOC)
            .define(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, LONG, Long.MAX_VALUE, atLeast(0), MEDIUM,
                    TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_DOC)
            .define(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, LONG, 3600000L, atLeast(0), MEDIUM,
                    TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_DOC)
            .define(TopicConfig.RETENTION_MS_CONFIG, LONG, 7 * 24 * 60 * 60 * 1000L, atLeast(-1), MEDIUM,
                    TopicConfig.RETENTION_MS_DOC)
            .define(TopicConfig.RETENTION_BYTES_CONFIG, LONG, -1L, MEDIUM, TopicConfig.RETENTION_BYTES_DOC)
            .define(TopicConfig.CLEANUP_POLICY_CONFIG, LIST, TopicConfig.CLEANUP_POLICY_DELETE,
                    ConfigDef.ValidList.in(TopicConfig.CLEANUP_POLICY_COMPACT, TopicConfig.CLEANUP_POLICY_DELETE),
                    MEDIUM, TopicConfig.CLEANUP_POLICY_DOC)
            .define(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, LONG, Long.MAX_VALUE, atLeast(1), MEDIUM,
                    TopicConfig.FLUSH_MESSAGES_INTERVAL_DOC)
            .define(TopicConfig.FLUSH_MS_CONFIG, LONG, Long.MAX_VALUE, atLeast(0), MEDIUM, TopicConfig.FLUSH_MS_DOC)
            .define(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, LONG, 60000L, atLeast(0), MEDIUM,
                    TopicConfig.FILE_DELETE_DELAY_MS_DOC)
            .define(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, INT, 1, atLeast(1), HIGH,
                    TopicConfig.MIN_IN_SYNC_REPLICAS_DOC)
            .define(TopicConfig.COMPRESSION_TYPE_CONFIG, STRING, "producer",
                    ConfigDef.ValidString.in("uncompressed", "zstd", "lz4", "snappy", "gzip", PRODUCER_COMPRESSION),
                    MEDIUM, TopicConfig.COMPRESSION_TYPE_DOC)
            .define(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG, INT, CompressionType.GZIP.defaultLevel(),
                    CompressionType.GZIP.levelValidator(), MEDIUM, TopicConfig.COMPRESSION_GZIP_LEVEL_DOC)
            .define(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG, INT, CompressionType.LZ4.defaultLevel(),
                    CompressionType.LZ4.levelValidator(), MEDIUM, TopicConfig.COMPRESSION_LZ4_LEVEL_DOC)
            .define(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, INT, CompressionType.ZSTD.defaultLevel(),
                    CompressionType.ZSTD.levelValidator(), MEDIUM, TopicConfig.COMPRESSION_ZSTD_LEVEL_DOC)
            .define(TopicConfig.DELETE_RETENTION_MS_CONFIG, LONG, 86400000L, atLeast(0), MEDIUM,
                    TopicConfig.DELETE_RETENTION_MS_DOC)
            .define(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, LONG, 0L, atLeast(0), MEDIUM,
                    TopicConfig.MIN_COMPACTION_LAG_MS_DOC)
            .define(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, LONG, Long.MAX_VALUE, atLeast(1), MEDIUM,
                    TopicConfig.MAX_COMPACTION_LAG_MS_DOC)
            .define(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, ConfigDef.Type.DOUBLE, 0.5,
                    ConfigDef.Range.between(0, 1), MEDIUM, TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_DOC)
            .define(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, BOOLEAN, false, MEDIUM,
                    TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_DOC)
            .define(TopicConfig.PREALLOCATE_CONFIG, BOOLEAN, false, LOW, TopicConfig.PREALLOCATE_DOC)
            // read by the replication throttles of the server (KIP-73), not by the log itself
            .define(ThrottledReplicaList.LEADER_CONFIG, LIST, "", ThrottledReplicaList.VALIDATOR, MEDIUM,
                    "Replicas (partition:broker, or * for all) whose replication the leader throttles to the "
                            + "broker's leader.replication.throttled.rate while they are out of the ISR.")
            .define(ThrottledReplicaList.FOLLOWER_CONFIG, LIST, "", ThrottledReplicaList.VALIDATOR, MEDIUM,
                    "Replicas (partition:broker, or * for all) whose fetching the follower throttles to the "
                            + "broker's follower.replication.throttled.rate while they are behind.")
            .define(DURABLE_APPEND_CONFIG, BOOLEAN, false, LOW,
                    "Brook only: when true, a produce is acknowledged only after its batch is fsynced "
                            + "(one fsync covers every batch appended while the previous one ran).");

    public static LogConfig defaults() {
        return fromMap(Map.of());
    }

    /**
     * Parses topic-level settings; absent keys take Kafka's defaults.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key and the bad value
     */
    public static LogConfig fromMap(Map<String, String> topicConfigs) {
        Map<String, Object> known = new HashMap<>();
        for (Map.Entry<String, String> e : topicConfigs.entrySet()) {
            if (CONFIG_DEF.names().contains(e.getKey())) {
                known.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Object> v = CONFIG_DEF.parse(known);
        @SuppressWarnings("unchecked")
        java.util.List<String> policies = (java.util.List<String>) v.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        String tsType = (String) v.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
        return new LogConfig(
                (Integer) v.get(TopicConfig.SEGMENT_BYTES_CONFIG),
                (Long) v.get(TopicConfig.SEGMENT_MS_CONFIG),
                (Long) v.get(TopicConfig.SEGMENT_JITTER_MS_CONFIG),
                (Integer) v.get(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG),
                (Integer) v.get(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG),
                (Integer) v.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
                TimestampType.forName(tsType),
                (Long) v.get(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG),
                (Long) v.get(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG),
                (Long) v.get(TopicConfig.RETENTION_MS_CONFIG),
                (Long) v.get(TopicConfig.RETENTION_BYTES_CONFIG),
                policies.stream().anyMatch(p -> p.toLowerCase(Locale.ROOT).equals(TopicConfig.CLEANUP_POLICY_COMPACT)),
                policies.stream().anyMatch(p -> p.toLowerCase(Locale.ROOT).equals(TopicConfig.CLEANUP_POLICY_DELETE)),
                (Long) v.get(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG),
                (Long) v.get(TopicConfig.FLUSH_MS_CONFIG),
                (Long) v.get(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG),
                (Integer) v.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG),
                (Boolean) v.get(DURABLE_APPEND_CONFIG),
                (Long) v.get(TopicConfig.DELETE_RETENTION_MS_CONFIG),
                (Long) v.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG),
                (Long) v.get(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG),
                (Double) v.get(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG),
                compression(v));
    }

    /** The codec the topic's {@code compression.type} requires, or null for {@code producer}. */
    private static Compression compression(Map<String, Object> v) {
        String type = ((String) v.get(TopicConfig.COMPRESSION_TYPE_CONFIG)).toLowerCase(Locale.ROOT);
        return switch (type) {
            case PRODUCER_COMPRESSION -> null;
            case "uncompressed" -> Compression.NONE;
            case "gzip" -> Compression.gzip().level((Integer) v.get(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG)).build();
            case "lz4" -> Compression.lz4().level((Integer) v.get(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG)).build();
            case "zstd" -> Compression.zstd().level((Integer) v.get(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG)).build();
            case "snappy" -> Compression.snappy().build();
            default -> throw new IllegalStateException("unvalidated compression.type " + type);
        };
    }

    /**
     * How long the active segment may stay open: {@code segment.ms}, or {@code max.compaction.lag.ms}
     * when that is shorter on a compacted topic (the active segment is never cleaned, so it must roll
     * for its records to become cleanable in time; Kafka does the same).
     */
    public long maxSegmentMs() {
        return compact ? Math.min(segmentMs, maxCompactionLagMs) : segmentMs;
    }

    /** Largest number of entries an offset index may hold before the segment rolls. */
    public int maxOffsetIndexEntries() {
        return segmentIndexBytes / 8;
    }
}
