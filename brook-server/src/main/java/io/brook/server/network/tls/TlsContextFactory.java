package io.brook.server.network.tls;

import io.brook.server.config.TlsSettings;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Builds a listener's server-side {@link SslContext} from its {@link TlsSettings}: the key store (JKS, PKCS12,
 * or PEM as a file or inline), the trust store client certificates are checked against (the JDK's default
 * trust when none is set, as Kafka), {@code ssl.client.auth}, the TLS versions and cipher suites. Netty's
 * OpenSSL engine is used when netty-tcnative is on the class path, the JDK's otherwise.
 *
 * <p>Every problem (a missing file, a wrong password, a key store without a key, an unknown cipher) is a
 * {@link ConfigException} with one line naming the listener and the setting, never a password. Reads files:
 * call it at start-up or from a request-handler thread, never on an event loop. Stateless.
 */
public final class TlsContextFactory {
    private TlsContextFactory() {
    }

    /** The engine listeners use: {@code OpenSSL} when netty-tcnative is available, {@code JDK} otherwise. */
    public static SslProvider provider() {
        return io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The server context of the listener, checked by creating one engine from it. */
    public static SslContext build(TlsSettings s) {
        String where = "listener " + s.listenerName() + ": ";
        SslContextBuilder builder = keyMaterial(s, where);
        trustMaterial(builder, s, where);
        builder.sslProvider(provider())
                .clientAuth(switch (s.clientAuth()) {
                    case NONE -> ClientAuth.NONE;
                    case REQUESTED -> ClientAuth.OPTIONAL;
                    case REQUIRED -> ClientAuth.REQUIRE;
                })
                .protocols(s.enabledProtocols());
        if (!s.cipherSuites().isEmpty()) {
            builder.ciphers(s.cipherSuites());
        }
        SslContext context;
        SSLEngine engine;
        try {
            context = builder.build();
            engine = context.newEngine(ByteBufAllocator.DEFAULT);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(where + "cannot set up TLS with this key store and these settings ("
                    + TlsSettings.ENABLED_PROTOCOLS + "="
                    + String.join(",", s.enabledProtocols()) + ", " + TlsSettings.CIPHER_SUITES + "="
                    + String.join(",", s.cipherSuites()) + "): " + message(e));
        }
        try {
            if (engine.getEnabledProtocols().length == 0) {
                throw new ConfigException(where + "none of the TLS versions " + s.enabledProtocols()
                        + " (" + TlsSettings.ENABLED_PROTOCOLS + ") is supported by the " + provider() + " engine");
            }
            if (!s.cipherSuites().isEmpty()) {
                List<String> supported = Arrays.asList(engine.getSupportedCipherSuites());
                List<String> unknown = s.cipherSuites().stream().filter(c -> !supported.contains(c)).toList();
                if (!unknown.isEmpty()) {
                    throw new ConfigException(where + TlsSettings.CIPHER_SUITES + " names cipher suites the "
                            + provider() + " engine does not have: " + String.join(",", unknown));
                }
            }
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
        return context;
    }

    private static SslContextBuilder keyMaterial(TlsSettings s, String where) {
        boolean inline = s.keystoreCertificateChain() != null || s.keystoreKey() != null;
        if (inline) {
            if (!"PEM".equals(s.keystoreType())) {
                throw new ConfigException(where + TlsSettings.KEYSTORE_CERTIFICATE_CHAIN + " and "
                        + TlsSettings.KEYSTORE_KEY + " need " + TlsSettings.KEYSTORE_TYPE + "=PEM (it is "
                        + s.keystoreType() + ")");
            }
            if (s.keystoreCertificateChain() == null || s.keystoreKey() == null) {
                throw new ConfigException(where + "a PEM key store given inline needs both "
                        + TlsSettings.KEYSTORE_CERTIFICATE_CHAIN + " and " + TlsSettings.KEYSTORE_KEY);
            }
            if (s.keystoreLocation() != null) {
                throw new ConfigException(where + "give the key store either inline (" + TlsSettings.KEYSTORE_KEY
                        + ") or as a file (" + TlsSettings.KEYSTORE_LOCATION + "), not both");
            }
            return pemKey(s.keystoreCertificateChain().value().getBytes(StandardCharsets.UTF_8),
                    s.keystoreKey().value().getBytes(StandardCharsets.UTF_8), s.keyPassword(), where + "the inline "
                            + "PEM key store (" + TlsSettings.KEYSTORE_CERTIFICATE_CHAIN + ", " + TlsSettings.KEYSTORE_KEY
                            + ")");
        }
        if (s.keystoreLocation() == null) {
            throw new ConfigException(where + "an SSL listener needs its certificate and key: set "
                    + TlsSettings.KEYSTORE_LOCATION + " (or " + TlsSettings.listenerPrefix(s.listenerName())
                    + TlsSettings.KEYSTORE_LOCATION + ")");
        }
        Path file = Path.of(s.keystoreLocation());
        byte[] bytes = read(file, TlsSettings.KEYSTORE_LOCATION, where);
        if ("PEM".equals(s.keystoreType())) {
            if (s.keystorePassword() != null) {
                throw new ConfigException(where + TlsSettings.KEYSTORE_PASSWORD + " is not used with a PEM key "
                        + "store; an encrypted key's password is " + TlsSettings.KEY_PASSWORD);
            }
            return pemKey(bytes, bytes, s.keyPassword(), where + "the PEM key store " + file);
        }
        if (s.keystorePassword() == null) {
            throw new ConfigException(where + "the key store " + file + " is given but not its password ("
                    + TlsSettings.KEYSTORE_PASSWORD + ")");
        }
        KeyStore store = load(s.keystoreType(), bytes, s.keystorePassword(), file, TlsSettings.KEYSTORE_TYPE,
                TlsSettings.KEYSTORE_PASSWORD, where);
        try {
            if (Collections.list(store.aliases()).stream().noneMatch(alias -> isKeyEntry(store, alias))) {
                throw new ConfigException(where + "the key store " + file + " holds no private key");
            }
            KeyManagerFactory factory = KeyManagerFactory.getInstance(s.keyManagerAlgorithm());
            Password keyPassword = s.keyPassword() != null ? s.keyPassword() : s.keystorePassword();
            factory.init(store, keyPassword.value().toCharArray());
            return SslContextBuilder.forServer(factory);
        } catch (UnrecoverableKeyException e) {
            throw new ConfigException(where + "the key password (" + (s.keyPassword() != null
                    ? TlsSettings.KEY_PASSWORD : TlsSettings.KEYSTORE_PASSWORD + ", as " + TlsSettings.KEY_PASSWORD
                    + " is not set") + ") is wrong for the key in " + file);
        } catch (GeneralSecurityException e) {
            throw new ConfigException(where + "cannot use the key store " + file + " (" + TlsSettings.KEYMANAGER_ALGORITHM
                    + "=" + s.keyManagerAlgorithm() + "): " + message(e));
        }
    }

    private static boolean isKeyEntry(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static SslContextBuilder pemKey(byte[] chain, byte[] key, Password keyPassword, String what) {
        List<X509Certificate> certificates = certificates(chain, what);
        if (certificates.isEmpty()) {
            throw new ConfigException(what + " holds no certificate (-----BEGIN CERTIFICATE-----)");
        }
        try (InputStream certs = new ByteArrayInputStream(chain); InputStream keyIn = new ByteArrayInputStream(key)) {
            SslContextBuilder builder = SslContextBuilder.forServer(certs, keyIn,
                    keyPassword == null ? null : keyPassword.value());
            return builder;
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(what + ": cannot read the private key (a PKCS#8 PEM key, encrypted with "
                    + TlsSettings.KEY_PASSWORD + " if it has one): " + message(e));
        }
    }

    private static void trustMaterial(SslContextBuilder builder, TlsSettings s, String where) {
        if (s.truststoreCertificates() != null) {
            if (!"PEM".equals(s.truststoreType())) {
                throw new ConfigException(where + TlsSettings.TRUSTSTORE_CERTIFICATES + " needs "
                        + TlsSettings.TRUSTSTORE_TYPE + "=PEM (it is " + s.truststoreType() + ")");
            }
            if (s.truststoreLocation() != null) {
                throw new ConfigException(where + "give the trust store either inline ("
                        + TlsSettings.TRUSTSTORE_CERTIFICATES + ") or as a file (" + TlsSettings.TRUSTSTORE_LOCATION
                        + "), not both");
            }
            builder.trustManager(trusted(s.truststoreCertificates().value().getBytes(StandardCharsets.UTF_8),
                    where + "the inline trust store (" + TlsSettings.TRUSTSTORE_CERTIFICATES + ")"));
            return;
        }
        if (s.truststoreLocation() == null) {
            return; // the JDK's default trust store, as Kafka
        }
        Path file = Path.of(s.truststoreLocation());
        byte[] bytes = read(file, TlsSettings.TRUSTSTORE_LOCATION, where);
        if ("PEM".equals(s.truststoreType())) {
            builder.trustManager(trusted(bytes, where + "the PEM trust store " + file));
            return;
        }
        KeyStore store = load(s.truststoreType(), bytes, s.truststorePassword(), file, TlsSettings.TRUSTSTORE_TYPE,
                TlsSettings.TRUSTSTORE_PASSWORD, where);
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(s.trustManagerAlgorithm());
            factory.init(store);
            builder.trustManager(factory);
        } catch (GeneralSecurityException e) {
            throw new ConfigException(where + "cannot use the trust store " + file + ": " + message(e));
        }
    }

    private static X509Certificate[] trusted(byte[] pem, String what) {
        List<X509Certificate> certificates = certificates(pem, what);
        if (certificates.isEmpty()) {
            throw new ConfigException(what + " holds no certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certificates.toArray(X509Certificate[]::new);
    }

    /** The certificates in PEM text (other blocks, such as a private key, are skipped). */
    private static List<X509Certificate> certificates(byte[] pem, String what) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        List<X509Certificate> certificates = new ArrayList<>();
        String begin = "-----BEGIN CERTIFICATE-----";
        String end = "-----END CERTIFICATE-----";
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (int at = text.indexOf(begin); at >= 0; at = text.indexOf(begin, at + 1)) {
                int stop = text.indexOf(end, at);
                if (stop < 0) {
                    throw new ConfigException(what + " has a certificate without its " + end + " line");
                }
                byte[] block = text.substring(at, stop + end.length()).getBytes(StandardCharsets.US_ASCII);
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block)));
            }
        } catch (CertificateException e) {
            throw new ConfigException(what + " holds a certificate that cannot be read: " + message(e));
        }
        return certificates;
    }

    private static KeyStore load(String type, byte[] bytes, Password password, Path file, String typeKey,
                                 String passwordKey, String where) {
        KeyStore store;
        try {
            store = KeyStore.getInstance(type);
        } catch (GeneralSecurityException e) {
            throw new ConfigException(where + typeKey + "=" + type + " is not a key store type (JKS, PKCS12, PEM)");
        }
        try {
            store.load(new ByteArrayInputStream(bytes), password == null ? null : password.value().toCharArray());
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new ConfigException(where + "the password (" + passwordKey + ") is wrong for " + file);
            }
            throw new ConfigException(where + "cannot read " + file + " as a " + type + " key store (" + typeKey
                    + "): " + message(e));
        } catch (GeneralSecurityException e) {
            throw new ConfigException(where + "cannot read " + file + " as a " + type + " key store (" + typeKey
                    + "): " + message(e));
        }
    }

    private static byte[] read(Path file, String key, String where) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(where + key + "=" + file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(where + key + "=" + file + ": cannot read it (" + message(e) + ")");
        }
    }

    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = e.getMessage() != null ? e.getMessage() : e.toString();
        if (root != e && root.getMessage() != null && !text.contains(root.getMessage())) {
            text += " (" + root.getMessage() + ")";
        }
        return text.replace('\n', ' ');
    }
}
