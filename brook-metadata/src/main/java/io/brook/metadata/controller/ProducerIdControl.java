package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;

import java.util.List;

/** Pure decision for handing out a block of producer ids. */
public final class ProducerIdControl {
    /** Ids per block, as Kafka's controller hands them to brokers. */
    public static final int BLOCK_SIZE = 1000;

    private ProducerIdControl() {
    }

    /** Reserves the next block for a broker not named (broker id and epoch -1 in the record). */
    public static ControllerResult<Long> allocateBlock(MetadataImage image) {
        return allocateBlockFor(image, -1, -1);
    }

    /** Reserves the next block for broker {@code brokerId}; the response is the first id of the block. */
    public static ControllerResult<Long> allocateBlockFor(MetadataImage image, int brokerId, long brokerEpoch) {
        long first = image.nextProducerId();
        return ControllerResult.of(List.of(MetadataRecords.producerIds(brokerId, brokerEpoch, first + BLOCK_SIZE)),
                first);
    }
}
