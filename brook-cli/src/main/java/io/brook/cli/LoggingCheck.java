package io.brook.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the server's Log4j2 configuration could be used: a node must not run without the logging it
 * was given. Log4j2 reports configuration errors to its status logger and carries on; this listens there.
 */
final class LoggingCheck implements StatusListener {
    private final List<String> errors = new ArrayList<>();

    /** Starts listening; must run before the first logger is created, when Log4j2 reads its configuration. */
    static LoggingCheck listen() {
        LoggingCheck check = new LoggingCheck();
        StatusLogger.getLogger().registerListener(check);
        return check;
    }

    /** What is wrong with the logging configuration, or null when Log4j2 took it without an error. */
    synchronized String problem() {
        String configured = System.getProperty("log4j2.configurationFile");
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        StatusLogger.getLogger().removeListener(this);
        if (configured != null && !configured.contains(",") && !configured.contains("://")
                && !new File(configured).isFile()) {
            return configured + " does not exist";
        }
        if (!errors.isEmpty()) {
            return (configured != null ? configured + ": " : "") + errors.get(0);
        }
        if (configured != null && context.getConfiguration() instanceof DefaultConfiguration) {
            return configured + " could not be read as a Log4j2 configuration";
        }
        return null;
    }

    @Override
    public synchronized void log(StatusData data) {
        errors.add(data.getMessage().getFormattedMessage());
    }

    @Override
    public Level getStatusLevel() {
        return Level.ERROR;
    }

    @Override
    public void close() {
    }
}
