package dev.strata.relay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.strata.bus.Membership;
import dev.strata.bus.Membership.Role;
import dev.strata.fanout.FanoutVerticle;
import dev.strata.gateway.ConnectionSlots;
import dev.strata.gateway.GatewayVerticle;
import dev.strata.ingest.IngestVerticle;
import dev.strata.model.Filter;
import dev.strata.query.CountVerticle;
import dev.strata.query.QueryVerticle;
import dev.strata.store.EventStore;
import dev.strata.store.LmdbConfig;
import dev.strata.store.LmdbEventStore;
import dev.strata.store.postgres.PgConfig;
import dev.strata.store.postgres.PgEventStore;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * The tiers this process runs: in one JVM every tier over the local event bus, on the embedded LMDB store or
 * PostgreSQL; in a cluster ({@code cluster.join} tcp or kubernetes) the roles in {@code node.roles} over the
 * Hazelcast-clustered event bus, with a store only where ingest or query run. Tiers are deployed in the order that
 * lets each find what it talks to (fanout and query before ingest, gateways last) and stopped in reverse, so a
 * drain never strands work; a clustered node announces itself ready only once its tiers are up, and withdraws first
 * when it drains.
 */
public final class Relay {
    /** The NIPs this relay implements and tests end to end. */
    static final List<Integer> SUPPORTED_NIPS = List.of(1, 9, 11, 13, 40, 42, 45, 50, 62, 65, 70);
    /** Hazelcast reports every member change and partition move at INFO; keep its warnings and errors. */
    private static final java.util.logging.Logger HAZELCAST_LOG = java.util.logging.Logger.getLogger("com.hazelcast");
    /** ... but not the warning that its CP subsystem (strongly consistent structures, unused here) is off. */
    private static final java.util.logging.Logger HAZELCAST_CP_LOG =
            java.util.logging.Logger.getLogger("com.hazelcast.cp.CPSubsystem");
    /** Readiness asks the store for this id: an answer, even empty, shows the store serves. */
    private static final Filter STORE_PING = new Filter(Set.of("0".repeat(64)), null, null, null, null, null, 1);

    private final Vertx vertx;
    private final EventStore store;
    private final JsonObject config;
    private final Set<Role> roles;
    private final HazelcastMembership membership;
    private final List<String> gateways = new ArrayList<>();
    private final List<String> backends = new ArrayList<>();
    private FanoutVerticle fanout;
    /** The periodic rebuild of the membership snapshot (see {@link HazelcastMembership#reconcile}); -1 for none. */
    private long reconcileTimer = -1;
    private volatile boolean ready;
    private volatile boolean draining;

    private Relay(Vertx vertx, EventStore store, JsonObject config, HazelcastMembership membership) {
        this.vertx = vertx;
        this.store = store;
        this.config = config;
        this.roles = ClusterConfig.roles(config);
        this.membership = membership;
    }

    /** Joins the cluster if configured, opens the store if needed and deploys the tiers; fails (and releases
     * everything) if any part does not start. */
    public static Future<Relay> start(JsonObject config) {
        if (config.getString("cluster.join").equals("none")) {
            return start(Vertx.vertx(), null, config);
        }
        HAZELCAST_LOG.setLevel(java.util.logging.Level.WARNING);
        HAZELCAST_CP_LOG.setLevel(java.util.logging.Level.SEVERE);
        HazelcastClusterManager manager = new HazelcastClusterManager(ClusterConfig.hazelcast(config));
        return Vertx.builder()
                .with(new VertxOptions().setEventBusOptions(ClusterConfig.eventBus(config)))
                .withClusterManager(manager)
                .buildClustered()
                .recover(e -> Future.failedFuture(new IllegalStateException(
                        "cannot join the cluster: " + e.getMessage(), e)))
                .compose(vertx -> vertx.executeBlocking(
                                () -> new HazelcastMembership(manager.getHazelcastInstance(), manager.getNodeId()))
                        .recover(e -> vertx.close().transform(v -> Future.failedFuture(e)))
                        .compose(membership -> start(vertx, membership, config)));
    }

