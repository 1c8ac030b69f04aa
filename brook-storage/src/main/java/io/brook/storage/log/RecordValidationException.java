package io.brook.storage.log;

import org.apache.kafka.common.errors.ApiException;

import java.util.List;

/**
 * Some records of a batch are invalid (KIP-467): the whole batch is refused with {@link #getCause()}'s
 * error, and {@link #recordErrors()} names each offending record, so a client fails only those records.
 */
public final class RecordValidationException extends RuntimeException {
    /** Kafka shows at most this many record errors in the partition's error message. */
    private static final int ERRORS_IN_MESSAGE = 3;

    /** One invalid record: its index within the batch (0 for the first record) and why. */
    public record RecordError(int batchIndex, String message) {
    }

    private final List<RecordError> recordErrors;

    public RecordValidationException(ApiException error, List<RecordError> recordErrors) {
        super(error.getMessage(), error);
        this.recordErrors = List.copyOf(recordErrors);
    }

    public List<RecordError> recordErrors() {
        return recordErrors;
    }

    /** The partition-level message: how many records were refused and the first few reasons. */
    static String summary(List<RecordError> errors) {
        return "One or more records have been rejected due to " + errors.size() + " record errors in total, "
                + "and only showing the first three errors at most: "
                + errors.subList(0, Math.min(errors.size(), ERRORS_IN_MESSAGE));
    }
}
