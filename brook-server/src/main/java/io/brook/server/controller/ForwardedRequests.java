package io.brook.server.controller;

import org.apache.kafka.common.message.DescribeQuorumRequestData;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a request forwarded to the active controller: the API key and version (two int16),
 * then the request data in Kafka's encoding of that version. The answer is the response data of the
 * same API and version. Kafka's own message classes, so nothing here is a new format.
 */
final class ForwardedRequests {
    /** The metadata log's topic name in DescribeQuorum. */
    static final String METADATA_TOPIC = "__cluster_metadata";

    private ForwardedRequests() {
    }

    /** DescribeQuorum for partition 0 of the metadata log, the only one there is. */
    static DescribeQuorumRequestData describeMetadataQuorum() {
        DescribeQuorumRequestData request = new DescribeQuorumRequestData();
        request.topics().add(new DescribeQuorumRequestData.TopicData().setTopicName(METADATA_TOPIC)
                .setPartitions(new ArrayList<>(List.of(new DescribeQuorumRequestData.PartitionData()
                        .setPartitionIndex(0)))));
        return request;
    }

    /** A decoded forwarded request. */
    record Request(ApiKeys api, short version, Readable body) {
    }

    static ByteBuffer encode(ApiKeys api, ApiMessage data) {
        short version = api.latestVersion();
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer frame = ByteBuffer.allocate(4 + data.size(cache, version));
        frame.putShort(api.id).putShort(version);
        data.write(new ByteBufferAccessor(frame), cache, version);
        return frame.flip();
    }

    static Request decode(ByteBuffer frame) {
        ByteBuffer buffer = frame.duplicate();
        short key = buffer.getShort();
        short version = buffer.getShort();
        if (!ApiKeys.hasId(key)) {
            throw new IllegalArgumentException("unknown API key " + key + " in a forwarded request");
        }
        ApiKeys api = ApiKeys.forId(key);
        if (!api.isVersionSupported(version)) {
            throw new IllegalArgumentException(api + " version " + version + " is not supported by this node");
        }
        return new Request(api, version, new ByteBufferAccessor(buffer.slice()));
    }

    static ByteBuffer encodeResponse(ApiMessage data, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(data.size(cache, version));
        data.write(new ByteBufferAccessor(buffer), cache, version);
        return buffer.flip();
    }

    static Readable response(ByteBuffer bytes) {
        return new ByteBufferAccessor(bytes.duplicate());
    }
}
