package dev.strata.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A relay's WebSocket URL, compared the lenient way NIP-42 allows ("URL normalization techniques can be applied;
 * for most cases just checking if the domain name is correct should be enough"): {@code ws} and {@code wss} are
 * the same relay (TLS is often ended by a proxy in front), the host ignores case, trailing slashes do not count,
 * and a port is compared only when both URLs name one (a scheme's default port, 80 or 443, counts as none). The
 * path must otherwise be equal; query and fragment are ignored.
 */
public final class RelayUrl {
    private final String text;
    private final String host;
    private final int port;
    private final String path;

    private RelayUrl(String text, String host, int port, String path) {
        this.text = text;
        this.host = host;
        this.port = port;
        this.path = path;
    }

    /** The URL, or null when it is not a {@code ws://} or {@code wss://} URL with a host. */
    public static RelayUrl parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("ws") || scheme.equals("wss")) || uri.getHost() == null) {
            return null;
        }
        int port = uri.getPort();
        if ((scheme.equals("ws") && port == 80) || (scheme.equals("wss") && port == 443)) {
            port = -1;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        return new RelayUrl(url, uri.getHost().toLowerCase(Locale.ROOT), port, path.substring(0, end));
    }

    /** The configured URL, or {@code ws://localhost:<port>/} when none is configured. */
    public static RelayUrl orDefault(String configured, int port) {
        RelayUrl url = parse(configured.isEmpty() ? "ws://localhost:" + port + "/" : configured);
        if (url == null) {
            throw new IllegalArgumentException("not a ws:// or wss:// URL with a host: " + configured);
        }
        return url;
    }

    /** True when {@code candidate} (say, an event's {@code relay} tag) names this relay. */
    public boolean matches(String candidate) {
        RelayUrl other = parse(candidate);
        return other != null && host.equals(other.host) && path.equals(other.path)
                && (port == -1 || other.port == -1 || port == other.port);
    }

    /** The URL as configured. */
    @Override
    public String toString() {
        return text;
    }
}
