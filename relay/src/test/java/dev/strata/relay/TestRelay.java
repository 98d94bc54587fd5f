package dev.strata.relay;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.store.EventStore;
import dev.strata.store.LmdbConfig;
import dev.strata.store.LmdbEventStore;
import dev.strata.store.postgres.PgConfig;
import dev.strata.store.postgres.PgEventStore;
import dev.strata.store.postgres.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * Starts the real one-JVM relay on a free port, on either store engine, with settings overridden per test. On
 * PostgreSQL every relay gets a schema of its own, dropped when it is closed.
 */
final class TestRelay implements AutoCloseable {
    /** The database of the PostgreSQL tests (see {@link TestPostgres}); looked for only by tests that use it. */
    static String pgUrl() {
        return TestPostgres.url();
    }

    enum Engine {
        LMDB, POSTGRESQL
    }

    final Relay relay;
    final JsonObject config;
    final Engine engine;

    private TestRelay(Relay relay, JsonObject config, Engine engine) {
        this.relay = relay;
        this.config = config;
        this.engine = engine;
    }

    /**
     * @param dataDir the LMDB directory (unused on PostgreSQL)
     * @param overrides relay settings by key; on PostgreSQL a {@code store.pg_schema} given here is reused (a
     *                  restart test), else a fresh one is made
     */
    static TestRelay start(Engine engine, Path dataDir, Map<String, String> overrides) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("STRATA_SERVER_HOST", "127.0.0.1");
        env.put("STRATA_SERVER_PORT", String.valueOf(freePort()));
        env.put("STRATA_STORE_DATA_DIR", dataDir.toString());
        env.put("STRATA_SERVER_GATEWAY_INSTANCES", "2");
        if (engine == Engine.POSTGRESQL) {
            env.put("STRATA_STORE_ENGINE", "postgresql");
            env.put("STRATA_STORE_PG_URL", pgUrl());
            env.put("STRATA_STORE_PG_POOL_SIZE", "4");
            env.put("STRATA_STORE_PG_SCHEMA", newSchema());
        }
        overrides.forEach((key, value) -> env.put(Setting.environmentName(key), value));
        JsonObject config = Settings.load(null, env);
        Relay relay;
        try {
            relay = Relay.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (engine == Engine.POSTGRESQL) {
                throw new AssertionError("the relay could not open its PostgreSQL store at " + pgUrl() + ": "
                        + e.getCause().getMessage() + "\n" + TestPostgres.howToProvide(), e.getCause());
            }
            throw e;
        }
        return new TestRelay(relay, config, engine);
    }

    static TestRelay start(Path dataDir, Map<String, String> overrides) throws Exception {
        return start(Engine.LMDB, dataDir, overrides);
    }

    static TestRelay start(Path dataDir) throws Exception {
        return start(Engine.LMDB, dataDir, Map.of());
    }

    static String newSchema() {
        return "strata_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                .toLowerCase(Locale.ROOT);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int port() {
        return relay.port();
    }

    /** Stops the relay and keeps what it stored (a restart test starts another on the same data). */
    void stop() throws Exception {
        relay.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * Opens the store of this relay, once {@link #stop() stopped}, directly on the data it kept (its LMDB directory
     * or PostgreSQL schema), to look at what the relay left there.
     */
    EventStore openStoppedStore(Vertx vertx) throws Exception {
        if (engine == Engine.POSTGRESQL) {
            PgConfig pg = new PgConfig(pgUrl(), 2, Duration.ofSeconds(30), 16, config.getString("store.pg_schema"),
                    null);
            return PgEventStore.open(vertx, pg).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        return LmdbEventStore.open(LmdbConfig.defaults(Path.of(config.getString("store.data_dir"))));
    }

    /** Stops the relay and, on PostgreSQL, drops its schema. */
    @Override
    public void close() throws Exception {
        stop();
        if (engine == Engine.POSTGRESQL) {
            dropSchema(config.getString("store.pg_schema"));
        }
    }

    static void dropSchema(String schema) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Pool admin = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
                    .connectingTo(PgConnectOptions.fromUri(pgUrl())).using(vertx).build();
            admin.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute()
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** Test authors: a deterministic key per number. */
    static byte[] key(int n) {
        byte[] k = new byte[32];
        k[0] = 1;
        k[31] = (byte) n;
        k[30] = (byte) (n >> 8);
        return k;
    }

    static Event event(int author, long createdAt, int kind, java.util.List<java.util.List<String>> tags,
                       String content) {
        return Event.sign(key(author), createdAt, kind, tags, content, Bip340.best());
    }

    /** NIP-42: the kind 22242 event that answers {@code challenge} for {@code relayUrl}, dated now. */
    static Event authEvent(int author, String relayUrl, String challenge) {
        return event(author, now(), 22242, List.of(List.of("relay", relayUrl), List.of("challenge", challenge)), "");
    }

    /** The pubkey of test author {@code n}. */
    static String pubkey(int n) {
        return Hex.encode(Bip340.best().publicKey(key(n)));
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
