package io.brook.server.security.sasl;

import io.brook.metadata.scram.ScramCredential;
import io.brook.metadata.scram.ScramFunctions;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.common.errors.SaslAuthenticationException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The server side of SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka clients speak it:
 * <ol>
 *   <li>client-first {@code gs2-header n=user,r=cnonce}: the user's credential is looked up; the answer is
 *       server-first {@code r=cnonce+snonce,s=salt,i=iterations};</li>
 *   <li>client-final {@code c=base64(gs2-header),r=nonce,p=proof}: the channel binding and nonce must be the
 *       ones agreed, and {@code H(proof XOR HMAC(StoredKey, AuthMessage))} must equal StoredKey; the answer
 *       is server-final {@code v=HMAC(ServerKey, AuthMessage)}, which proves the server knows the credential.</li>
 * </ol>
 * Channel binding is not offered (gs2 flag {@code p} is refused, {@code n} and {@code y} accepted). Every
 * failure is a {@link SaslAuthenticationException}; a wrong password and an unknown user give the same
 * message, as in Kafka.
 *
 * <p>Pure apart from the nonce supplier: credentials come from a lookup (the metadata image's), so tests drive
 * it with RFC test vectors. Not thread-safe (one connection, one token at a time).
 */
public final class ScramServer implements SaslMechanismServer {
    static final String INVALID = "Authentication failed: Invalid user credentials";

    private enum State { FIRST, FINAL, COMPLETE, FAILED }

    private final ScramMechanism mechanism;
    private final BiFunction<String, ScramMechanism, ScramCredential> credentials;
    private final Supplier<String> nonces;
    private State state = State.FIRST;
    private String user;
    /** The user name of the client-first message, before it is checked. */
    private String claimed;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private ScramCredential credential;

    /**
     * @param credentials the stored credential of a user for a mechanism, or null when it has none
     * @param nonces      the server's part of each nonce (printable, no comma)
     */
    public ScramServer(ScramMechanism mechanism, BiFunction<String, ScramMechanism, ScramCredential> credentials,
                       Supplier<String> nonces) {
        if (!ScramFunctions.supported(mechanism)) {
            throw new IllegalArgumentException("not a SCRAM mechanism Brook serves: " + mechanism);
        }
        this.mechanism = mechanism;
        this.credentials = credentials;
        this.nonces = nonces;
    }

    @Override
    public String mechanism() {
        return mechanism.mechanismName();
    }

    @Override
    public byte[] evaluate(byte[] token) {
        try {
            return switch (state) {
                case FIRST -> clientFirst(new String(token, StandardCharsets.UTF_8));
                case FINAL -> clientFinal(new String(token, StandardCharsets.UTF_8));
                default -> throw new SaslAuthenticationException("Authentication failed: the SCRAM exchange is over");
            };
        } catch (SaslAuthenticationException e) {
            state = State.FAILED;
            throw e;
        } catch (RuntimeException e) { // a malformed base64 field, say
            state = State.FAILED;
            throw new SaslAuthenticationException("Authentication failed: malformed SCRAM message (" + e.getMessage()
                    + ")");
        }
    }

    private byte[] clientFirst(String message) {
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        int firstComma = message.indexOf(',');
        int secondComma = firstComma < 0 ? -1 : message.indexOf(',', firstComma + 1);
        if (secondComma < 0) {
            throw malformed("client-first message without a gs2 header");
        }
        String flag = message.substring(0, firstComma);
        if (flag.startsWith("p=")) {
            throw new SaslAuthenticationException("Authentication failed: SCRAM channel binding is not supported");
        }
        if (!flag.equals("n") && !flag.equals("y")) {
            throw malformed("unknown gs2 channel-binding flag '" + flag + "'");
        }
        String authzid = message.substring(firstComma + 1, secondComma);
        gs2Header = message.substring(0, secondComma + 1);
        clientFirstBare = message.substring(secondComma + 1);
        String[] fields = clientFirstBare.split(",", -1);
        if (fields.length < 2 || !fields[0].startsWith("n=") || !fields[1].startsWith("r=")) {
            throw malformed("client-first message must start n=user,r=nonce");
        }
        if (fields[0].length() <= 2 || fields[1].length() <= 2) {
            throw malformed("empty user name or nonce");
        }
        String username = saslName(fields[0].substring(2));
        claimed = username;
        if (!authzid.isEmpty() && !(authzid.startsWith("a=") && saslName(authzid.substring(2)).equals(username))) {
            throw new SaslAuthenticationException("Authentication failed: Client requested an authorization id "
                    + "that is different from username");
        }
        credential = credentials.apply(username, mechanism);
        if (credential == null) {
            throw new SaslAuthenticationException(INVALID);
        }
        user = username;
        nonce = fields[1].substring(2) + nonces.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt()) + ",i="
                + credential.iterations();
        state = State.FINAL;
        return serverFirst.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] clientFinal(String message) {
        int proofAt = message.lastIndexOf(",p=");
        if (proofAt < 0) {
            throw malformed("client-final message without a proof");
        }
        String withoutProof = message.substring(0, proofAt);
        String[] fields = withoutProof.split(",", -1);
        if (fields.length < 2 || !fields[0].startsWith("c=") || !fields[1].startsWith("r=")) {
            throw malformed("client-final message must start c=binding,r=nonce");
        }
        byte[] binding = Base64.getDecoder().decode(fields[0].substring(2));
        if (!MessageDigest.isEqual(binding, gs2Header.getBytes(StandardCharsets.UTF_8))) {
            throw new SaslAuthenticationException("Authentication failed: the channel binding does not match the "
                    + "client-first message");
        }
        // as Kafka's server: the nonce must end with the one agreed (librdkafka 2.0 sends its own part twice)
        if (!fields[1].substring(2).endsWith(nonce)) {
            throw new SaslAuthenticationException("Authentication failed: the nonce does not match");
        }
        byte[] proof = Base64.getDecoder().decode(message.substring(proofAt + 3));
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof)
                .getBytes(StandardCharsets.UTF_8);
        byte[] clientSignature = ScramFunctions.hmac(mechanism, credential.storedKey(), authMessage);
        if (proof.length != clientSignature.length) {
            throw new SaslAuthenticationException(INVALID);
        }
        byte[] clientKey = ScramFunctions.xor(proof, clientSignature);
        if (!MessageDigest.isEqual(ScramFunctions.hash(mechanism, clientKey), credential.storedKey())) {
            throw new SaslAuthenticationException(INVALID);
        }
        byte[] serverSignature = ScramFunctions.hmac(mechanism, credential.serverKey(), authMessage);
        state = State.COMPLETE;
        return ("v=" + Base64.getEncoder().encodeToString(serverSignature)).getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 5802 saslname: "=2C" is a comma, "=3D" an equals sign, any other "=" is malformed. */
    private static String saslName(String encoded) {
        StringBuilder out = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '=') {
                String escape = encoded.substring(i, Math.min(i + 3, encoded.length()));
                if (escape.equals("=2C")) {
                    out.append(',');
                } else if (escape.equals("=3D")) {
                    out.append('=');
                } else {
                    throw malformed("invalid escape in user name");
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static SaslAuthenticationException malformed(String what) {
        return new SaslAuthenticationException("Authentication failed: malformed SCRAM message: " + what);
    }

    @Override
    public boolean isComplete() {
        return state == State.COMPLETE;
    }

    @Override
    public String claimedUser() {
        return claimed;
    }

    @Override
    public String user() {
        if (state != State.COMPLETE) {
            throw new IllegalStateException("the SCRAM exchange is not complete");
        }
        return user;
    }
}
