package dev.strata.gateway;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.strata.bus.Addresses;
import dev.strata.bus.Codecs;
import dev.strata.bus.Delivery;
import dev.strata.bus.Membership;
import dev.strata.bus.QueryChunk;
import dev.strata.bus.StoreStatus;
import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.PrivateKinds;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

/**
 * The edge of the relay: HTTP (NIP-11, health, readiness) and WebSocket connections. Each instance runs on one event
 * loop and owns its connections outright, so their state needs no locks; instances share the listening port. In a
 * cluster its inbox is cluster-wide (fanout and query nodes elsewhere answer it) and it reaches the other tiers
 * through {@link ClusterTiers}.
 */
public final class GatewayVerticle extends AbstractVerticle {
    private static final System.Logger LOG = System.getLogger(GatewayVerticle.class.getName());

    private final String gatewayId;
    private final ConnectionSlots slots;
    private final Membership membership;
    private final Supplier<Future<Void>> readiness;
    private Tiers tiers;
    private final Map<Long, Connection> connections = new HashMap<>();
    /** Every live subscription of this gateway by serial: how deliveries and query chunks find theirs. */
    private final Map<Long, Subscription> subscriptions = new HashMap<>();
    private GatewaySettings settings;
    private PrivateKinds privateKinds;
    /** One per instance, so challenges are drawn on this loop alone and never wait on another's lock. */
    private final SecureRandom random = drbg();
    private final Bip340 signatures = Bip340.best();
    /** Compresses for every connection of this instance that negotiated permessage-deflate, one message at a time. */
    private final MessageDeflater deflater = new MessageDeflater();
    private HttpServer server;
    private MessageConsumer<Object> inbox;
    private long nextConnectionId;
    private long nextSerial;
    private long sweepTimer;
    private boolean stopping;

