package io.brook.server.network;

import io.brook.server.security.sasl.SaslAuthenticator;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.util.function.Supplier;

/**
 * What a SASL listener asks of its connections: a fresh {@link SaslAuthenticator} each, the largest request
 * before authentication ({@code sasl.server.max.receive.size}), how long an exchange may take before the
 * connection is closed ({@code brook.sasl.authentication.timeout.ms}) and how long a failure's answer is held
 * back ({@code connection.failed.authentication.delay.ms}) and the session lifetime ({@code connections.max.reauth.ms},
 * 0: sessions do not expire). Immutable.
 */
public record SaslListener(SecurityProtocol protocol, Supplier<SaslAuthenticator> authenticators, int maxReceiveBytes,
                           long authenticationTimeoutMs, long failedAuthenticationDelayMs,
                           long reauthenticationMs) {
}
