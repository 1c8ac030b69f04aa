package io.brook.server.logging;

import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The node's logger levels, read and changed while it runs (Kafka's BROKER_LOGGER resource: DescribeConfigs,
 * IncrementalAlterConfigs, {@code kafka-configs --entity-type broker-loggers}). Backed by Log4j2, the
 * server's logging; a change lasts until the node stops.
 */
public final class LoggerLevels {
    /** Log4j's name of the root logger, as Kafka reports it. */
    public static final String ROOT = "root";
    /** The levels Kafka accepts for a logger. */
    public static final List<String> VALID_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

    /** Every logger this node has created or configured, with its effective level. */
    public Map<String, String> levels() {
        LoggerContext context = context();
        Map<String, String> levels = new TreeMap<>();
        context.getLoggers().forEach(logger -> levels.put(logger.getName(), logger.getLevel().name()));
        context.getConfiguration().getLoggers().forEach((name, config) -> {
            if (!name.isEmpty()) {
                levels.put(name, context.getLogger(name).getLevel().name());
            }
        });
        levels.remove("");
        levels.put(ROOT, context.getRootLogger().getLevel().name());
        return levels;
    }

    /** Checks that {@code level} can be given to {@code logger}, as Kafka checks it, without changing anything. */
    public void validateSet(String logger, String level) {
        requireKnown(logger);
        if (level == null || !VALID_LEVELS.contains(level)) {
            throw new InvalidConfigurationException("Cannot set the log level of " + logger + " to " + level + " as it is "
                    + "not a supported log level. Valid log levels are " + String.join(", ", VALID_LEVELS));
        }
    }

    /** Checks that {@code logger}'s own level may be removed (the root logger's may not). */
    public void validateUnset(String logger) {
        requireKnown(logger);
        if (logger.equals(ROOT)) {
            throw new InvalidRequestException("Removing the log level of the " + ROOT + " logger is not allowed");
        }
    }

    public void set(String logger, String level) {
        validateSet(logger, level);
        if (logger.equals(ROOT)) {
            Configurator.setRootLevel(Level.valueOf(level));
        } else {
            Configurator.setLevel(logger, Level.valueOf(level));
        }
    }

    /** Removes the logger's own level: it inherits its parent's again. */
    public void unset(String logger) {
        validateUnset(logger);
        Configurator.setLevel(logger, (Level) null);
    }

    /**
     * A logger exists when the node created or configured it, or it is a package above one (so
     * {@code io.brook.storage} can be set for every storage class); anything else is refused, as Kafka does.
     */
    private void requireKnown(String logger) {
        if (logger.equals(ROOT)) {
            return;
        }
        for (String known : levels().keySet()) {
            if (known.equals(logger) || known.startsWith(logger + ".")) {
                return;
            }
        }
        throw new InvalidConfigurationException("Logger " + logger + " does not exist!");
    }

    private static LoggerContext context() {
        return (LoggerContext) LogManager.getContext(false);
    }
}
