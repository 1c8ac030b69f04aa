package io.brook.metadata.controller;

import io.brook.metadata.record.MetadataRecord;

import java.util.List;

/** What a controller decision produced: the records to write and the answer to give once written. */
public record ControllerResult<T>(List<MetadataRecord> records, T response) {
    public static <T> ControllerResult<T> of(List<MetadataRecord> records, T response) {
        return new ControllerResult<>(List.copyOf(records), response);
    }
}
