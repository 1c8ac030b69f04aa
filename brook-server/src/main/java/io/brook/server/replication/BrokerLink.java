package io.brook.server.replication;

import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

import java.io.IOException;

/**
 * A blocking request/response link to one other broker over Kafka's protocol, one request at a time, used from a
 * dedicated thread (never a Netty event loop). {@link BrokerClient} is the production one.
 */
public interface BrokerLink extends AutoCloseable {
    /**
     * Sends {@code request} and waits at most {@code timeoutMs} for its response.
     *
     * @throws IOException when the broker cannot be reached, disconnects or does not answer in time; the next
     *     send reconnects
     */
    <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request, long timeoutMs) throws IOException;

    /** Closes the connection; a send blocked in another thread then fails. */
    @Override
    void close();
}
