package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import static io.brook.metadata.record.MetadataRecords.topic;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class ProducerIdControlTest {

    @Test
    void blocksFollowEachOtherWithoutOverlap() {
        MetadataImage image = MetadataImage.EMPTY;
        for (long block = 0; block < 3; block++) {
            ControllerResult<Long> result = ProducerIdControl.allocateBlock(image);
            assertEquals(block * ProducerIdControl.BLOCK_SIZE, result.response());
            assertEquals(List.of(producerIds(-1, -1, (block + 1) * ProducerIdControl.BLOCK_SIZE)), result.records());
            assertEquals(block * ProducerIdControl.BLOCK_SIZE, image.nextProducerId(), "the decision is pure");
            image = image.apply(result.records(), block);
        }
        assertEquals(3000, image.nextProducerId());
    }
}
