package io.brook.server.api;

import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.net.InetAddress;

/**
 * Who sent a request and how: its header, the client's address, the software it reported in
 * ApiVersions (empty until then) and the listener it came in on (Kafka answers with that listener's
 * advertised addresses), the listener's security protocol and the principal the connection
 * authenticated as ({@link KafkaPrincipal#ANONYMOUS} on a PLAINTEXT listener), and the time the request holds a
 * request-handler thread ({@link RequestThreadTime}, the one part that changes). Thread-safety: immutable but for
 * that part, which is thread-safe.
 */
public record RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                             String clientSoftwareName, String clientSoftwareVersion, String listenerName,
                             SecurityProtocol securityProtocol, KafkaPrincipal principal, RequestThreadTime threadTime) {

    /** A context whose thread time is not measured (handlers called directly, as in tests). */
    public RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                          String clientSoftwareName, String clientSoftwareVersion, String listenerName,
                          SecurityProtocol securityProtocol, KafkaPrincipal principal) {
        this(header, clientAddress, connectionId, clientSoftwareName, clientSoftwareVersion, listenerName,
                securityProtocol, principal, new RequestThreadTime());
    }

    public short apiVersion() {
        return header.apiVersion();
    }

    public String clientId() {
        return header.clientId();
    }
}
