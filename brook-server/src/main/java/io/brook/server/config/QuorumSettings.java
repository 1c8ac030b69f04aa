package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The controller quorum a node belongs to, as Kafka's KRaft names it: static voters
 * ({@code controller.quorum.voters=1@host:port,2@host:port}) or, for a dynamic quorum (KIP-853), the
 * controllers to bootstrap from ({@code controller.quorum.bootstrap.servers=host:port,...}); never both.
 * Neither set means Brook's single-node default: a node that is both broker and controller and its own
 * quorum. Parsing and the checks against the node's id and roles are pure (no name resolution: the
 * addresses are unresolved). Immutable.
 */
public record QuorumSettings(Map<Integer, InetSocketAddress> voters, List<InetSocketAddress> bootstrapServers) {
    static final String VOTERS = "controller.quorum.voters";
    static final String BOOTSTRAP_SERVERS = "controller.quorum.bootstrap.servers";

    public QuorumSettings {
        voters = Collections.unmodifiableMap(new LinkedHashMap<>(voters));
        bootstrapServers = List.copyOf(bootstrapServers);
    }

    /** Parses both settings (their comma-separated entries) and checks that at most one is set. */
    static QuorumSettings parse(List<String> voterEntries, List<String> bootstrapEntries) {
        Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
        String votersValue = String.join(",", voterEntries);
        for (String raw : voterEntries) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int at = entry.indexOf('@');
            if (at <= 0) {
                throw new ConfigException(VOTERS, votersValue, "'" + entry + "' is not id@host:port "
                        + "(for example 1@localhost:9093)");
            }
            int id;
            try {
                id = Integer.parseInt(entry.substring(0, at));
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 0) {
                throw new ConfigException(VOTERS, votersValue, "'" + entry + "' does not start with a node id "
                        + "(a number from 0)");
            }
            InetSocketAddress address = hostPort(VOTERS, votersValue, entry, entry.substring(at + 1));
            if (voters.putIfAbsent(id, address) != null) {
                throw new ConfigException(VOTERS, votersValue, "node id " + id + " is listed more than once");
            }
        }
        List<InetSocketAddress> bootstrap = new ArrayList<>();
        String bootstrapValue = String.join(",", bootstrapEntries);
        for (String raw : bootstrapEntries) {
            String entry = raw.trim();
            if (!entry.isEmpty()) {
                bootstrap.add(hostPort(BOOTSTRAP_SERVERS, bootstrapValue, entry, entry));
            }
        }
        if (!voters.isEmpty() && !bootstrap.isEmpty()) {
            throw new ConfigException(BOOTSTRAP_SERVERS, bootstrapValue, "set either " + VOTERS
                    + " (a static quorum) or " + BOOTSTRAP_SERVERS + " (a dynamic quorum, KIP-853), not both");
        }
        return new QuorumSettings(voters, bootstrap);
    }

    /**
     * Checks the quorum against this node: a controller is one of the static voters, a broker-only node is
     * not, and a node that is not both broker and controller needs controllers to talk to.
     */
    void check(int nodeId, Set<String> roles) {
        boolean controller = roles.contains(BrokerConfig.ROLE_CONTROLLER);
        boolean broker = roles.contains(BrokerConfig.ROLE_BROKER);
        if (!isConfigured() && !(controller && broker)) {
            throw new ConfigException(VOTERS, "", "a node with process.roles=" + String.join(",", roles)
                    + " needs its controllers: set " + VOTERS + " (1@host:port,...) or " + BOOTSTRAP_SERVERS);
        }
        if (voters.isEmpty()) {
            return;
        }
        if (controller && !voters.containsKey(nodeId)) {
            throw new ConfigException(VOTERS, describeVoters(), "this node (node.id=" + nodeId + ") has the "
                    + "controller role, so it must be one of the voters");
        }
        if (!controller && voters.containsKey(nodeId)) {
            throw new ConfigException(VOTERS, describeVoters(), "this node (node.id=" + nodeId + ") has only the "
                    + "broker role, so it must not be one of the voters");
        }
    }

    /**
     * Whether this node learns the quorum's voters at start from the controllers of
     * {@code controller.quorum.bootstrap.servers} (KIP-853: no static voters are configured).
     */
    public boolean discoversVoters() {
        return voters.isEmpty() && !bootstrapServers.isEmpty();
    }

    /** Whether either setting names controllers (else the node is its own single-node quorum). */
    public boolean isConfigured() {
        return !voters.isEmpty() || !bootstrapServers.isEmpty();
    }

    /**
     * Whether the quorum involves any node besides this one: other static voters, or a dynamic quorum
     * (whose members are only known from the bootstrap servers). Such a node needs its directories
     * formatted ({@code bin/brook storage format}) with the cluster's id before it starts.
     */
    public boolean hasOtherNodes(int nodeId) {
        return !bootstrapServers.isEmpty() || voters.keySet().stream().anyMatch(id -> id != nodeId);
    }

    /** The voters as they were configured ({@code id@host:port,...}), for messages. */
    String describeVoters() {
        List<String> entries = new ArrayList<>();
        voters.forEach((id, address) -> entries.add(id + "@" + address.getHostString() + ":" + address.getPort()));
        return String.join(",", entries);
    }

    private static InetSocketAddress hostPort(String key, String value, String entry, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? "" : hostPort.substring(0, colon).trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new ConfigException(key, value, "'" + entry + "' has no host:port");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(key, value, "'" + entry + "' has no valid port (a number from 1 to 65535)");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }
}
