package dev.strata.relay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.strata.fanout.FanoutVerticle;
import dev.strata.gateway.ConnectionSlots;
import dev.strata.gateway.GatewayVerticle;
import dev.strata.ingest.IngestVerticle;
import dev.strata.query.QueryVerticle;
import dev.strata.store.EventStore;
import dev.strata.store.LmdbConfig;
import dev.strata.store.LmdbEventStore;
import dev.strata.store.postgres.PgConfig;
import dev.strata.store.postgres.PgEventStore;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Every tier in one JVM over the local event bus, on the embedded LMDB store or PostgreSQL. Tiers are deployed in the order that
 * lets each find what it talks to (fanout and query before ingest, gateways last) and stopped in reverse, so a
 * drain never strands work.
 */
public final class Relay {
    /** The NIPs this relay implements and tests end to end. */
    static final List<Integer> SUPPORTED_NIPS = List.of(1, 11, 13, 42, 65, 70);

    private final Vertx vertx;
    private final EventStore store;
    private final JsonObject config;
    private final List<String> gateways = new ArrayList<>();
    private final List<String> backends = new ArrayList<>();

    private Relay(Vertx vertx, EventStore store, JsonObject config) {
        this.vertx = vertx;
        this.store = store;
        this.config = config;
    }

    /** Opens the store and deploys the tiers; fails (and releases everything) if any part does not start. */
    public static Future<Relay> start(JsonObject config) {
        Vertx vertx = Vertx.vertx();
        String engine = config.getString("store.engine");
        return openStore(vertx, config)
                .recover(e -> vertx.close().transform(v -> Future.failedFuture(new IllegalStateException(
                        "cannot open the " + engine + " store: " + e.getMessage(), e))))
                .compose(store -> {
                    Relay relay = new Relay(vertx, store, config.copy().put("relay_info", relayInfo(config)));
                    return relay.deploy().map(relay)
                            .recover(e -> relay.stop().transform(v -> Future.failedFuture(e)));
                });
    }

    private static Future<EventStore> openStore(Vertx vertx, JsonObject c) {
        if (c.getString("store.engine").equals("postgresql")) {
            String replica = c.getString("store.pg_read_url");
            PgConfig pg = new PgConfig(c.getString("store.pg_url"), c.getInteger("store.pg_pool_size"),
                    Duration.ofMillis(c.getInteger("store.pg_statement_timeout_ms")),
                    c.getInteger("store.pg_max_waiting"), c.getString("store.pg_schema"),
                    replica.isEmpty() ? null : replica);
            return PgEventStore.open(vertx, pg).map(store -> (EventStore) store);
        }
        int readThreads = c.getInteger("store.read_threads");
        LmdbConfig lmdb = new LmdbConfig(Path.of(c.getString("store.data_dir")),
                (long) c.getInteger("store.initial_map_mb") << 20, c.getInteger("store.max_batch"),
                readThreads == 0 ? LmdbConfig.DEFAULT_READ_THREADS : readThreads, c.getInteger("store.write_queue"));
        // Opening maps and may grow the file: disk work, so not on the caller's thread.
        return vertx.executeBlocking(() -> (EventStore) LmdbEventStore.open(lmdb));
    }

    private Future<Void> deploy() {
        int configured = config.getInteger("server.gateway_instances");
        int instances = configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
        ConnectionSlots slots = new ConnectionSlots(config.getInteger("server.max_connections"));
        DeploymentOptions options = new DeploymentOptions().setConfig(config);
        return vertx.deployVerticle(new FanoutVerticle(), options).onSuccess(backends::add)
                .compose(id -> vertx.deployVerticle(new QueryVerticle(store, config.getString("store.engine")), options))
                .onSuccess(backends::add)
                .compose(id -> vertx.deployVerticle(new IngestVerticle(store), options))
                .onSuccess(backends::add)
                .compose(id -> vertx.deployVerticle(() -> new GatewayVerticle(slots),
                        new DeploymentOptions().setConfig(config).setInstances(instances)))
                .onSuccess(gateways::add)
                .mapEmpty();
    }

    /** NIP-11 document, with the limits the relay actually enforces. */
    static JsonObject relayInfo(JsonObject c) {
        JsonObject limitation = new JsonObject()
                .put("max_message_length", c.getInteger("limits.max_message_length"))
                .put("max_subscriptions", c.getInteger("limits.max_subscriptions"))
                .put("max_filters", c.getInteger("limits.max_filters"))
                .put("max_limit", c.getInteger("limits.max_limit"))
                .put("default_limit", c.getInteger("limits.default_limit"))
                .put("max_subid_length", c.getInteger("limits.max_subid_length"))
                .put("max_event_tags", c.getInteger("limits.max_event_tags"))
                .put("max_content_length", c.getInteger("limits.max_content_length"))
                .put("min_pow_difficulty", c.getInteger("limits.min_pow_difficulty"))
                // NIP-11: auth_required means nothing at all can be done before AUTH.
                .put("auth_required", c.getBoolean("auth.required_for_reads")
                        && c.getBoolean("auth.required_for_writes"))
                .put("payment_required", false)
                .put("restricted_writes", c.getBoolean("auth.required_for_writes")
                        || c.getInteger("limits.min_pow_difficulty") > 0)
                .put("created_at_upper_limit", c.getLong("limits.created_at_future_seconds"));
        if (c.getLong("limits.created_at_past_seconds") > 0) {
            limitation.put("created_at_lower_limit", c.getLong("limits.created_at_past_seconds"));
        }
        JsonObject info = new JsonObject()
                .put("name", c.getString("relay.name"))
                .put("description", c.getString("relay.description"))
                .put("supported_nips", new JsonArray(new ArrayList<>(SUPPORTED_NIPS)))
                .put("software", "strata")
                .put("version", version())
                .put("limitation", limitation);
        if (!c.getString("relay.pubkey").isEmpty()) {
            info.put("pubkey", c.getString("relay.pubkey"));
        }
        if (!c.getString("relay.contact").isEmpty()) {
            info.put("contact", c.getString("relay.contact"));
        }
        return info;
    }

    private static String version() {
        String v = Relay.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    /** Where the events are kept, for the start-up line: never a password. */
    String storeLocation() {
        return config.getString("store.engine").equals("postgresql")
                ? "PostgreSQL at " + PgConfig.redact(config.getString("store.pg_url")) + ", schema "
                        + config.getString("store.pg_schema")
                : "LMDB in " + config.getString("store.data_dir");
    }

    /** The port the gateways listen on. */
    public int port() {
        return config.getInteger("server.port");
    }

    /**
     * Drains and stops: gateways first (no new connections; open ones are closed with a reason), then ingest
     * (in-flight events finish), then the rest, then the store (its writer commits what it holds).
     */
    public Future<Void> stop() {
        Future<Void> chain = Future.succeededFuture();
        for (String id : gateways) {
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        for (int i = backends.size() - 1; i >= 0; i--) {
            String id = backends.get(i);
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        return chain.eventually(() -> vertx.executeBlocking(() -> {
            store.close();
            return null;
        })).eventually(vertx::close);
    }
}
