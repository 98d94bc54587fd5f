package dev.strata.relay;

import java.util.function.Supplier;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * {@code /health} and {@code /ready} of a node without the gateway role (a gateway serves both itself, beside its
 * WebSocket), on {@code server.host:server.port}.
 */
final class HealthServer extends AbstractVerticle {
    private final Supplier<JsonObject> health;
    private final Supplier<Future<Void>> readiness;
    private HttpServer server;

    HealthServer(Supplier<JsonObject> health, Supplier<Future<Void>> readiness) {
        this.health = health;
        this.readiness = readiness;
    }

    @Override
    public void start(Promise<Void> started) {
        server = vertx.createHttpServer().requestHandler(this::onRequest);
        server.listen(config().getInteger("server.port"), config().getString("server.host"))
                .<Void>mapEmpty().onComplete(started);
    }

    private void onRequest(HttpServerRequest req) {
        switch (req.path()) {
            case "/health" -> json(req, 200, health.get().put("status", "ok"));
            case "/ready" -> readiness.get().onComplete(ar -> json(req, ar.succeeded() ? 200 : 503,
                    ar.succeeded() ? new JsonObject().put("ready", true)
                            : new JsonObject().put("ready", false).put("reason", ar.cause().getMessage())));
            default -> req.response().setStatusCode(404).end("not found\n");
        }
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.encode());
    }

    @Override
    public void stop(Promise<Void> stopped) {
        server.close().onComplete(v -> stopped.complete());
    }
}
