package io.brook.server.coordinator;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalMarkerWriterTest {
    @Test
    void aRefusingExecutorGivesTheCoordinatorARetriableFailureNotAnExceptionInItsOwnCode() throws Exception {
        ExecutorService stopped = Executors.newSingleThreadExecutor();
        stopped.shutdown();
        assertTrue(stopped.awaitTermination(10, TimeUnit.SECONDS));
        // nothing else is touched when the executor refuses the work
        LocalMarkerWriter writer = new LocalMarkerWriter(null, null, null, null, stopped);
        CompletableFuture<Void> written = writer.write(7, (short) 0, 0, true, Set.of(new TopicPartition("t", 0)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> written.get(10, TimeUnit.SECONDS));
        assertInstanceOf(RetriableException.class, e.getCause(), "the coordinator retries the marker later");
    }
}
