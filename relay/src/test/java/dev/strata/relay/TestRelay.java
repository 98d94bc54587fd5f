package dev.strata.relay;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import io.vertx.core.json.JsonObject;

/** Starts the real one-JVM relay on a free port and a given data directory, with settings overridden per test. */
final class TestRelay implements AutoCloseable {
    final Relay relay;
    final JsonObject config;

    private TestRelay(Relay relay, JsonObject config) {
        this.relay = relay;
        this.config = config;
    }

    static TestRelay start(Path dataDir, Map<String, String> overrides) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("STRATA_SERVER_HOST", "127.0.0.1");
        env.put("STRATA_SERVER_PORT", String.valueOf(freePort()));
        env.put("STRATA_STORE_DATA_DIR", dataDir.toString());
        env.put("STRATA_SERVER_GATEWAY_INSTANCES", "2");
        overrides.forEach((key, value) -> env.put(Setting.environmentName(key), value));
        JsonObject config = Settings.load(null, env);
        Relay relay = Relay.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return new TestRelay(relay, config);
    }

    static TestRelay start(Path dataDir) throws Exception {
        return start(dataDir, Map.of());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int port() {
        return relay.port();
    }

    @Override
    public void close() throws Exception {
        relay.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
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

    static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
