package io.brook.server.handlers;

import io.brook.storage.log.RecordValidationException;
import org.apache.kafka.common.protocol.Errors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;

/** Maps what a partition operation threw to the Kafka error code the client gets. */
final class ErrorMapping {
    private ErrorMapping() {
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof RecordValidationException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static Errors errorFor(Throwable t) {
        t = unwrap(t);
        if (t instanceof IOException || t instanceof UncheckedIOException) {
            return Errors.KAFKA_STORAGE_ERROR;
        }
        return Errors.forException(t);
    }

    static String messageFor(Throwable t) {
        t = unwrap(t);
        return t.getMessage() != null ? t.getMessage() : errorFor(t).message();
    }

    /**
     * PRODUCER_FENCED as a client of {@code version} understands it: versions before
     * {@code firstVersionKnowingIt} get INVALID_PRODUCER_EPOCH, as Kafka answers them.
     */
    static Errors fencedFor(Errors error, short version, short firstVersionKnowingIt) {
        return error == Errors.PRODUCER_FENCED && version < firstVersionKnowingIt ? Errors.INVALID_PRODUCER_EPOCH : error;
    }
}
