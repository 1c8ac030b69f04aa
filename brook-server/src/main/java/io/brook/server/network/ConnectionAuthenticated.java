package io.brook.server.network;

import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * A pipeline user event: the connection is now {@code principal} (fired by the TLS layer once its handshake has
 * identified the client; {@link KafkaChannelHandler} gives it to every later request's context). Immutable.
 */
public record ConnectionAuthenticated(KafkaPrincipal principal) {
}
