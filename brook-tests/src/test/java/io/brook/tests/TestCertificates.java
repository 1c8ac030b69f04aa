package io.brook.tests;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away certificate authority and the certificates the TLS tests need, made with the JDK's keytool
 * (and openssl for PEM files), as an operator would: a CA, a server certificate for localhost signed by it
 * (in a PKCS12 key store, a JKS key store and a PEM file) and a client certificate for
 * {@code CN=alice,OU=eng,O=brook} signed by it; trust stores holding the CA in JKS and PEM.
 */
final class TestCertificates {
    static final String STORE_PASSWORD = "store-secret";
    static final String CLIENT_SUBJECT = "CN=alice,OU=eng,O=brook";
    static final String KEY_PASSWORD = "key-secret";

    final File dir;
    final File caPem;
    final File truststoreJks;
    final File serverP12;
    final File serverJks;
    /** The server's PKCS#8 private key and certificate chain in one unencrypted PEM file. */
    final File serverPem;
    /** The same with the key encrypted (PKCS#8, PBES2 with AES-256) with {@link #KEY_PASSWORD}. */
    final File serverEncryptedPem;
    final File clientP12;
    /** The client's key and certificate in PEM (for kcat). */
    final File clientKeyPem;
    final File clientCertPem;

    private TestCertificates(File dir) {
        this.dir = dir;
        this.caPem = new File(dir, "ca.pem");
        this.truststoreJks = new File(dir, "truststore.jks");
        this.serverP12 = new File(dir, "server.p12");
        this.serverJks = new File(dir, "server.jks");
        this.serverPem = new File(dir, "server.pem");
        this.serverEncryptedPem = new File(dir, "server.encrypted.pem");
        this.clientP12 = new File(dir, "client.p12");
        this.clientKeyPem = new File(dir, "client.key.pem");
        this.clientCertPem = new File(dir, "client.cert.pem");
    }

    static TestCertificates create(File dir) throws Exception {
        return create(dir, true);
    }

    /** Another CA with its trust store and a server key store only (a certificate rotation's new material). */
    static TestCertificates createServerOnly(File dir) throws Exception {
        return create(dir, false);
    }

    private static TestCertificates create(File dir, boolean full) throws Exception {
        TestCertificates c = new TestCertificates(dir);
        File caP12 = new File(dir, "ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=brook-test-ca", "-ext", "bc:c", "-validity", "3", "-keystore", caP12.getPath(), "-storetype",
                "PKCS12", "-storepass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caP12.getPath(), "-storepass", STORE_PASSWORD,
                "-file", c.caPem.getPath());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", c.caPem.getPath(), "-keystore",
                c.truststoreJks.getPath(), "-storetype", "JKS", "-storepass", STORE_PASSWORD);
        c.signed(caP12, c.serverP12, "server", "CN=localhost,O=brook", "SAN=dns:localhost,ip:127.0.0.1");
        if (!full) {
            return c;
        }
        c.signed(caP12, c.clientP12, "client", CLIENT_SUBJECT, null);
        keytool("-importkeystore", "-srckeystore", c.serverP12.getPath(), "-srcstoretype", "PKCS12",
                "-srcstorepass", STORE_PASSWORD, "-destkeystore", c.serverJks.getPath(), "-deststoretype", "JKS",
                "-deststorepass", STORE_PASSWORD, "-noprompt");
        // the PEM key store: the PKCS#8 key, then the chain from the server's certificate to the CA's
        File serverKey = new File(dir, "server.key.pem");
        File serverCert = new File(dir, "server.cert.pem");
        openssl("pkcs12", "-in", c.serverP12.getPath(), "-passin", "pass:" + STORE_PASSWORD, "-nodes", "-nocerts",
                "-out", serverKey.getPath());
        openssl("pkcs12", "-in", c.serverP12.getPath(), "-passin", "pass:" + STORE_PASSWORD, "-clcerts", "-nokeys",
                "-out", serverCert.getPath());
        Files.writeString(c.serverPem.toPath(), pemBlocks(serverKey, "PRIVATE KEY") + pemBlocks(serverCert,
                "CERTIFICATE") + pemBlocks(c.caPem, "CERTIFICATE"), StandardCharsets.US_ASCII);
        File encryptedKey = new File(dir, "server.key.encrypted.pem");
        openssl("pkcs8", "-topk8", "-in", serverKey.getPath(), "-out", encryptedKey.getPath(), "-passout",
                "pass:" + KEY_PASSWORD, "-v2", "aes-256-cbc");
        Files.writeString(c.serverEncryptedPem.toPath(), pemBlocks(encryptedKey, "ENCRYPTED PRIVATE KEY")
                + pemBlocks(serverCert, "CERTIFICATE") + pemBlocks(c.caPem, "CERTIFICATE"), StandardCharsets.US_ASCII);
        openssl("pkcs12", "-in", c.clientP12.getPath(), "-passin", "pass:" + STORE_PASSWORD, "-nodes", "-nocerts",
                "-out", c.clientKeyPem.getPath());
        openssl("pkcs12", "-in", c.clientP12.getPath(), "-passin", "pass:" + STORE_PASSWORD, "-clcerts", "-nokeys",
                "-out", c.clientCertPem.getPath());
        return c;
    }

    /** A key pair in {@code store} whose certificate the CA signed, with the CA's certificate as its chain. */
    private void signed(File caP12, File store, String alias, String subject, String extension) throws Exception {
        keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", subject,
                "-validity", "3", "-keystore", store.getPath(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        File request = new File(dir, alias + ".csr");
        File certificate = new File(dir, alias + ".crt");
        keytool("-certreq", "-alias", alias, "-keystore", store.getPath(), "-storepass", STORE_PASSWORD, "-file",
                request.getPath());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", caP12.getPath(),
                "-storepass", STORE_PASSWORD, "-infile", request.getPath(), "-outfile", certificate.getPath(), "-rfc",
                "-validity", "3"));
        if (extension != null) {
            sign.addAll(List.of("-ext", extension));
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.getPath(), "-keystore", store.getPath(),
                "-storepass", STORE_PASSWORD);
        keytool("-importcert", "-alias", alias, "-file", certificate.getPath(), "-keystore", store.getPath(),
                "-storepass", STORE_PASSWORD);
    }

    /** The PEM text of a file: the private key block, or the certificates. */
    static String pemBlocks(File file, String kind) throws Exception {
        String text = Files.readString(file.toPath(), StandardCharsets.US_ASCII);
        StringBuilder out = new StringBuilder();
        String begin = "-----BEGIN " + kind + "-----";
        String end = "-----END " + kind + "-----";
        for (int at = text.indexOf(begin); at >= 0; at = text.indexOf(begin, at + 1)) {
            out.append(text, at, text.indexOf(end, at) + end.length()).append('\n');
        }
        return out.toString();
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("keytool"));
        command.addAll(List.of(args));
        Processes.run(new ProcessBuilder(command), null, Duration.ofSeconds(60));
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Processes.run(new ProcessBuilder(command), null, Duration.ofSeconds(60));
    }
}
