package io.brook.server.network;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.FetchSnapshotResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which answers a TLS listener must encode on a request thread ({@link ResponseWriter#readsFiles}): only those that
 * copy record bytes out of segment files. An empty long-poll answer, a produce or metadata answer is encoded from
 * memory, with no thread hand-off.
 */
class ResponseWriterTest {
    @TempDir
    File dir;

    private static FetchResponseData fetchOf(BaseRecords... records) {
        FetchableTopicResponse topic = new FetchableTopicResponse().setTopic("t");
        for (int i = 0; i < records.length; i++) {
            topic.partitions().add(new PartitionData().setPartitionIndex(i).setRecords(records[i]));
        }
        return new FetchResponseData().setResponses(List.of(topic));
    }

    @Test
    void onlyAnswersWithRecordBytesFromFilesReadFiles() throws Exception {
        MemoryRecords inMemory = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()));
        try (FileRecords file = FileRecords.open(new File(dir, "00000000000000000000.log"))) {
            file.append(inMemory);
            assertFalse(ResponseWriter.readsFiles(fetchOf(MemoryRecords.EMPTY, MemoryRecords.EMPTY)),
                    "an idle long poll's answer");
            assertFalse(ResponseWriter.readsFiles(fetchOf(inMemory)), "records already in memory");
            assertFalse(ResponseWriter.readsFiles(fetchOf(file.slice(0, 0))), "an empty file slice");
            assertTrue(ResponseWriter.readsFiles(fetchOf(MemoryRecords.EMPTY, file.slice(0, file.sizeInBytes()))));
            assertFalse(ResponseWriter.readsFiles(new ProduceResponseData()));
            assertFalse(ResponseWriter.readsFiles(new MetadataResponseData()));
            assertTrue(ResponseWriter.readsFiles(new FetchSnapshotResponseData()), "not examined: assumed to");
        }
    }
}
