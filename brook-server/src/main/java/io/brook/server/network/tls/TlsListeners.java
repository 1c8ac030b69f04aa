package io.brook.server.network.tls;

import io.brook.server.config.BrokerConfig;
import io.brook.server.config.TlsSettings;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TLS layers of a node's listeners that use TLS (SSL and SASL_SSL), by listener name. Built at start-up,
 * before anything is written, so a missing key store or a wrong password stops the start with one line.
 * Their key and trust material can be replaced at run time ({@link #alter}). Thread-safety: the listener map is
 * immutable; changes are serialized on this object, each listener's context is a volatile swap.
 */
public final class TlsListeners {
    private static final Logger log = LoggerFactory.getLogger(TlsListeners.class);

    /** The settings a listener's certificates may be replaced with at run time, as Kafka allows. */
    private static final List<String> RELOADABLE = List.of(TlsSettings.KEYSTORE_TYPE, TlsSettings.KEYSTORE_LOCATION,
            TlsSettings.KEYSTORE_PASSWORD, TlsSettings.KEY_PASSWORD, TlsSettings.KEYSTORE_CERTIFICATE_CHAIN,
            TlsSettings.KEYSTORE_KEY, TlsSettings.TRUSTSTORE_TYPE, TlsSettings.TRUSTSTORE_LOCATION,
            TlsSettings.TRUSTSTORE_PASSWORD, TlsSettings.TRUSTSTORE_CERTIFICATES);

    private final Map<String, TlsListener> byName;
    private final Map<String, String> startSettings;
    /** The listener TLS settings changed at run time (kafka-configs); guarded by this. Not kept across a restart. */
    private final Map<String, String> dynamic = new HashMap<>();

    private TlsListeners(Map<String, TlsListener> byName, Map<String, String> startSettings) {
        this.byName = Collections.unmodifiableMap(byName);
        this.startSettings = Map.copyOf(startSettings);
    }

    /** Whether {@code name} is a setting {@link #alter} takes: {@code listener.name.<tls listener>.ssl.keystore...}. */
    public boolean isReloadable(String name) {
        return byName.keySet().stream().anyMatch(listener -> name.startsWith(TlsSettings.listenerPrefix(listener))
                && RELOADABLE.contains(name.substring(TlsSettings.listenerPrefix(listener).length())));
    }

    /**
     * Applies a broker config change (kafka-configs --alter --entity-type brokers): each setting names a TLS
     * listener's key or trust material ({@link #isReloadable}); a null value removes a run-time value. Every
     * affected listener's new context is built first (reading its files: not on an event loop); if one fails,
     * nothing changes and the {@link ConfigException} says why. Connections accepted afterwards use the new
     * certificates; open ones keep theirs. With {@code validateOnly} only the check is made.
     */
    public synchronized void alter(Map<String, String> changes, boolean validateOnly) {
        Map<String, String> nextDynamic = new HashMap<>(dynamic);
        changes.forEach((key, value) -> {
            if (!isReloadable(key)) {
                throw new ConfigException(key + " cannot be changed at run time; the TLS settings that can are "
                        + "listener.name.<listener>." + String.join("|", RELOADABLE));
            }
            if (value == null) {
                nextDynamic.remove(key);
            } else {
                nextDynamic.put(key, value);
            }
        });
        Map<String, String> merged = new HashMap<>(startSettings);
        merged.putAll(nextDynamic);
        Map<String, TlsListener.Built> rebuilt = new LinkedHashMap<>();
        for (TlsListener listener : byName.values()) {
            String prefix = TlsSettings.listenerPrefix(listener.listenerName());
            if (changes.keySet().stream().anyMatch(key -> key.startsWith(prefix))) {
                rebuilt.put(listener.listenerName(), TlsListener.build(TlsSettings.resolve(merged,
                        listener.listenerName())));
            }
        }
        if (validateOnly) {
            return;
        }
        rebuilt.forEach((name, built) -> {
            byName.get(name).use(built);
            log.info("Listener {}: new TLS key and trust material in use for new connections ({})", name,
                    String.join(", ", changes.keySet()));
        });
        dynamic.clear();
        dynamic.putAll(nextDynamic);
    }

    /** Loads the key and trust material of every TLS broker listener of {@code config}. */
    public static TlsListeners create(BrokerConfig config) {
        Map<String, TlsListener> byName = new LinkedHashMap<>();
        for (BrokerConfig.Listener listener : config.brokerListeners()) {
            if (config.usesTls(listener.name())) {
                TlsListener tls = TlsListener.create(config.tlsSettings(listener.name()),
                        config.securityProtocols().get(listener.name()));
                byName.put(listener.name(), tls);
                log.info("Listener {} serves TLS: {}", listener.name(), tls);
            }
        }
        return new TlsListeners(byName, config.originals());
    }

    /** The listener's TLS layer, or null when it is not a TLS listener. */
    public TlsListener get(String listenerName) {
        return byName.get(listenerName);
    }

    /** Every TLS listener, by name. */
    public Map<String, TlsListener> all() {
        return byName;
    }
}