    private static Future<Relay> start(Vertx vertx, HazelcastMembership membership, JsonObject config) {
        Set<Role> roles = ClusterConfig.roles(config);
        JsonObject tierConfig = config.copy().put("relay_info", relayInfo(config));
        if (membership != null) {
            tierConfig.put(Membership.NODE_ID_CONFIG, membership.self());
        }
        String engine = config.getString("store.engine");
        Future<EventStore> opened = roles.contains(Role.INGEST) || roles.contains(Role.QUERY)
                ? openStore(vertx, config)
                : Future.succeededFuture(null); // a gateway or fanout node opens no database
        return opened
                .recover(e -> vertx.close().transform(v -> Future.failedFuture(new IllegalStateException(
                        "cannot open the " + engine + " store: " + e.getMessage(), e))))
                .compose(store -> {
                    Relay relay = new Relay(vertx, store, tierConfig, membership);
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
                readThreads == 0 ? LmdbConfig.DEFAULT_READ_THREADS : readThreads, c.getInteger("store.write_queue"),
                Duration.ofMillis(c.getInteger("store.search_commit_ms")));
        // Opening maps and may grow the file: disk work, so not on the caller's thread.
        return vertx.executeBlocking(() -> (EventStore) LmdbEventStore.open(lmdb));
    }

    private Future<Void> deploy() {
        DeploymentOptions options = new DeploymentOptions().setConfig(config);
        Future<Void> chain = Future.succeededFuture();
        if (roles.contains(Role.FANOUT)) {
            fanout = new FanoutVerticle(membership);
            chain = chain.compose(v -> vertx.deployVerticle(fanout, options))
                    .map(backends::add).mapEmpty();
        }
        if (roles.contains(Role.QUERY)) {
            chain = chain.compose(v -> vertx.deployVerticle(
                            new QueryVerticle(store, config.getString("store.engine")), options))
                    .map(backends::add).mapEmpty();
            chain = chain.compose(v -> vertx.deployVerticle(new CountVerticle(store), options))
                    .map(backends::add).mapEmpty();
        }
        if (roles.contains(Role.INGEST)) {
            chain = chain.compose(v -> vertx.deployVerticle(new IngestVerticle(store), options))
                    .map(backends::add).mapEmpty();
        }
        if (roles.contains(Role.GATEWAY)) {
            int configured = config.getInteger("server.gateway_instances");
            int instances = configured == 0 ? Runtime.getRuntime().availableProcessors() : configured;
            ConnectionSlots slots = new ConnectionSlots(config.getInteger("server.max_connections"));
            chain = chain.compose(v -> vertx.deployVerticle(() -> new GatewayVerticle(slots, membership,
                            this::readiness), new DeploymentOptions().setConfig(config).setInstances(instances)))
                    .map(gateways::add).mapEmpty();
        } else {
            chain = chain.compose(v -> vertx.deployVerticle(new HealthServer(this::health, this::readiness),
                            options))
                    .map(gateways::add).mapEmpty();
        }
        if (membership != null) {
            chain = chain.compose(v -> vertx.executeBlocking(() -> {
                membership.enter(roles);
                return null;
            }));
            chain = chain.onSuccess(v -> reconcileTimer = vertx.setPeriodic(HazelcastMembership.RECONCILE_MILLIS,
                    t -> vertx.executeBlocking(() -> {
                        membership.reconcile();
                        return null;
                    }, false)));
        }
        return chain.onSuccess(v -> ready = true);
    }

    /**
     * Ready to serve: started (in a cluster: joined and announced), not draining, the store answering where this
     * node has one, and, on a clustered gateway, at least one ready ingest, query and fanout node.
     */
    Future<Void> readiness() {
        if (draining) {
            return Future.failedFuture("draining");
        }
        if (!ready) {
            return Future.failedFuture("starting");
        }
        if (membership != null && roles.contains(Role.GATEWAY)) {
            for (Role needed : List.of(Role.INGEST, Role.QUERY, Role.FANOUT)) {
                if (membership.ready(needed).isEmpty()) {
                    return Future.failedFuture("no " + needed.key() + " node is ready");
                }
            }
        }
        if (store == null) {
            return Future.succeededFuture();
        }
        return Future.fromCompletionStage(store.query(STORE_PING, null, 1, 1), vertx.getOrCreateContext())
                .<Void>mapEmpty()
                .recover(e -> Future.failedFuture("the store does not answer: " + e.getMessage()));
    }

    /** What a node without a gateway reports on {@code /health}. */
    JsonObject health() {
        JsonObject h = new JsonObject().put("roles", new JsonArray(roles.stream().map(Role::key).toList()));
        if (membership != null) {
            h.put("node", membership.self()).put("members", membership.members());
        }
        if (fanout != null) {
            h.put("live_subscriptions", fanout.liveSubscriptions());
        }
        return h;
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
        if (store == null) {
            return "no store (roles " + String.join(",", health().getJsonArray("roles").getList()) + ")";
        }
        return config.getString("store.engine").equals("postgresql")
                ? "PostgreSQL at " + PgConfig.redact(config.getString("store.pg_url")) + ", schema "
                        + config.getString("store.pg_schema")
                : "LMDB in " + config.getString("store.data_dir");
    }

    /** This node's id in its cluster, or null in one JVM. */
    String nodeId() {
        return membership == null ? null : membership.self();
    }

    /** The port the gateways listen on. */
    public int port() {
        return config.getInteger("server.port");
    }

    /**
     * Drains and stops: withdraws from the cluster's ready nodes (no new work comes), then gateways (no new
     * connections; open ones are closed with a reason), then fanout (until the gateways moved its subscriptions),
     * query and ingest (their work in flight finishes), then the store (its writer commits what it holds), then
     * leaves the cluster.
     */
    public Future<Void> stop() {
        draining = true;
        Future<Void> chain = membership == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
            membership.withdraw();
            return null;
        });
        for (String id : gateways) {
            chain = chain.eventually(() -> vertx.undeploy(id));
        }
        for (int i = backends.size() - 1; i >= 0; i--) {
            String id = backends.get(i);
            chain = chain.eventually(() -> vertx.undeploy(id));
        }
        CompletableFuture<Void> closed = new CompletableFuture<>();
        chain = chain.eventually(() -> {
            vertx.cancelTimer(reconcileTimer);
            return Future.succeededFuture();
        });
        chain.eventually(() -> store == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
            store.close();
            return null;
        })).onComplete(ar -> {
            // Closed from a thread of its own: a future of one of Vert.x's contexts could not announce its end once
            // the event loops are gone (a clustered close takes them down before it completes).
            Thread closer = new Thread(() -> vertx.close().toCompletionStage()
                    .whenComplete((v, e) -> closed.complete(null)), "strata-close");
            closer.start();
        });
        return Future.fromCompletionStage(closed);
    }
}

