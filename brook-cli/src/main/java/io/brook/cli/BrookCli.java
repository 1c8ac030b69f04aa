package io.brook.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Arrays;

/** The {@code brook} command. */
@Command(name = "brook", mixinStandardHelpOptions = true, version = "brook 0.1.0",
        description = "Brook: an event streaming platform that speaks Kafka's protocol.",
        subcommands = {ServerCommand.class, TopicsCommand.class, ProduceCommand.class, ConsumeCommand.class,
                GroupsCommand.class, ConfigsCommand.class, LoggersCommand.class, ClusterCommand.class, PerfCommand.class,
                StorageCommand.class, UsersCommand.class, AclsCommand.class, PartitionsCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  brook server", "  brook topics create --topic quickstart-events", "  echo 'Hello, Kafka!' | brook produce --topic quickstart-events", "  brook consume --topic quickstart-events --from-beginning"})
public final class BrookCli {

    public static void main(String[] args) {
        LoggingCheck logging = LoggingCheck.listen();
        int exitCode;
        if (args.length > 0 && args[0].equals("server")) {
            logging.startInBackground(); // read while the command line is parsed
            exitCode = serverCommandLine(logging).execute(Arrays.copyOfRange(args, 1, args.length));
        } else {
            CommandLine commandLine = commandLine();
            ((ServerCommand) commandLine.getSubcommands().get("server").getCommand()).logging = logging;
            exitCode = commandLine.execute(args);
        }
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /**
     * {@code brook server} alone: picocli builds the model of every command it is given, by
     * reflection, which took a fifth of a server's start; a server needs only its own.
     */
    static CommandLine serverCommandLine(LoggingCheck logging) {
        ServerCommand server = new ServerCommand();
        server.logging = logging;
        return new CommandLine(server).setCommandName("brook server").setExecutionExceptionHandler(new ErrorReporter());
    }

    /** The command line with Brook's error handling: one line per failure, exit 1; bad usage exits 2. */
    public static CommandLine commandLine() {
        return new CommandLine(new BrookCli()).setExecutionExceptionHandler(new ErrorReporter());
    }
}
