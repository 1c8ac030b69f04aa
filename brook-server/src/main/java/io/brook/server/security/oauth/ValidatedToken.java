package io.brook.server.security.oauth;

import java.util.Set;

/**
 * What an accepted bearer token says: whose it is, until when it is valid, and its scope.
 *
 * @param principal   the principal's name (the {@code sub} claim or the one configured)
 * @param expiresAtMs the token's {@code exp}, milliseconds since the epoch
 * @param scope       the token's scope (empty when it has none)
 */
public record ValidatedToken(String principal, long expiresAtMs, Set<String> scope) {
    public ValidatedToken {
        scope = Set.copyOf(scope);
    }
}
