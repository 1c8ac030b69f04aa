package io.brook.server.api;

import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.net.InetAddress;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Who sent a request and how: its header, the client's address, the software it reported in
 * ApiVersions (empty until then) and the listener it came in on (Kafka answers with that listener's
 * advertised addresses), the listener's security protocol and the principal the connection
 * authenticated as ({@link KafkaPrincipal#ANONYMOUS} on a PLAINTEXT listener), and the time the request holds a
 * request-handler thread ({@link RequestThreadTime}, the one part that changes), and the network thread (event loop)
 * the request is being handled on when a handler took it there ({@link ApiHandler#handlesOnNetworkThread}; null on
 * a request-handler thread): work it schedules there runs on that thread, with no hand-off.
 * Thread-safety: immutable but for the thread time, which is thread-safe.
 */
public record RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                             String clientSoftwareName, String clientSoftwareVersion, String listenerName,
                             SecurityProtocol securityProtocol, KafkaPrincipal principal, RequestThreadTime threadTime,
                             ScheduledExecutorService networkThread) {

    /** A context handled on a request-handler thread. */
    public RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                          String clientSoftwareName, String clientSoftwareVersion, String listenerName,
                          SecurityProtocol securityProtocol, KafkaPrincipal principal, RequestThreadTime threadTime) {
        this(header, clientAddress, connectionId, clientSoftwareName, clientSoftwareVersion, listenerName,
                securityProtocol, principal, threadTime, null);
    }

    /** A context whose thread time is not measured (handlers called directly, as in tests). */
    public RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                          String clientSoftwareName, String clientSoftwareVersion, String listenerName,
                          SecurityProtocol securityProtocol, KafkaPrincipal principal) {
        this(header, clientAddress, connectionId, clientSoftwareName, clientSoftwareVersion, listenerName,
                securityProtocol, principal, new RequestThreadTime());
    }

    /** The same request, handled on {@code eventLoop}, the network thread running this call. */
    public RequestContext onNetworkThread(ScheduledExecutorService eventLoop) {
        return new RequestContext(header, clientAddress, connectionId, clientSoftwareName, clientSoftwareVersion,
                listenerName, securityProtocol, principal, threadTime, eventLoop);
    }

    public short apiVersion() {
        return header.apiVersion();
    }

    public String clientId() {
        return header.clientId();
    }
}
