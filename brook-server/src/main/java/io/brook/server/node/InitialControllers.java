package io.brook.server.node;

import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The voters a dynamic metadata quorum (KIP-853) starts from, as Kafka's {@code kafka-storage format} takes them:
 * {@code --standalone} (this controller alone) or {@code --initial-controllers id@host:port:directory-id,...} (the
 * same list on every node). {@code bin/brook storage format} writes them into the metadata log directory
 * ({@value #FILE_NAME}); a controller named only by {@code controller.quorum.bootstrap.servers} that finds itself in
 * them starts the quorum with them, any other such controller joins as an observer until it is added. As Kafka's
 * bootstrap checkpoint, the file only matters while the quorum's log is empty: after the first start the voter set
 * is the one the quorum's log holds. Immutable; parsing is pure.
 */
public record InitialControllers(List<Voter> voters) {
    public static final String FILE_NAME = "quorum-bootstrap.properties";
    private static final String KEY = "initial.controllers";

    /** One voter: its node id, controller listener endpoint and the directory id of its metadata log directory. */
    public record Voter(int id, String host, int port, Uuid directoryId) {
        public InetSocketAddress address() {
            return InetSocketAddress.createUnresolved(host, port);
        }

        @Override
        public String toString() {
            return id + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + ":" + directoryId;
        }
    }

    public InitialControllers {
        voters = List.copyOf(voters);
    }

    /**
     * Parses Kafka's {@code --initial-controllers} value: comma-separated {@code id@host:port:directory-id} entries
     * (an IPv6 host in brackets), distinct ids and directory ids; every problem is one line naming the entry.
     */
    public static InitialControllers parse(String value) throws MetaPropertiesException {
        List<Voter> voters = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        Set<Uuid> directories = new HashSet<>();
        for (String raw : value.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            Voter voter = parseEntry(entry);
            if (!ids.add(voter.id())) {
                throw new MetaPropertiesException("--initial-controllers names node " + voter.id() + " twice");
            }
            if (!directories.add(voter.directoryId())) {
                throw new MetaPropertiesException("--initial-controllers gives the directory id "
                        + voter.directoryId() + " twice; each controller's metadata directory has its own");
            }
            voters.add(voter);
        }
        if (voters.isEmpty()) {
            throw new MetaPropertiesException("--initial-controllers names no controller (give id@host:port:"
                    + "directory-id,... for example 1@localhost:9093:" + Uuid.randomUuid() + ")");
        }
        return new InitialControllers(voters);
    }

    private static Voter parseEntry(String entry) throws MetaPropertiesException {
        String expected = "'" + entry + "' in --initial-controllers is not id@host:port:directory-id (for example "
                + "1@localhost:9093:" + Uuid.randomUuid() + ", the directory id from bin/brook storage random-uuid)";
        int at = entry.indexOf('@');
        int lastColon = entry.lastIndexOf(':');
        int portColon = lastColon < 0 ? -1 : entry.lastIndexOf(':', lastColon - 1);
        if (at <= 0 || portColon <= at) {
            throw new MetaPropertiesException(expected);
        }
        int id;
        int port;
        try {
            id = Integer.parseInt(entry.substring(0, at));
            port = Integer.parseInt(entry.substring(portColon + 1, lastColon));
        } catch (NumberFormatException e) {
            throw new MetaPropertiesException(expected);
        }
        String host = entry.substring(at + 1, portColon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (id < 0 || port < 1 || port > 65_535 || host.isEmpty()) {
            throw new MetaPropertiesException(expected);
        }
        Uuid directoryId;
        try {
            directoryId = Uuid.fromString(entry.substring(lastColon + 1));
        } catch (IllegalArgumentException e) {
            throw new MetaPropertiesException("'" + entry + "' in --initial-controllers has no valid directory id "
                    + "after its port (22 characters of URL-safe base64, from bin/brook storage random-uuid)");
        }
        if (DirectoryId.reserved(directoryId)) {
            throw new MetaPropertiesException("'" + entry + "' in --initial-controllers has the reserved directory "
                    + "id " + directoryId + "; make one with bin/brook storage random-uuid");
        }
        return new Voter(id, host, port, directoryId);
    }

    /**
     * What {@code brook storage format} asked for the quorum: {@code --standalone}, {@code --initial-controllers}
     * (its value), {@code --no-initial-controllers}, or none of them.
     */
    public record FormatRequest(boolean standalone, String initialControllers, boolean noInitialControllers) {
        public static final FormatRequest NONE = new FormatRequest(false, null, false);
    }

    /**
     * The node being formatted: its id and roles, how its quorum is named, and (a controller's) controller listener,
     * bound ({@code bindPort}) and advertised to the other controllers ({@code host}, {@code port}); null for no
     * controller listener.
     */
    public record FormattedNode(int nodeId, boolean controller, boolean staticVoters, boolean bootstrapServers,
                                String host, int port, int bindPort) {
    }

    /**
     * What a format writes for the quorum, decided without I/O (Kafka's kafka-storage rules): the initial voters to
     * store in the metadata log directory of a controller, if any; when this node is one of them, its entry's
     * directory id is the one that directory gets. {@code newDirectoryId} is that id for {@code --standalone}.
     * Every refusal is one line saying what to give instead.
     */
    public static Optional<InitialControllers> planFormat(FormattedNode node, FormatRequest request,
                                                          Uuid newDirectoryId) throws MetaPropertiesException {
        int given = (request.standalone() ? 1 : 0) + (request.initialControllers() != null ? 1 : 0)
                + (request.noInitialControllers() ? 1 : 0);
        if (given > 1) {
            throw new MetaPropertiesException("--standalone, --initial-controllers and --no-initial-controllers "
                    + "exclude each other; give one");
        }
        boolean startsQuorum = request.standalone() || request.initialControllers() != null;
        if (startsQuorum && node.staticVoters()) {
            throw new MetaPropertiesException("controller.quorum.voters is set, so this node's quorum is static and "
                    + "its voters come from that setting: drop --standalone/--initial-controllers, or replace "
                    + "controller.quorum.voters with controller.quorum.bootstrap.servers for a dynamic quorum");
        }
        if (request.standalone() && !node.controller()) {
            throw new MetaPropertiesException("--standalone makes this node the quorum's only voter, but node "
                    + node.nodeId() + " is no controller (process.roles has no controller)");
        }
        if (given == 0 && node.controller() && node.bootstrapServers()) {
            throw new MetaPropertiesException("controller.quorum.voters is not set on this controller (its quorum is "
                    + "dynamic, named by controller.quorum.bootstrap.servers), so give one of --standalone (a new "
                    + "quorum of this controller alone), --initial-controllers id@host:port:directory-id,... (the "
                    + "same list on every node) or --no-initial-controllers (it joins a running quorum once added "
                    + "with kafka-metadata-quorum add-controller)");
        }
        if (request.standalone()) {
            if (node.host() == null || node.host().isEmpty() || node.host().equals("0.0.0.0")
                    || node.host().equals("::")) {
                throw new MetaPropertiesException("--standalone records this controller's endpoint for the other "
                        + "controllers, but its controller listener names no host: advertise one (for example "
                        + "advertised.listeners=...,CONTROLLER://localhost:9093)");
            }
            return Optional.of(new InitialControllers(List.of(new Voter(node.nodeId(), node.host(), node.port(),
                    newDirectoryId))));
        }
        if (request.initialControllers() == null) {
            return Optional.empty();
        }
        InitialControllers initial = parse(request.initialControllers());
        Optional<Voter> own = initial.voter(node.nodeId());
        if (own.isPresent() && !node.controller()) {
            throw new MetaPropertiesException("--initial-controllers names node " + node.nodeId() + ", but this node "
                    + "is no controller (process.roles has no controller)");
        }
        if (own.isPresent() && own.get().port() != node.port() && own.get().port() != node.bindPort()) {
            throw new MetaPropertiesException("--initial-controllers gives node " + node.nodeId() + " the port "
                    + own.get().port() + ", but its controller listener is on port " + node.bindPort()
                    + "; they must be the same");
        }
        // a broker does not keep the list: it learns the voters from its bootstrap servers
        return node.controller() ? Optional.of(initial) : Optional.empty();
    }

    /** This node's entry, if it is one of the initial voters. */
    public Optional<Voter> voter(int nodeId) {
        return voters.stream().filter(v -> v.id() == nodeId).findFirst();
    }

    /** The voters' controller listener endpoints by node id, unresolved. */
    public Map<Integer, InetSocketAddress> addresses() {
        Map<Integer, InetSocketAddress> addresses = new LinkedHashMap<>();
        voters.forEach(v -> addresses.put(v.id(), v.address()));
        return addresses;
    }

    @Override
    public String toString() {
        return String.join(",", voters.stream().map(Voter::toString).toList());
    }

    /** The file in {@code dir} (the metadata log directory), or null when it has none. */
    public static InitialControllers read(File dir) throws IOException {
        File file = new File(dir, FILE_NAME);
        Properties props = MetaProperties.readProperties(file);
        if (props == null) {
            return null;
        }
        String value = props.getProperty(KEY);
        if (value == null) {
            throw new MetaPropertiesException(file + " has no " + KEY + "; format the node again (remove the file "
                    + "and meta.properties first)");
        }
        try {
            return parse(value);
        } catch (MetaPropertiesException e) {
            throw new MetaPropertiesException(file + ": " + e.getMessage());
        }
    }

    /** Writes the file into {@code dir} atomically, as meta.properties is written. */
    public void write(File dir) throws IOException {
        Properties props = new Properties();
        props.setProperty("version", "1");
        props.setProperty(KEY, toString());
        MetaProperties.writeProperties(new File(dir, FILE_NAME), props, "The voters a dynamic metadata quorum starts "
                + "from (bin/brook storage format); read only while the quorum's log is empty");
    }
}
