package io.brook.server.network.tls;

import io.brook.server.config.TlsSettings;
import io.brook.server.security.AuditLog;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The TLS side of one listener (SSL, or SASL_SSL under its SASL layer): its server context, the principal
 * mapping of client certificates and the handshake limit. {@link #install} puts the TLS handlers at the front
 * of a new connection's pipeline. {@link TlsListeners#alter} swaps in a new context (new certificates) for connections
 * accepted from then on; open connections keep theirs.
 *
 * <p>Thread-safety: the context is a volatile reference, read on event loops and replaced by one writer.
 */
public final class TlsListener {
    /** Pipeline names of the TLS handlers, in this order, after which the Kafka framing comes. */
    public static final String SSL_HANDLER = "tls";
    public static final String PRINCIPAL_HANDLER = "tls-principal";

    private final String listenerName;
    private final SecurityProtocol protocol;
    private volatile Built built;

    /** A context with what it was built from. */
    record Built(TlsSettings settings, SslContext context, SslPrincipalMapper mapper) {
    }

    private TlsListener(String listenerName, SecurityProtocol protocol, Built built) {
        this.listenerName = listenerName;
        this.protocol = protocol;
        this.built = built;
    }

    /** Loads the listener's key and trust material; a {@link ConfigException} says in one line what is wrong. */
    public static TlsListener create(TlsSettings settings, SecurityProtocol protocol) {
        return new TlsListener(settings.listenerName(), protocol, build(settings));
    }

    /** Builds a context (reads the files: not on an event loop); a {@link ConfigException} says what is wrong. */
    static Built build(TlsSettings settings) {
        SslPrincipalMapper mapper;
        try {
            mapper = SslPrincipalMapper.parse(settings.principalMappingRules());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(TlsSettings.PRINCIPAL_MAPPING_RULES, settings.principalMappingRules(),
                    e.getMessage());
        }
        return new Built(settings, TlsContextFactory.build(settings), mapper);
    }

    /** Uses a context built by {@link #build} for connections accepted from now on (new certificates, say). */
    void use(Built next) {
        built = next;
    }

    /** The settings the current context was built from. */
    public TlsSettings settings() {
        return built.settings();
    }

    public String listenerName() {
        return listenerName;
    }

    /** SSL or SASL_SSL. */
    public SecurityProtocol securityProtocol() {
        return protocol;
    }

    /**
     * Adds the TLS handlers after the handler named {@code after} in a new connection's pipeline; a failed handshake
     * is audited on {@code audit} (null: the server log).
     */
    public void install(Channel channel, String after, AuditLog audit) {
        Built current = built;
        SslHandler ssl = current.context().newHandler(channel.alloc());
        ssl.setHandshakeTimeoutMillis(current.settings().handshakeTimeoutMs());
        channel.pipeline().addAfter(after, SSL_HANDLER, ssl)
                .addAfter(SSL_HANDLER, PRINCIPAL_HANDLER, new TlsPrincipalHandler(listenerName, current.mapper(),
                        current.settings().handshakeTimeoutMs(), audit));
    }

    @Override
    public String toString() {
        return listenerName + " (" + protocol + ", " + TlsContextFactory.provider() + " engine, "
                + String.join(",", built.settings().enabledProtocols()) + ", ssl.client.auth="
                + built.settings().clientAuth().name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
