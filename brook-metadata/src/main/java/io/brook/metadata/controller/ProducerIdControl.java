package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecord.ProducerIdsRecord;

import java.util.List;

/** Pure decision for handing out a block of producer ids. */
public final class ProducerIdControl {
    /** Ids per block, as Kafka's controller hands them to brokers. */
    public static final int BLOCK_SIZE = 1000;

    private ProducerIdControl() {
    }

    /** Reserves the next block; the response is the first id of the block. */
    public static ControllerResult<Long> allocateBlock(MetadataImage image) {
        long first = image.nextProducerId();
        return ControllerResult.of(List.of(new ProducerIdsRecord(first + BLOCK_SIZE)), first);
    }
}