    /**
     * @param slots      the connection cap this instance shares with the other gateway instances of the process
     * @param membership the cluster's, or null in the one-JVM relay
     * @param readiness  succeeds when the node can serve (its dependencies answer), fails with the reason otherwise
     */
    public GatewayVerticle(ConnectionSlots slots, Membership membership, Supplier<Future<Void>> readiness) {
        this.slots = slots;
        this.membership = membership;
        this.readiness = readiness;
        String instance = UUID.randomUUID().toString().substring(0, 8);
        this.gatewayId = membership == null ? instance : Addresses.clusteredGatewayId(membership.self(), instance);
    }

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        settings = GatewaySettings.from(config());
        privateKinds = settings.access().privateKinds();
        if (membership == null) {
            tiers = new LocalTiers(this, vertx.eventBus(), settings.requestTimeoutMillis());
            inbox = vertx.eventBus().localConsumer(Addresses.gateway(gatewayId), this::onBusMessage);
        } else {
            ClusterTiers cluster = new ClusterTiers(this, membership, vertx.eventBus(),
                    ClusterSettings.from(config()), settings.requestTimeoutMillis(),
                    config().getInteger("limits.max_limit"));
            tiers = cluster;
            membership.onChange(() -> context.runOnContext(v -> cluster.membershipChanged()));
            inbox = vertx.eventBus().consumer(Addresses.gateway(gatewayId), this::onBusMessage);
        }
        HttpServerOptions options = new HttpServerOptions()
                .setHost(settings.host())
                .setPort(settings.port())
                // Frames past our limit still arrive so the client gets a readable refusal; twice the limit is
                // the hard stop: Netty refuses a larger frame and Connection closes with 1009, as it does for a
                // message of several frames that grows past it.
                .setMaxWebSocketFrameSize(2 * settings.maxMessageLength())
                .setMaxWebSocketMessageSize(2 * settings.maxMessageLength())
                .setPerMessageWebSocketCompressionSupported(settings.compression())
                .setPerFrameWebSocketCompressionSupported(false)
                .setRegisterWebSocketWriteHandlers(false)
                .setStrictThreadMode(true);
        server = vertx.createHttpServer(options)
                .requestHandler(this::onHttpRequest);
        long sweepMillis = TimeUnit.SECONDS.toMillis(Math.max(1, settings.pingIntervalSeconds()));
        sweepTimer = vertx.setPeriodic(sweepMillis, t -> sweep());
        inbox.completion()
                .compose(v -> server.listen())
                .onSuccess(s -> started.complete())
                .onFailure(started::fail);
    }

    /**
     * SIGTERM drain: refuse new connections, stop reading from open ones, let the events already read get their
     * OK, then close each with a reason.
     */
    @Override
    public void stop(Promise<Void> stopped) {
        stopping = true;
        List<Future<Void>> drains = new ArrayList<>(connections.size());
        for (Connection c : connections.values()) {
            drains.add(c.drain());
        }
        Future.join(drains)
                .eventually(() -> server.shutdown(5, TimeUnit.SECONDS))
                .eventually(() -> inbox.unregister())
                .onComplete(v -> {
                    vertx.cancelTimer(sweepTimer);
                    deflater.close();
                    stopped.complete();
                });
    }

    private void onHttpRequest(HttpServerRequest req) {
        if (req.canUpgradeToWebSocket()) {
            if (!"/".equals(req.path())) {
                req.response().setStatusCode(404).end("WebSocket connections are served on / only\n");
                return;
            }
            if (stopping) {
                req.response().setStatusCode(503).end("relay shutting down\n");
                return;
            }
            if (!slots.tryAcquire()) {
                req.response().setStatusCode(503).end("too many connections\n");
                return;
            }
            req.toWebSocket().onComplete(ar -> {
                if (ar.succeeded()) {
                    onWebSocket(ar.result());
                } else {
                    slots.release();
                }
            });
            return;
        }
        String path = req.path();
        if ("/health".equals(path)) {
            health(req);
        } else if ("/ready".equals(path)) {
            ready(req);
        } else if ("/".equals(path)) {
            RelayInfo.serve(req, settings.relayInfo());
        } else {
            req.response().setStatusCode(404).end("not found\n");
        }
    }

    private void onWebSocket(ServerWebSocket ws) {
        long id = ++nextConnectionId;
        Connection connection = new Connection(this, id, ws);
        connections.put(id, connection);
        ws.closeHandler(v -> connectionClosed(connection));
        ws.exceptionHandler(e -> {
            LOG.log(System.Logger.Level.DEBUG, "connection " + id + ": " + e);
            connection.onException(e);
        });
    }

    private void connectionClosed(Connection connection) {
        if (connections.remove(connection.id) == null) {
            return;
        }
        slots.release();
        connection.released();
    }

    /** Pings every connection, closing those that did not answer the last ping, or idle too long. */
    private void sweep() {
        long now = System.nanoTime();
        long idleNanos = TimeUnit.SECONDS.toNanos(settings.idleTimeoutSeconds());
        for (Connection c : connections.values().toArray(new Connection[0])) {
            c.sweep(now, idleNanos);
        }
    }

    private void onBusMessage(Message<Object> message) {
        Object body = message.body();
        if (body instanceof Delivery delivery) {
            byte[] eventJson = null;
            // NIP-42: an event of a private kind goes only to connections authenticated as one of its parties.
            Set<String> parties = privateKinds.isEmpty() ? null : privateKinds.partiesOf(delivery.eventJson());
            long[][] sentBefore = tiers.deliveredBefore(delivery.eventId(), delivery.serials());
            for (long serial : delivery.serials()) {
                Subscription sub = subscriptions.get(serial);
                if (sub != null && (parties == null || sub.connection.mayRead(parties))
                        && (sentBefore == null || !RecentDeliveries.contains(sentBefore, serial))) {
                    if (eventJson == null) {
                        eventJson = delivery.eventJson().getBytes(StandardCharsets.UTF_8);
                    }
                    sub.connection.deliverLive(sub, delivery.eventId(), eventJson);
                }
            }
        } else if (body instanceof QueryChunk chunk) {
            Subscription sub = subscriptions.get(chunk.serial());
            if (sub == null) {
                message.reply(false);
            } else {
                sub.connection.deliverStored(sub, chunk, message);
            }
        }
    }

    private void health(HttpServerRequest req) {
        vertx.eventBus().<StoreStatus>request(Addresses.STORE_STATUS, "status",
                        new DeliveryOptions().setSendTimeout(2000))
                .onSuccess(reply -> req.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(new JsonObject()
                                .put("status", "ok")
                                .put("connections", slots.inUse())
                                .put("store", new JsonObject()
                                        .put("engine", reply.body().engine())
                                        .put("disk_size_bytes", reply.body().diskSizeBytes()))
                                .encode()))
                .onFailure(e -> req.response().setStatusCode(503)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(new JsonObject().put("status", "unavailable")
                                .put("reason", "store did not answer: " + e.getMessage()).encode()));
    }

    /** 200 when this node can serve clients (see the README's per-role readiness), else 503 with the reason. */
    private void ready(HttpServerRequest req) {
        Future<Void> check = stopping ? Future.failedFuture("draining") : readiness.get();
        check.onComplete(ar -> {
            JsonObject body = new JsonObject().put("ready", ar.succeeded());
            if (ar.failed()) {
                body.put("reason", ar.cause().getMessage());
            }
            req.response().setStatusCode(ar.succeeded() ? 200 : 503)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
        });
    }

    // --- used by Connection and the tiers ----------------------------------------------------------------------

    String gatewayId() {
        return gatewayId;
    }

    MessageDeflater deflater() {
        return deflater;
    }

    GatewaySettings settings() {
        return settings;
    }

    /** A generator of its own (the default one on Linux shares a process-wide lock between instances). */
    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** NIP-42: a fresh challenge, 128 random bits in hex. */
    String newChallenge() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Hex.encode(bytes);
    }

    /** True when the AUTH event's id and signature are valid; checked on a worker thread, never on the loop. */
    Future<Boolean> verifySignature(Event event) {
        return vertx.executeBlocking(() -> event.hasValidId() && event.hasValidSignature(signatures), false);
    }

    long newSerial() {
        return ++nextSerial;
    }

    void register(Subscription sub) {
        subscriptions.put(sub.serial, sub);
    }

    void unregister(Subscription sub) {
        subscriptions.remove(sub.serial);
    }

    Tiers tiers() {
        return tiers;
    }

    List<Subscription> subscriptionsSnapshot() {
        return new ArrayList<>(subscriptions.values());
    }

    static boolean isGet(HttpServerRequest req) {
        return req.method() == HttpMethod.GET || req.method() == HttpMethod.HEAD;
    }
}
