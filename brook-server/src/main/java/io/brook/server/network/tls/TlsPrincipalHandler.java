package io.brook.server.network.tls;

import io.brook.server.config.TlsSettings;
import io.brook.server.network.ConnectionAuthenticated;
import io.brook.server.security.AuditLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import java.net.InetSocketAddress;
import java.security.Principal;
import java.util.Optional;

/**
 * Follows a connection's {@link SslHandler}: when the handshake succeeds, names the connection's principal
 * ({@code User:<name>} from the client certificate's subject through {@code ssl.principal.mapping.rules},
 * {@link KafkaPrincipal#ANONYMOUS} when the client presented none) and tells the Kafka handler with a
 * {@link ConnectionAuthenticated} event; when it fails (a plaintext client, an untrusted or missing client
 * certificate, a handshake not finished within {@code brook.ssl.handshake.timeout.ms}) or no mapping rule
 * applies, closes the connection with one line on the security audit log ({@link AuditLog}, mechanism {@code TLS}:
 * rate-limited per client address, as failed SASL logins), or the server log without one. TLS errors stop here:
 * they are this connection's only.
 *
 * <p>Thread-safety: one instance per connection, used on its event loop only.
 */
final class TlsPrincipalHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsPrincipalHandler.class);
    /** What the audit log names as the mechanism of a failed TLS authentication. */
    static final String MECHANISM = "TLS";

    private final String listenerName;
    private final SslPrincipalMapper mapper;
    private final long handshakeTimeoutMs;
    /** Where failed handshakes are audited, or null for the plain server log. */
    private final AuditLog audit;

    TlsPrincipalHandler(String listenerName, SslPrincipalMapper mapper, long handshakeTimeoutMs, AuditLog audit) {
        this.listenerName = listenerName;
        this.mapper = mapper;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        this.audit = audit;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                failed(ctx, null, describe(done.cause()));
                return;
            }
            SSLSession session = ctx.pipeline().get(SslHandler.class).engine().getSession();
            Optional<KafkaPrincipal> principal = principal(session);
            if (principal.isEmpty()) {
                String subject = peerName(session);
                failed(ctx, subject, "no rule of " + TlsSettings.PRINCIPAL_MAPPING_RULES
                        + " applies to its certificate's subject " + subject);
                return;
            }
            log.debug("TLS connection from {} on listener {} ({}, {}) authenticated as {}",
                    ctx.channel().remoteAddress(), listenerName, session.getProtocol(), session.getCipherSuite(),
                    principal.get());
            ctx.fireUserEventTriggered(evt);
            ctx.fireUserEventTriggered(new ConnectionAuthenticated(principal.get()));
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * Audits (or logs) a failed TLS authentication and closes the connection; {@code subject} is the client
     * certificate's, if the handshake got that far.
     */
    private void failed(ChannelHandlerContext ctx, String subject, String reason) {
        if (audit != null && ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            audit.authenticationFailed(listenerName, remote.getAddress().getHostAddress(), remote.getPort(), subject,
                    MECHANISM, reason);
        } else {
            log.info("Closing connection from {} on listener {}: {}", ctx.channel().remoteAddress(), listenerName,
                    reason);
        }
        ctx.close();
    }

    /** {@code User:<mapped subject>}, anonymous without a client certificate, empty when no rule applies. */
    private Optional<KafkaPrincipal> principal(SSLSession session) {
        String subject = peerName(session);
        if (subject == null) {
            return Optional.of(KafkaPrincipal.ANONYMOUS);
        }
        return mapper.map(subject).map(name -> new KafkaPrincipal(KafkaPrincipal.USER_TYPE, name));
    }

    /** The client certificate's subject in RFC 2253 form, or null when the client presented none. */
    private static String peerName(SSLSession session) {
        try {
            Principal peer = session.getPeerPrincipal();
            return peer instanceof X500Principal x500 ? x500.getName() : peer.getName();
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isTlsFailure(cause)) { // the handshake's completion event logs it; after the handshake: a bad record
            log.debug("TLS error on connection from {} on listener {}: {}", ctx.channel().remoteAddress(),
                    listenerName, cause.toString());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private static boolean isTlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException || t instanceof NotSslRecordException) {
                return true;
            }
        }
        return false;
    }

    private String describe(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SslHandshakeTimeoutException) {
                return "its TLS handshake did not finish within " + TlsSettings.HANDSHAKE_TIMEOUT_MS + "="
                        + handshakeTimeoutMs;
            }
            if (t instanceof NotSslRecordException) {
                return "it does not speak TLS (a plaintext client on a TLS listener?)";
            }
        }
        String message = cause == null ? "unknown cause" : cause.getMessage() != null ? cause.getMessage()
                : cause.toString();
        return "its TLS handshake failed: " + message.replace('\n', ' ');
    }
}
