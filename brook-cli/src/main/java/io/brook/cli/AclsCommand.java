package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code brook acls}: a running node's ACLs (Kafka's CreateAcls, DescribeAcls and DeleteAcls, as
 * {@code kafka-acls.sh} uses them). One resource per command (a topic, a group, a transactional id or the
 * cluster), literal or prefixed; principals as Kafka writes them ({@code User:alice}).
 */
@Command(name = "acls", description = "List, add and remove ACLs (the node must run with an authorizer).",
        mixinStandardHelpOptions = true,
        subcommands = {AclsCommand.ListAcls.class, AclsCommand.Add.class, AclsCommand.Remove.class},
        footer = {"", "Examples:",
                "  brook acls list",
                "  brook acls add --allow-principal User:alice --operation WRITE --topic orders- --prefixed",
                "  brook acls add --allow-principal User:alice --operation READ --group billing",
                "  brook acls add --deny-principal User:mallory --operation ALL --cluster",
                "  brook acls remove --principal User:alice --topic orders- --prefixed"})
final class AclsCommand {
    private AclsCommand() {
    }

    /** Which resource: exactly one of these. */
    static final class Resource {
        @Option(names = "--topic", paramLabel = "NAME", description = "A topic (or prefix, with --prefixed).")
        String topic;
        @Option(names = "--group", paramLabel = "ID", description = "A consumer group (or prefix).")
        String group;
        @Option(names = "--transactional-id", paramLabel = "ID", description = "A transactional id (or prefix).")
        String transactionalId;
        @Option(names = "--cluster", description = "The cluster.")
        boolean cluster;

        ResourceType type() {
            return topic != null ? ResourceType.TOPIC : group != null ? ResourceType.GROUP
                    : transactionalId != null ? ResourceType.TRANSACTIONAL_ID : ResourceType.CLUSTER;
        }

        String name() {
            return topic != null ? topic : group != null ? group : transactionalId != null ? transactionalId
                    : "kafka-cluster";
        }
    }

    static AclOperation operation(String name) {
        AclOperation op = AclOperation.fromString(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (op == AclOperation.UNKNOWN || op == AclOperation.ANY) {
            throw new ErrorReporter.UsageError("--operation is one of ALL, READ, WRITE, CREATE, DELETE, ALTER, "
                    + "DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, not " + name);
        }
        return op;
    }

    static String principal(String value, String option) {
        int colon = value.indexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new ErrorReporter.UsageError(option + " takes TYPE:NAME (for example User:alice), got '"
                    + value + "'");
        }
        return value;
    }

    private static PatternType pattern(boolean prefixed) {
        return prefixed ? PatternType.PREFIXED : PatternType.LITERAL;
    }

