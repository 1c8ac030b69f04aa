package io.brook.metadata.controller;

import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.List;

/**
 * What a cluster decision ({@link ClusterControl}, broker registrations and leadership moves)
 * produced: Kafka metadata records to write as one batch, and the answer to give once they are
 * committed. The same shape as {@link ControllerResult}; the two become one once every metadata
 * record is one of Kafka's generated records.
 */
public record ClusterResult<T>(List<ApiMessageAndVersion> records, T response) {
    public ClusterResult {
        records = List.copyOf(records);
    }

    public static <T> ClusterResult<T> of(List<ApiMessageAndVersion> records, T response) {
        return new ClusterResult<>(records, response);
    }
}
