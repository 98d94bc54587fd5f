package dev.strata.relay;

import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;

/** One HTTP exchange with the relay, body read on the event loop as it arrives, waited for with a deadline. */
record Http(int status, MultiMap headers, Buffer body) {
    static Http request(Vertx vertx, int port, HttpMethod method, String path, String... headerPairs)
            throws Exception {
        HttpClient client = vertx.createHttpClient();
        try {
            Future<Http> exchange = client.request(method, port, "127.0.0.1", path).compose(req -> {
                for (int i = 0; i < headerPairs.length; i += 2) {
                    req.putHeader(headerPairs[i], headerPairs[i + 1]);
                }
                return req.send().compose(resp -> resp.body()
                        .map(body -> new Http(resp.statusCode(), resp.headers(), body)));
            });
            return await(exchange);
        } finally {
            client.close();
        }
    }

    static Http get(Vertx vertx, int port, String path, String... headerPairs) throws Exception {
        return request(vertx, port, HttpMethod.GET, path, headerPairs);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(RelayClient.WAIT_SECONDS, TimeUnit.SECONDS);
    }
}
