package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The connection limits of a node under Kafka's names, beyond {@code max.connections} and
 * {@code max.connections.per.ip}: {@code max.connection.creation.rate} (KIP-402), its per-listener form
 * {@code listener.name.<listener>.max.connection.creation.rate}, {@code listener.name.<listener>.max.connections},
 * and {@code max.connections.per.ip.overrides} ({@code host:count,host:count}, a host a name or an address; names
 * are resolved when the node starts, as Kafka does). A bad value stops start-up with a {@link ConfigException}. Pure;
 * immutable.
 *
 * @param maxConnectionCreationRate  connections per second the node accepts (Integer.MAX_VALUE: no limit)
 * @param listenerRates              per broker listener name with one: its connection creation rate
 * @param listenerMaxConnections     per broker listener name with one: its most connections at once
 * @param maxConnectionsPerIpOverrides per host: its most connections at once, in the order given
 */
public record ConnectionLimitSettings(int maxConnectionCreationRate, Map<String, Integer> listenerRates,
                                      Map<String, Integer> listenerMaxConnections,
                                      Map<String, Integer> maxConnectionsPerIpOverrides) {
    public static final String MAX_CONNECTION_CREATION_RATE = "max.connection.creation.rate";
    public static final String MAX_CONNECTIONS = "max.connections";
    public static final String MAX_CONNECTIONS_PER_IP = "max.connections.per.ip";
    public static final String MAX_CONNECTIONS_PER_IP_OVERRIDES = "max.connections.per.ip.overrides";

    /** The per-listener settings this class reads: {@code listener.name.<listener>.<one of these>}. */
    public static final List<String> PER_LISTENER = List.of(MAX_CONNECTIONS, MAX_CONNECTION_CREATION_RATE);

    public ConnectionLimitSettings {
        listenerRates = Map.copyOf(listenerRates);
        listenerMaxConnections = Map.copyOf(listenerMaxConnections);
        maxConnectionsPerIpOverrides = java.util.Collections.unmodifiableMap(
                new LinkedHashMap<>(maxConnectionsPerIpOverrides));
    }

    /**
     * The settings in {@code originals} for the broker listeners {@code listeners}, given the node-wide
     * {@code max.connection.creation.rate} and {@code max.connections.per.ip} already parsed.
     */
    public static ConnectionLimitSettings parse(Map<String, String> originals, List<String> listeners,
                                                int maxConnectionCreationRate, int maxConnectionsPerIp) {
        Map<String, Integer> rates = new LinkedHashMap<>();
        Map<String, Integer> maxConnections = new LinkedHashMap<>();
        for (String listener : listeners) {
            String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
            Integer rate = nonNegativeInt(originals, prefix + MAX_CONNECTION_CREATION_RATE);
            if (rate != null) {
                rates.put(listener, rate);
            }
            Integer max = nonNegativeInt(originals, prefix + MAX_CONNECTIONS);
            if (max != null) {
                maxConnections.put(listener, max);
            }
        }
        Map<String, Integer> overrides = overrides(originals.getOrDefault(MAX_CONNECTIONS_PER_IP_OVERRIDES, ""));
        if (maxConnectionsPerIp == 0 && overrides.isEmpty()) {
            throw new ConfigException(MAX_CONNECTIONS_PER_IP, 0, "can be set to zero only if "
                    + MAX_CONNECTIONS_PER_IP_OVERRIDES + " is set");
        }
        return new ConnectionLimitSettings(maxConnectionCreationRate, rates, maxConnections, overrides);
    }

    private static Integer nonNegativeInt(Map<String, String> originals, String key) {
        String value = originals.get(key);
        if (value == null) {
            return null;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ConfigException(key, value, "must be a whole number from 0 to " + Integer.MAX_VALUE);
    }

    /** {@code host:count,...}; the count follows the last colon, so an IPv6 address may be the host. */
    private static Map<String, Integer> overrides(String value) {
        Map<String, Integer> overrides = new LinkedHashMap<>();
        for (String raw : value.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.lastIndexOf(':');
            String host = colon < 0 ? "" : entry.substring(0, colon).trim();
            Integer count = null;
            try {
                count = colon < 0 ? null : Integer.parseInt(entry.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                // refused below
            }
            if (host.isEmpty() || count == null || count < 0) {
                throw new ConfigException(MAX_CONNECTIONS_PER_IP_OVERRIDES, value, "each entry is host:count with "
                        + "a count of 0 or more, for example 127.0.0.1:200,clients.example.com:100 (" + entry + ")");
            }
            if (overrides.put(host, count) != null) {
                throw new ConfigException(MAX_CONNECTIONS_PER_IP_OVERRIDES, value, host + " is given twice");
            }
        }
        return overrides;
    }
}
