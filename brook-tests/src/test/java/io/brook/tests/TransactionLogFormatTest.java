package io.brook.tests;

import io.brook.coordinator.transaction.TransactionRecord;
import io.brook.coordinator.transaction.TransactionRecords;
import io.brook.coordinator.transaction.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.coordinator.transaction.generated.TransactionLogKey;
import org.apache.kafka.coordinator.transaction.generated.TransactionLogValue;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Brook's {@code __transaction_state} records read by Kafka's own generated classes (value v0 and v1). */
class TransactionLogFormatTest {
    @Test
    @Compat({"Kafka tools 4.3.1: __transaction_state records (value v0 and v1)"})
    void kafkaReadsBrooksTransactionStateRecords() {
        ByteBuffer key = ByteBuffer.wrap(TransactionRecords.key("tx"));
        assertEquals(0, key.getShort());
        assertEquals("tx", new TransactionLogKey(new ByteBufferAccessor(key), (short) 0).transactionalId());
        for (long next : new long[] {-1, 1234}) {
            TransactionRecord record = new TransactionRecord("tx", 42, (short) 7, 60_000,
                    TransactionState.PREPARE_COMMIT, Set.of(new TopicPartition("a", 0), new TopicPartition("a", 3),
                    new TopicPartition("b", 1)), 1000, 900, next, next < 0 ? (short) -1 : (short) 0);
            ByteBuffer value = ByteBuffer.wrap(TransactionRecords.value(record));
            short version = value.getShort();
            assertEquals(next < 0 ? 0 : 1, version);
            TransactionLogValue kafka = new TransactionLogValue(new ByteBufferAccessor(value), version);
            assertEquals(42, kafka.producerId());
            assertEquals(7, kafka.producerEpoch());
            assertEquals(60_000, kafka.transactionTimeoutMs());
            assertEquals(TransactionState.PREPARE_COMMIT.id(), kafka.transactionStatus());
            assertEquals(3, kafka.transactionPartitions().stream().mapToInt(p -> p.partitionIds().size()).sum());
            assertEquals(1000, kafka.transactionLastUpdateTimestampMs());
            assertEquals(900, kafka.transactionStartTimestampMs());
            assertEquals(next, kafka.nextProducerId());
            assertEquals(next < 0 ? -1 : 0, kafka.nextProducerEpoch());
        }
    }
}
