package io.brook.server.security.oauth;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads a JWKS document from {@code sasl.oauthbearer.jwks.endpoint.url}: a {@code file:} URL (KIP-768: a file the
 * operator keeps current) or the identity provider's {@code https:} (or {@code http:}) endpoint, each read bounded
 * by {@link #READ_TIMEOUT}. Larger documents than {@link #MAX_BYTES} are refused.
 */
public final class JwksEndpoint implements JwksTokenValidator.KeySetSource {
    /** How long one read of the endpoint may take. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    /** Largest key set read: a JWKS is a few KB. */
    static final int MAX_BYTES = 1024 * 1024;

    private final URI uri;
    private final HttpClient http;

    /** @throws IllegalArgumentException when {@code url} is not a file, http or https URL */
    public JwksEndpoint(String url) {
        this.uri = URI.create(url);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("file")) {
            this.http = null;
        } else if (scheme.equals("https") || scheme.equals("http")) {
            this.http = HttpClient.newBuilder().connectTimeout(READ_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
        } else {
            throw new IllegalArgumentException("the JWKS URL must be file:, https: or http:, not " + url);
        }
    }

    @Override
    public String read() throws IOException {
        if (http == null) {
            Path file = Path.of(uri);
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException(file + " is larger than " + MAX_BYTES + " bytes");
            }
            return Files.readString(file);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(READ_TIMEOUT)
                .header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + uri, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered HTTP " + response.statusCode());
        }
        if (response.body().length > MAX_BYTES) {
            throw new IOException(uri + " sent more than " + MAX_BYTES + " bytes");
        }
        return new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
