package dev.strata.model;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A relay's WebSocket URL compared the lenient way NIP-42 and NIP-62 expect clients to write it: {@code ws} and
 * {@code wss} name the same relay, the host is case-insensitive, a port equal to its scheme's default (80, 443) is
 * the same as none, a trailing slash does not count, and user info, query and fragment are ignored. The path is
 * compared exactly otherwise.
 */
public final class RelayUrl {
    private final String host;
    /** -1 for the scheme's default. */
    private final int port;
    private final String path;

    private RelayUrl(String host, int port, String path) {
        this.host = host;
        this.port = port;
        this.path = path;
    }

    /** The URL, or null when it is not an absolute ws:// or wss:// URL with a host. */
    public static RelayUrl parse(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort;
        if (scheme.equals("ws")) {
            defaultPort = 80;
        } else if (scheme.equals("wss")) {
            defaultPort = 443;
        } else {
            return null;
        }
        if (uri.getHost() == null) {
            return null;
        }
        int port = uri.getPort() == defaultPort ? -1 : uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new RelayUrl(uri.getHost().toLowerCase(Locale.ROOT), port, path);
    }

    /** Whether {@code text} names this relay; false for anything that is not a ws:// or wss:// URL. */
    public boolean matches(String text) {
        RelayUrl other = parse(text);
        return other != null && host.equals(other.host) && port == other.port && path.equals(other.path);
    }
}
