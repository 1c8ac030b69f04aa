package io.brook.server.security.sasl;

import io.brook.metadata.image.MetadataImage;
import io.brook.server.config.OAuthBearerSettings;
import io.brook.server.config.SaslSettings;
import io.brook.server.security.oauth.JwksEndpoint;
import io.brook.server.security.oauth.JwksTokenValidator;
import io.brook.server.security.oauth.TokenValidator;
import io.brook.server.security.oauth.UnsecuredTokenValidator;
import org.apache.kafka.clients.admin.ScramMechanism;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The mechanism servers of one SASL listener: PLAIN against the listener's JAAS users, OAUTHBEARER against its
 * token validator, SCRAM against the
 * credentials of the current metadata image (so a credential added by AlterUserScramCredentials works for
 * the next connection, and a deleted one stops working).
 *
 * <p>Thread-safety: safe; each connection gets its own servers, {@link SecureRandom} is thread-safe.
 */
public final class SaslServers {
    /** Random bytes in the server's part of a SCRAM nonce. */
    private static final int NONCE_BYTES = 24;

    private final SaslSettings settings;
    private final Supplier<MetadataImage> image;
    private final SecureRandom random = new SecureRandom();

    private final long reauthenticationMs;
    /** The listener's OAUTHBEARER token validator; null when OAUTHBEARER is not enabled. */
    private final TokenValidator tokens;

    /**
     * @param reauthenticationMs {@code connections.max.reauth.ms} (0: sessions do not expire)
     * @throws IOException when OAUTHBEARER validates signed tokens and its key set cannot be read
     */
    public SaslServers(SaslSettings settings, Supplier<MetadataImage> image, long reauthenticationMs)
            throws IOException {
        this.settings = settings;
        this.image = image;
        this.reauthenticationMs = reauthenticationMs;
        this.tokens = settings.oauthBearer() == null ? null : tokenValidator(settings.oauthBearer());
    }

    private static TokenValidator tokenValidator(OAuthBearerSettings oauth) throws IOException {
        if (!oauth.secured()) {
            return new UnsecuredTokenValidator(oauth.principalClaim(), oauth.scopeClaim(), oauth.requiredScope(),
                    oauth.clockSkewMs());
        }
        JwksEndpoint endpoint;
        try {
            endpoint = new JwksEndpoint(oauth.jwksUrl());
        } catch (IllegalArgumentException e) {
            throw new IOException(OAuthBearerSettings.JWKS_URL + ": " + e.getMessage(), e);
        }
        try {
            return new JwksTokenValidator(endpoint, endpoint.toString(), new JwksTokenValidator.Expectations(
                    oauth.audience(), oauth.issuer(), oauth.principalClaim(), oauth.scopeClaim(), oauth.clockSkewMs()),
                    oauth.refreshMs(), System.currentTimeMillis());
        } catch (IOException e) {
            throw new IOException("the OAUTHBEARER key set could not be read (" + OAuthBearerSettings.JWKS_URL + "): "
                    + e.getMessage(), e);
        }
    }

    /** A new authenticator for one connection of the listener. */
    public SaslAuthenticator newAuthenticator() {
        return new SaslAuthenticator(settings.mechanisms(), this::server, reauthenticationMs);
    }

    private SaslMechanismServer server(String mechanism) {
        if (mechanism.equals(PlainServer.MECHANISM)) {
            return new PlainServer(settings.plainUsers());
        }
        if (mechanism.equals(OAuthBearerServer.MECHANISM)) {
            return new OAuthBearerServer(tokens, System::currentTimeMillis);
        }
        ScramMechanism scram = ScramMechanism.fromMechanismName(mechanism);
        return new ScramServer(scram, (user, m) -> image.get().scram().credential(user, m), this::nonce);
    }

    private String nonce() {
        byte[] bytes = new byte[NONCE_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