    static List<Map<String, Object>> rows(Collection<AclBinding> bindings) {
        List<AclBinding> sorted = new ArrayList<>(bindings);
        sorted.sort(Comparator.comparing((AclBinding b) -> b.pattern().resourceType().name())
                .thenComparing(b -> b.pattern().name()).thenComparing(b -> b.entry().principal())
                .thenComparing(b -> b.entry().operation().name()));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (AclBinding b : sorted) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("resourceType", b.pattern().resourceType().name());
            row.put("name", b.pattern().name());
            row.put("patternType", b.pattern().patternType().name());
            row.put("principal", b.entry().principal());
            row.put("host", b.entry().host());
            row.put("operation", b.entry().operation().name());
            row.put("permission", b.entry().permissionType().name());
            rows.add(row);
        }
        return rows;
    }

    static void print(TopicsCommand.AdminCommand command, Collection<AclBinding> bindings) {
        List<Map<String, Object>> rows = rows(bindings);
        if (command.json()) {
            command.out().println(Json.value(rows));
            return;
        }
        command.out().printf("%-16s %-24s %-9s %-20s %-6s %-16s %s%n", "RESOURCE", "NAME", "PATTERN", "PRINCIPAL",
                "HOST", "OPERATION", "PERMISSION");
        for (Map<String, Object> r : rows) {
            command.out().printf("%-16s %-24s %-9s %-20s %-6s %-16s %s%n", r.get("resourceType"), r.get("name"),
                    r.get("patternType"), r.get("principal"), r.get("host"), r.get("operation"),
                    r.get("permission"));
        }
    }

    @Command(name = "list", description = "List ACLs, all of them or those matching the filters.",
            mixinStandardHelpOptions = true, footer = {"", "Examples:", "  brook acls list",
                    "  brook acls list --topic orders --principal User:alice --output json"})
    static final class ListAcls extends TopicsCommand.AdminCommand {
        @ArgGroup(exclusive = true)
        Resource resource;
        @Option(names = "--prefixed", description = "The resource name is a prefix pattern (else literal).")
        boolean prefixed;
        @Option(names = "--principal", paramLabel = "TYPE:NAME", description = "Only this principal's ACLs.")
        String principal;

        @Override
        Integer run(Admin admin) throws Exception {
            ResourcePatternFilter pattern = resource == null ? ResourcePatternFilter.ANY
                    : new ResourcePatternFilter(resource.type(), resource.name(), pattern(prefixed));
            AccessControlEntryFilter entry = new AccessControlEntryFilter(
                    principal == null ? null : principal(principal, "--principal"), null, AclOperation.ANY,
                    AclPermissionType.ANY);
            print(this, admin.describeAcls(new AclBindingFilter(pattern, entry)).values().get());
            return 0;
        }
    }

    @Command(name = "add", description = "Allow or deny principals operations on one resource.",
            mixinStandardHelpOptions = true, footer = {"", "Examples:",
                    "  brook acls add --allow-principal User:alice --operation READ --operation DESCRIBE --topic t",
                    "  brook acls add --allow-principal User:bob --operation WRITE --topic logs- --prefixed",
                    "  brook acls add --deny-principal User:mallory --host 10.0.0.9 --operation ALL --cluster"})
    static final class Add extends TopicsCommand.AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Resource resource;
        @Option(names = "--prefixed", description = "The resource name is a prefix pattern (else literal).")
        boolean prefixed;
        @Option(names = "--allow-principal", paramLabel = "TYPE:NAME", description = "Principals to allow.")
        List<String> allow = new ArrayList<>();
        @Option(names = "--deny-principal", paramLabel = "TYPE:NAME", description = "Principals to deny.")
        List<String> deny = new ArrayList<>();
        @Option(names = "--operation", required = true, paramLabel = "OP", description = "Operations (repeatable).")
        List<String> operations;
        @Option(names = "--host", paramLabel = "HOST", defaultValue = "*",
                description = "The client host the ACLs apply to (default: any).")
        String host;

        @Override
        Integer run(Admin admin) throws Exception {
            if (allow.isEmpty() && deny.isEmpty()) {
                throw new ErrorReporter.UsageError("give --allow-principal or --deny-principal (or both)");
            }
            ResourcePattern pattern = new ResourcePattern(resource.type(), resource.name(), pattern(prefixed));
            List<AclBinding> bindings = new ArrayList<>();
            for (String op : operations) {
                AclOperation operation = operation(op);
                for (String p : allow) {
                    bindings.add(new AclBinding(pattern, new AccessControlEntry(principal(p, "--allow-principal"),
                            host, operation, AclPermissionType.ALLOW)));
                }
                for (String p : deny) {
                    bindings.add(new AclBinding(pattern, new AccessControlEntry(principal(p, "--deny-principal"),
                            host, operation, AclPermissionType.DENY)));
                }
            }
            admin.createAcls(bindings).all().get();
            out().println("Added " + bindings.size() + " ACL(s) on " + resource.type() + " " + resource.name()
                    + (prefixed ? " (prefix)" : "") + ".");
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove the ACLs of one resource, of one principal if given.",
            mixinStandardHelpOptions = true, footer = {"", "Examples:",
                    "  brook acls remove --topic orders", "  brook acls remove --principal User:alice --group billing",
                    "  brook acls remove --principal User:bob --operation WRITE --topic logs- --prefixed"})
    static final class Remove extends TopicsCommand.AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Resource resource;
        @Option(names = "--prefixed", description = "The resource name is a prefix pattern (else literal).")
        boolean prefixed;
        @Option(names = "--principal", paramLabel = "TYPE:NAME", description = "Only this principal's ACLs.")
        String principal;
        @Option(names = "--operation", paramLabel = "OP", description = "Only this operation's ACLs.")
        String operation;

        @Override
        Integer run(Admin admin) throws Exception {
            AclBindingFilter filter = new AclBindingFilter(
                    new ResourcePatternFilter(resource.type(), resource.name(), pattern(prefixed)),
                    new AccessControlEntryFilter(principal == null ? null : principal(principal, "--principal"),
                            null, operation == null ? AclOperation.ANY : operation(operation), AclPermissionType.ANY));
            Collection<AclBinding> removed = admin.deleteAcls(List.of(filter)).all().get();
            out().println("Removed " + removed.size() + " ACL(s).");
            return 0;
        }
    }
}
