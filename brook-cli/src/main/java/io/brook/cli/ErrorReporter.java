package io.brook.cli;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns a failed command into one readable line with a hint (and the stack trace with --verbose). */
final class ErrorReporter implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        Throwable cause = unwrap(exception);
        commandLine.getErr().println("brook: " + describe(cause, commandLine));
        ParseResult ownResult = commandLine.getParseResult(); // the failing subcommand's, where --verbose lives
        if ((ownResult != null && ownResult.hasMatchedOption("--verbose")) || parseResult.hasMatchedOption("--verbose")) {
            cause.printStackTrace(commandLine.getErr());
        }
        commandLine.getErr().flush();
        // a bad client setting (a flag value or a --command-config entry) is bad usage too
        return cause instanceof UsageError || cause instanceof ConfigException ? 2 : 1;
    }

    static Throwable unwrap(Throwable t) {
        while (((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null)
                || (t instanceof KafkaException && t.getCause() instanceof ConfigException)) {
            t = t.getCause(); // "Failed to create new KafkaAdminClient" says less than its ConfigException
        }
        return t;
    }

    private static String describe(Throwable cause, CommandLine commandLine) {
        String server = serverOf(commandLine);
        if (cause instanceof TimeoutException) {
            return "cannot reach " + server + " - is the server running? Start one with bin/brook server";
        }
        if (cause instanceof UnknownTopicOrPartitionException) {
            return "that topic does not exist on " + server + " (" + cause.getMessage()
                    + "); see brook topics list";
        }
        if (cause instanceof TopicExistsException) {
            return cause.getMessage() + " Use --if-not-exists to ignore this.";
        }
        if (cause instanceof GroupIdNotFoundException) {
            return "that group does not exist; see brook groups list";
        }
        if (cause instanceof GroupNotEmptyException) {
            return "the group still has members; stop its consumers first";
        }
        String message = cause.getMessage();
        return message != null ? message : cause.getClass().getSimpleName();
    }

    private static String serverOf(CommandLine commandLine) {
        Object command = commandLine.getCommand();
        if (command instanceof HasClientOptions c) {
            return c.clientOptions().bootstrapServer;
        }
        return "the server";
    }

    /** A mistake in how the command was called, found while running it (exit code 2). */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }

    interface HasClientOptions {
        ClientOptions clientOptions();
    }
}
