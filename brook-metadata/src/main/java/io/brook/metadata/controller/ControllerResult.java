package io.brook.metadata.controller;

import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.util.List;

/** What a controller decision produced: the records to write and the answer to give once written. */
public record ControllerResult<T>(List<ApiMessageAndVersion> records, T response) {
    public static <T> ControllerResult<T> of(List<ApiMessageAndVersion> records, T response) {
        return new ControllerResult<>(List.copyOf(records), response);
    }
}
