package io.brook.server.security.sasl;

import io.brook.metadata.image.MetadataImage;
import io.brook.server.config.SaslSettings;
import org.apache.kafka.clients.admin.ScramMechanism;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The mechanism servers of one SASL listener: PLAIN against the listener's JAAS users, SCRAM against the
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

    /** @param reauthenticationMs {@code connections.max.reauth.ms} (0: sessions do not expire) */
    public SaslServers(SaslSettings settings, Supplier<MetadataImage> image, long reauthenticationMs) {
        this.settings = settings;
        this.image = image;
        this.reauthenticationMs = reauthenticationMs;
    }

    /** A new authenticator for one connection of the listener. */
    public SaslAuthenticator newAuthenticator() {
        return new SaslAuthenticator(settings.mechanisms(), this::server, reauthenticationMs);
    }

    private SaslMechanismServer server(String mechanism) {
        if (mechanism.equals(PlainServer.MECHANISM)) {
            return new PlainServer(settings.plainUsers());
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
