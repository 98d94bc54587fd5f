package dev.strata.loadtest;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/**
 * The relay under test: a {@code ws://} URL given on the command line (loopback by default). The harness connects
 * to this address and nowhere else.
 */
record Target(String url, String host, int port, String path) {
    static final String DEFAULT_URL = "ws://127.0.0.1:7777/";

    static Target parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Options.UsageException("--url is not a URL: " + e.getMessage());
        }
        if (!"ws".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new Options.UsageException("--url must be ws://host[:port][/path] (plain WebSocket), not " + url);
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        return new Target(url, uri.getHost(), uri.getPort() == -1 ? 80 : uri.getPort(), path);
    }

    boolean isLoopback() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    WebSocketConnectOptions connectOptions() {
        return new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path);
    }

    /** The relay's NIP-11 document, to record what was measured; an empty object when it does not serve one. */
    JsonObject relayInformation(Vertx vertx) {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5000));
        Future<JsonObject> doc = client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host)
                        .setPort(port).setURI(path).putHeader("Accept", "application/nostr+json").setTimeout(5000))
                .compose(req -> req.send())
                .compose(resp -> resp.statusCode() == 200 ? resp.body() : Future.failedFuture("HTTP "
                        + resp.statusCode()))
                .map(body -> new JsonObject(body.toString()));
        try {
            return doc.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return new JsonObject().put("unavailable", String.valueOf(e.getMessage()));
        } finally {
            client.close();
        }
    }
}
