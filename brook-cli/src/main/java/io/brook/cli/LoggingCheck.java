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
    /** Reads the configuration while the caller does other start-up work; null when not started so. */
    private Thread reader;

    /** Starts listening; must run before the first logger is created, when Log4j2 reads its configuration. */
    static LoggingCheck listen() {
        LoggingCheck check = new LoggingCheck();
        StatusLogger.getLogger().registerListener(check);
        return check;
    }

    /**
     * Has Log4j2 read its configuration on another thread, so that the caller's own start-up work
     * (parsing the command line and the settings) overlaps it: reading the configuration (plugins,
     * appenders, layouts) is a third of a server's start. {@link #problem()} waits for it; nothing may
     * log before that (a logger used meanwhile would see the configuration only once it is read).
     */
    void startInBackground() {
        Thread thread = new Thread(() -> LogManager.getContext(false), "brook-logging-init");
        thread.setDaemon(true);
        reader = thread;
        thread.start();
    }

    /** What is wrong with the logging configuration, or null when Log4j2 took it without an error. */
    String problem() {
        Thread thread = reader;
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return check();
    }

    private synchronized String check() {
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
