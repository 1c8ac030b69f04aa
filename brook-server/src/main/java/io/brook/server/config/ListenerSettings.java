package io.brook.server.config;

import io.brook.server.config.BrokerConfig.Listener;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's listeners under Kafka's rules: {@code listeners} (NAME://host:port, names unique), each name's
 * security protocol from {@code listener.security.protocol.map} (Kafka's default maps PLAINTEXT, SSL,
 * SASL_PLAINTEXT, SASL_SSL to themselves and, while the map is not set, every controller listener to
 * PLAINTEXT), the controller listener ({@code controller.listener.names}: the quorum's transport, never
 * served by the Kafka-protocol server), the broker listeners that are, what they advertise
 * ({@code advertised.listeners}: to clients only broker listeners; a controller's own controller listener may be
 * listed too, as in Kafka 4 (KIP-853), as the address the other controllers use, never given to clients) and
 * the listener brokers talk to each other on
 * ({@code inter.broker.listener.name}). PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL listeners are served. Pure;
 * immutable.
 */
public final class ListenerSettings {
    /** Kafka's default {@code listener.security.protocol.map}. */
    static final String DEFAULT_PROTOCOL_MAP = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,"
            + "SASL_SSL:SASL_SSL";
    /** Hosts that mean "every interface": fine to bind, never to give a client. */
    private static final List<String> WILDCARD_HOSTS = List.of("0.0.0.0", "::", "0:0:0:0:0:0:0:0");

    /** What the settings say, as given (the map null when it is not set). */
    record Input(String listeners, String advertisedListeners, String protocolMap, List<String> controllerNames,
                 String interBrokerName, boolean broker, boolean controller, InetSocketAddress voterAddress,
                 boolean controllerListenerRequired) {
    }

    private final List<Listener> brokerListeners;
    private final Listener controllerListener;
    private final Listener interBrokerListener;
    private final Map<String, SecurityProtocol> protocols;
    private final List<String> controllerNames;

    private ListenerSettings(List<Listener> brokerListeners, Listener controllerListener,
                             Listener interBrokerListener, Map<String, SecurityProtocol> protocols,
                             List<String> controllerNames) {
        this.brokerListeners = List.copyOf(brokerListeners);
        this.controllerListener = controllerListener;
        this.interBrokerListener = interBrokerListener;
        this.protocols = Collections.unmodifiableMap(new LinkedHashMap<>(protocols));
        this.controllerNames = List.copyOf(controllerNames);
    }

    static ListenerSettings parse(Input in) {
        List<String> controllerNames = in.controllerNames().stream().map(String::trim).filter(n -> !n.isEmpty())
                .map(n -> n.toUpperCase(Locale.ROOT)).toList();
        if (in.controller() && controllerNames.isEmpty() && in.controllerListenerRequired()) {
            throw new ConfigException("controller.listener.names", "", "a controller in a quorum of more than "
                    + "one node needs its controller listener: name it here (for example CONTROLLER) and add it "
                    + "to listeners (CONTROLLER://host:port, the port of this node's voter entry)");
        }
        Map<String, Endpoint> listeners = endpoints("listeners", in.listeners());
        if (in.controller() && !controllerNames.isEmpty()
                && controllerNames.stream().noneMatch(listeners::containsKey)) {
            throw new ConfigException("controller.listener.names", String.join(",", controllerNames), "none of "
                    + "these listeners is in listeners (" + in.listeners() + "); a controller needs one");
        }
        Map<Integer, String> ports = new LinkedHashMap<>();
        for (Endpoint e : listeners.values()) {
            String other = e.port() == 0 ? null : ports.putIfAbsent(e.port(), e.name());
            if (other != null) {
                throw new ConfigException("listeners", in.listeners(), "the listeners " + other + " and " + e.name()
                        + " both use port " + e.port() + "; each listener needs a port of its own");
            }
        }
        Map<String, SecurityProtocol> protocols = protocolMap(in.protocolMap(), controllerNames);
        for (Endpoint e : listeners.values()) {
            SecurityProtocol protocol = protocols.get(e.name());
            if (protocol == null) {
                throw new ConfigException("listeners", in.listeners(), "no security protocol is defined for the "
                        + "listener " + e.name() + "; name it PLAINTEXT or map it in listener.security.protocol.map "
                        + "(for example " + e.name() + ":PLAINTEXT)");
            }
            if ((protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL)
                    && controllerNames.contains(e.name())) {
                throw new ConfigException("listeners", in.listeners(), "the controller listener " + e.name()
                        + " uses " + protocol + ", but the quorum's transport is PLAINTEXT only for now");
            }
        }

        Listener controllerListener = null;
        if (in.controller()) {
            Endpoint found = controllerNames.stream().map(listeners::get).filter(e -> e != null).findFirst()
                    .orElse(null);
            if (found != null) {
                if (protocols.get(found.name()) != SecurityProtocol.PLAINTEXT) {
                    throw new ConfigException("listener.security.protocol.map", in.protocolMap(), "the controller "
                            + "listener " + found.name() + " is " + protocols.get(found.name()) + ", but the "
                            + "quorum's transport (Apache Ratis) is PLAINTEXT only; map it to PLAINTEXT");
                }
                if (in.voterAddress() != null && found.port() != in.voterAddress().getPort()) {
                    throw new ConfigException("listeners", in.listeners(), "the controller listener " + found.name()
                            + " has port " + found.port() + " but this node's entry in controller.quorum.voters has "
                            + "port " + in.voterAddress().getPort() + "; they must be the same");
                }
                controllerListener = new Listener(found.name(), bindHost(found), found.port(), found.host(),
                        found.port());
            }
            if (!in.broker()) {
                for (Endpoint e : listeners.values()) {
                    if (!controllerNames.contains(e.name())) {
                        throw new ConfigException("listeners", in.listeners(), "a node with process.roles=controller "
                                + "has only controller listeners (" + String.join(",", controllerNames)
                                + "), not " + e.name());
                    }
                }
            }
        } else {
            if (controllerNames.isEmpty()) {
                throw new ConfigException("controller.listener.names", "", "a broker-only node needs the name of "
                        + "its controllers' listener (for example CONTROLLER)");
            }
            for (String name : controllerNames) {
                if (listeners.containsKey(name)) {
                    throw new ConfigException("listeners", in.listeners(), "a node with process.roles=broker must "
                            + "not have the controller listener " + name + "; only controllers serve it");
                }
            }
        }

        Map<String, Endpoint> advertised = in.advertisedListeners() == null ? Map.of()
                : endpoints("advertised.listeners", in.advertisedListeners());
        for (Endpoint e : advertised.values()) {
            if (controllerNames.contains(e.name())
                    && (controllerListener == null || !controllerListener.name().equals(e.name()))) {
                throw new ConfigException("advertised.listeners", in.advertisedListeners(), "the controller listener "
                        + e.name() + " cannot be advertised by this node: only a controller advertises its own "
                        + "controller listener (to the other controllers, as in KIP-853); clients are never given it");
            }
            if (!listeners.containsKey(e.name())) {
                throw new ConfigException("advertised.listeners", in.advertisedListeners(), "the listener " + e.name()
                        + " is not in listeners (" + in.listeners() + ")");
            }
            if (WILDCARD_HOSTS.contains(e.host())) {
                throw new ConfigException("advertised.listeners", in.advertisedListeners(), "cannot use the "
                        + "non-routable meta-address " + e.host() + " for " + e.name() + "; advertise a host name or "
                        + "address clients can reach");
            }
        }

        if (controllerListener != null && advertised.containsKey(controllerListener.name())) {
            Endpoint shown = advertised.get(controllerListener.name());
            controllerListener = new Listener(controllerListener.name(), controllerListener.bindHost(),
                    controllerListener.port(), shown.host(), shown.port());
        }
        List<Listener> brokerListeners = new ArrayList<>();
        Listener interBroker = null;
        if (in.broker()) {
            for (Endpoint e : listeners.values()) {
                if (!controllerNames.contains(e.name())) {
                    Endpoint shown = advertised.getOrDefault(e.name(), e);
                    String host = shown.host().isEmpty() || WILDCARD_HOSTS.contains(shown.host())
                            ? localHostName() : shown.host();
                    brokerListeners.add(new Listener(e.name(), bindHost(e), e.port(), host, shown.port()));
                }
            }
            if (brokerListeners.isEmpty()) {
                throw new ConfigException("listeners", in.listeners(), "no client listener is configured (a broker "
                        + "needs one besides the controller listener, for example PLAINTEXT://localhost:9092)");
            }
            String wanted = in.interBrokerName() == null ? brokerListeners.get(0).name()
                    : in.interBrokerName().trim().toUpperCase(Locale.ROOT);
            if (controllerNames.contains(wanted)) {
                throw new ConfigException("inter.broker.listener.name", in.interBrokerName(), "the controller "
                        + "listener cannot carry traffic between brokers; name one of the broker listeners ("
                        + String.join(",", brokerListeners.stream().map(Listener::name).toList()) + ")");
            }
            interBroker = brokerListeners.stream().filter(l -> l.name().equals(wanted)).findFirst()
                    .orElseThrow(() -> new ConfigException("inter.broker.listener.name", in.interBrokerName(),
                            "must be one of the listeners (" + String.join(",",
                                    brokerListeners.stream().map(Listener::name).toList()) + ")"));
        } else if (in.interBrokerName() != null && controllerNames.contains(
                in.interBrokerName().trim().toUpperCase(Locale.ROOT))) {
            throw new ConfigException("inter.broker.listener.name", in.interBrokerName(), "the controller listener "
                    + "cannot carry traffic between brokers");
        }
        return new ListenerSettings(brokerListeners, controllerListener, interBroker, protocols, controllerNames);
    }

    /** The listeners the Kafka-protocol server binds, in the order given; empty on a controller-only node. */
    public List<Listener> brokerListeners() {
        return brokerListeners;
    }

    /** The listener the controller quorum's transport uses, or null (not a controller, or none named). */
    public Listener controllerListener() {
        return controllerListener;
    }

    /** The broker listener brokers reach each other on, or null on a controller-only node. */
    public Listener interBrokerListener() {
        return interBrokerListener;
    }

    /** The effective listener name to security protocol map. */
    public Map<String, SecurityProtocol> securityProtocols() {
        return protocols;
    }

    /** The names in {@code controller.listener.names}, upper case. */
    public List<String> controllerNames() {
        return controllerNames;
    }

    private static Map<String, SecurityProtocol> protocolMap(String configured, List<String> controllerNames) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        String value = configured == null ? DEFAULT_PROTOCOL_MAP : configured;
        for (String raw : value.split(",")) {
            String pair = raw.trim();
            if (pair.isEmpty()) {
                continue;
            }
            int colon = pair.indexOf(':');
            String name = colon < 0 ? "" : pair.substring(0, colon).trim().toUpperCase(Locale.ROOT);
            String protocol = colon < 0 ? "" : pair.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new ConfigException("listener.security.protocol.map", value, "'" + pair + "' is not "
                        + "NAME:PROTOCOL");
            }
            try {
                if (map.put(name, SecurityProtocol.forName(protocol)) != null) {
                    throw new ConfigException("listener.security.protocol.map", value, "the listener " + name
                            + " is mapped twice");
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("listener.security.protocol.map", value, "'" + protocol + "' is not a "
                        + "security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)");
            }
        }
        if (configured == null) { // as Kafka: controller listeners are PLAINTEXT unless the map says otherwise
            controllerNames.forEach(name -> map.putIfAbsent(name, SecurityProtocol.PLAINTEXT));
        }
        return map;
    }

    private static Map<String, Endpoint> endpoints(String key, String value) {
        Map<String, Endpoint> endpoints = new LinkedHashMap<>();
        for (String raw : value.split(",")) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue;
            }
            Endpoint e = Endpoint.parse(key, spec);
            if (endpoints.putIfAbsent(e.name(), e) != null) {
                throw new ConfigException(key, value, "the listener name " + e.name() + " is used twice; each "
                        + "listener needs a name of its own");
            }
        }
        return endpoints;
    }

    private static String bindHost(Endpoint e) {
        return e.host().isEmpty() ? "0.0.0.0" : e.host();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** One NAME://host:port entry. */
    private record Endpoint(String name, String host, int port) {
        static Endpoint parse(String key, String spec) {
            int sep = spec.indexOf("://");
            int colon = spec.lastIndexOf(':');
            if (sep <= 0 || colon <= sep) {
                throw new ConfigException(key, spec, "expected NAME://host:port");
            }
            String host = spec.substring(sep + 3, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                int port = Integer.parseInt(spec.substring(colon + 1));
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return new Endpoint(spec.substring(0, sep).toUpperCase(Locale.ROOT), host, port);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, spec, "the port must be a number from 0 to 65535");
            }
        }
    }
}
