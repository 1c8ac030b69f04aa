package io.brook.server.api;

import org.apache.kafka.common.requests.RequestHeader;

import java.net.InetAddress;

/**
 * Who sent a request and how: its header, the client's address, the software it reported in
 * ApiVersions (empty until then) and the listener it came in on (Kafka answers with that listener's
 * advertised addresses). Immutable.
 */
public record RequestContext(RequestHeader header, InetAddress clientAddress, String connectionId,
                             String clientSoftwareName, String clientSoftwareVersion, String listenerName) {

    public short apiVersion() {
        return header.apiVersion();
    }

    public String clientId() {
        return header.clientId();
    }
}
