package io.brook.server.security.oauth;

import java.util.Set;

/**
 * Kafka's default OAUTHBEARER validation, for development: an unsecured JWS ({@code "alg":"none"}, no
 * signature) is accepted when its claims are consistent. Its options are those of Kafka's unsecured validator, in
 * the listener's JAAS configuration: {@code unsecuredValidatorPrincipalClaimName} (default {@code sub}),
 * {@code unsecuredValidatorScopeClaimName} (default {@code scope}), {@code unsecuredValidatorRequiredScope}
 * (space-separated, default none) and {@code unsecuredValidatorAllowableClockSkewMs} (default 0). Anyone can mint
 * such a token: never use it where authentication matters. Pure; immutable.
 */
public final class UnsecuredTokenValidator implements TokenValidator {
    private final String principalClaim;
    private final String scopeClaim;
    private final Set<String> requiredScope;
    private final long clockSkewMs;

    public UnsecuredTokenValidator(String principalClaim, String scopeClaim, Set<String> requiredScope,
                                   long clockSkewMs) {
        this.principalClaim = principalClaim;
        this.scopeClaim = scopeClaim;
        this.requiredScope = Set.copyOf(requiredScope);
        this.clockSkewMs = clockSkewMs;
    }

    @Override
    public ValidatedToken validate(String token, long nowMs) throws InvalidTokenException {
        Jwt jwt = Jwt.parse(token);
        if (!"none".equals(jwt.algorithm())) {
            throw new InvalidTokenException("the listener accepts unsecured tokens (alg none) only, not alg "
                    + jwt.algorithm() + "; configure the listener's OAuthBearerValidatorCallbackHandler to verify "
                    + "signed tokens");
        }
        if (jwt.signature().length > 0) {
            throw new InvalidTokenException("an unsecured token (alg none) must have an empty signature");
        }
        ValidatedToken validated = jwt.checkClaims(principalClaim, scopeClaim, clockSkewMs, nowMs);
        if (!validated.scope().containsAll(requiredScope)) {
            throw new InvalidTokenException("the token's scope " + validated.scope() + " lacks the required scope "
                    + requiredScope);
        }
        return validated;
    }
}
