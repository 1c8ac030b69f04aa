package io.brook.server.network.tls;

import io.brook.server.config.BrokerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The TLS layers of a node's listeners that use TLS (SSL and SASL_SSL), by listener name. Built at start-up,
 * before anything is written, so a missing key store or a wrong password stops the start with one line.
 * Immutable map; each {@link TlsListener} may be reloaded.
 */
public final class TlsListeners {
    private static final Logger log = LoggerFactory.getLogger(TlsListeners.class);

    private final Map<String, TlsListener> byName;

    private TlsListeners(Map<String, TlsListener> byName) {
        this.byName = Collections.unmodifiableMap(byName);
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
        return new TlsListeners(byName);
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
