package io.brook.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code brook} command. */
@Command(name = "brook", mixinStandardHelpOptions = true, version = "brook 0.1.0",
        description = "Brook: an event streaming platform that speaks Kafka's protocol.",
        subcommands = {ServerCommand.class, CommandLine.HelpCommand.class})
public final class BrookCli {

    public static void main(String[] args) {
        int exitCode = new CommandLine(new BrookCli()).execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }
}
