package io.brook.cli;

import io.brook.server.config.BrokerConfig;
import io.brook.server.node.BrookNode;
import io.brook.server.node.MetaDirectories;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code brook server}: runs a broker+controller node until SIGTERM or Ctrl-C. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run a Brook node (broker and controller) in the foreground.",
        footer = {"", "Examples:",
                "  bin/brook server",
                "  bin/brook server --config config/server.properties",
                "  bin/brook server --override listeners=PLAINTEXT://0.0.0.0:9092 --override log.dirs=/var/brook"})
final class ServerCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with Kafka's broker setting names.")
    File configFile;

    @Option(names = "--override", paramLabel = "KEY=VALUE", description = "Set one setting (repeatable); wins over --config.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    /** Set by {@link BrookCli#main}: what Log4j2 said of its configuration, listened to from the start. */
    LoggingCheck logging;

    @Override
    public Integer call() {
        // the command line's writers, as every other command uses (System.err when run from bin/brook)
        PrintWriter err = spec.commandLine().getErr();
        String loggingProblem = logging == null ? null : logging.problem();
        if (loggingProblem != null) {
            err.println("brook: cannot use the logging configuration: " + loggingProblem
                    + "; fix it, or point BROOK_LOG4J_OPTS at another (-Dlog4j2.configurationFile=FILE)");
            err.flush();
            return 2;
        }
        BrokerConfig config = loadConfig(configFile, overrides, err);
        if (config == null) {
            return 2;
        }
        BrookNode node;
        try {
            node = BrookNode.start(config);
        } catch (MetaDirectories.NotFormattedException e) {
            err.println("brook: the server could not start: " + e.getMessage() + "; run bin/brook storage "
                    + "random-uuid once, then on every node: " + StorageCommand.formatCommand("<that id>",
                    configFile, overrides));
            err.flush();
            return 1;
        } catch (Exception e) {
            err.println("brook: the server could not start: " + describe(e));
            err.flush();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (IOException e) {
                err.println("brook: error during shutdown: " + e.getMessage());
                err.flush();
            } finally {
                // config/log4j2.properties disables Log4j's own hook, so the close above is logged; flush it now
                org.apache.logging.log4j.LogManager.shutdown();
                stopped.countDown();
            }
        }, "brook-shutdown"));
        if (node.isBroker()) {
            BrokerConfig.Listener listener = config.listener();
            System.out.println("Brook listening on " + listener.advertisedHost() + ":" + node.boundAddress().getPort()
                    + " (cluster " + node.clusterId() + ", data in " + config.logDirs().stream().map(File::getPath)
                    .collect(java.util.stream.Collectors.joining(", ")) + ")");
        } else { // process.roles=controller: the quorum's listener only
            System.out.println("Brook listening on " + node.boundAddress().getHostString() + ":"
                    + node.boundAddress().getPort() + " (cluster " + node.clusterId() + ", controller only, metadata in "
                    + config.metadataLogDir().getPath() + ")");
        }
        System.out.flush();
        node.mustStop().thenAccept(reason -> {
            err.println("brook: " + reason);
            err.flush();
            // off the thread whose I/O failed: the shutdown hook closes the node, which waits for that thread's pool
            new Thread(() -> System.exit(1), "brook-must-stop").start();
        });
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof java.net.BindException
                || String.valueOf(root.getMessage()).contains("Address already in use")) {
            // the node's own message names the listener and address (Netty's native bind failure does not)
            String what = e != root && e.getMessage() != null ? e.getMessage()
                    : "the port is in use (" + root.getMessage() + ")";
            return what + "; stop the other server or set --override listeners=PLAINTEXT://localhost:PORT";
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }

    /**
     * The node's settings: {@code configFile} (or none) with {@code overrides} on top; null after one line
     * on {@code err} saying why they cannot be read or are invalid.
     */
    static BrokerConfig loadConfig(File configFile, Map<String, String> overrides, PrintWriter err) {
        try {
            Map<String, String> settings = new HashMap<>();
            if (configFile != null) {
                settings.putAll(BrokerConfig.readProperties(configFile));
            }
            settings.putAll(overrides);
            return BrokerConfig.fromMap(settings);
        } catch (IOException e) {
            err.println("brook: cannot read " + configFile + ": " + e.getMessage());
        } catch (ConfigException e) {
            err.println("brook: invalid setting: " + e.getMessage());
        }
        err.flush();
        return null;
    }
}
