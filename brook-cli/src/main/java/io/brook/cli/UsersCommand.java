package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code brook users}: SCRAM users of a running node (Kafka's AlterUserScramCredentials and
 * DescribeUserScramCredentials, as {@code kafka-configs --entity-type users} uses them). The node keeps
 * salted keys only; the password is salted here, by the admin client.
 */
@Command(name = "users", description = "List, add and delete SCRAM users (SASL SCRAM-SHA-256/512).",
        mixinStandardHelpOptions = true,
        subcommands = {UsersCommand.ListUsers.class, UsersCommand.Add.class, UsersCommand.Delete.class},
        footer = {"", "Examples:",
                "  brook users list",
                "  brook users add --user alice --mechanism SCRAM-SHA-512 --password alice-secret",
                "  echo alice-secret | brook users add --user alice",
                "  brook users delete --user alice --mechanism SCRAM-SHA-512"})
final class UsersCommand {
    /** Kafka's default iteration count for new credentials (kafka-configs uses it too). */
    static final int DEFAULT_ITERATIONS = 4096;

    static ScramMechanism mechanism(String name) {
        ScramMechanism mechanism = ScramMechanism.fromMechanismName(name.toUpperCase(Locale.ROOT));
        if (mechanism == ScramMechanism.UNKNOWN) {
            throw new ErrorReporter.UsageError("--mechanism is SCRAM-SHA-256 or SCRAM-SHA-512, not " + name);
        }
        return mechanism;
    }

    @Command(name = "list", description = "List users with their SCRAM mechanisms and iterations.",
            mixinStandardHelpOptions = true, footer = {"", "Examples:", "  brook users list",
                    "  brook users list --output json --command-config admin-sasl.properties"})
    static final class ListUsers extends TopicsCommand.AdminCommand {
        @Override
        Integer run(Admin admin) throws Exception {
            Map<String, UserScramCredentialsDescription> users = new TreeMap<>(
                    admin.describeUserScramCredentials().all().get());
            if (json()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                users.forEach((user, d) -> d.credentialInfos().forEach(info -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("user", user);
                    row.put("mechanism", info.mechanism().mechanismName());
                    row.put("iterations", info.iterations());
                    rows.add(row);
                }));
                out().println(Json.value(rows));
                return 0;
            }
            out().printf("%-24s %-14s %s%n", "USER", "MECHANISM", "ITERATIONS");
            users.forEach((user, d) -> d.credentialInfos().forEach(info ->
                    out().printf("%-24s %-14s %d%n", user, info.mechanism().mechanismName(), info.iterations())));
            return 0;
        }
    }

    @Command(name = "add", description = "Add a user's SCRAM credential, or replace it (a new password).",
            mixinStandardHelpOptions = true,
            footer = {"", "Without --password the password is read from the first line of standard input.", "",
                    "Examples:", "  echo alice-secret | brook users add --user alice",
                    "  brook users add --user bob --mechanism SCRAM-SHA-256 --iterations 8192 --password bob-secret"})
    static final class Add extends TopicsCommand.AdminCommand {
        @Option(names = "--user", required = true, paramLabel = "NAME", description = "The user name.")
        String user;
        @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "SCRAM-SHA-512",
                description = "SCRAM-SHA-256 or SCRAM-SHA-512 (default: ${DEFAULT-VALUE}).")
        String mechanism;
        @Option(names = "--iterations", paramLabel = "N", defaultValue = "" + DEFAULT_ITERATIONS,
                description = "PBKDF2 iterations, 4096 to 16384 (default: ${DEFAULT-VALUE}).")
        int iterations;
        @Option(names = "--password", paramLabel = "PASSWORD", description = "The password (visible to ps; "
                + "prefer standard input).")
        String password;

        @Override
        Integer run(Admin admin) throws Exception {
            String secret = password;
            if (secret == null) {
                secret = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (secret == null || secret.isEmpty()) {
                    throw new ErrorReporter.UsageError("give --password or the password on standard input");
                }
            }
            ScramMechanism m = mechanism(mechanism);
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(m, iterations), secret))).all().get();
            out().println("User " + user + " can now authenticate with " + m.mechanismName() + ".");
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a user's SCRAM credential for one mechanism.",
            mixinStandardHelpOptions = true, footer = {"", "Examples:",
                    "  brook users delete --user alice", "  brook users delete --user bob --mechanism SCRAM-SHA-256"})
    static final class Delete extends TopicsCommand.AdminCommand {
        @Option(names = "--user", required = true, paramLabel = "NAME", description = "The user name.")
        String user;
        @Option(names = "--mechanism", paramLabel = "MECHANISM", defaultValue = "SCRAM-SHA-512",
                description = "SCRAM-SHA-256 or SCRAM-SHA-512 (default: ${DEFAULT-VALUE}).")
        String mechanism;

        @Override
        Integer run(Admin admin) throws Exception {
            ScramMechanism m = mechanism(mechanism);
            admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion(user, m))).all().get();
            out().println("User " + user + " can no longer authenticate with " + m.mechanismName() + ".");
            return 0;
        }
    }
}
