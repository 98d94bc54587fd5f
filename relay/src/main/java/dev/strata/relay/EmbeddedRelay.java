package dev.strata.relay;

import java.util.HashMap;
import java.util.Map;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The one-JVM relay started from another module's code (the load test's smoke test), with the same settings and
 * validation as {@code strata.jar}: keys are the relay's own ({@code "server.port"}), values are text as in the
 * environment. Nothing is read from the process environment or a file.
 */
public final class EmbeddedRelay {
    private final Relay relay;

    private EmbeddedRelay(Relay relay) {
        this.relay = relay;
    }

    /**
     * Starts the relay; fails with {@link IllegalArgumentException} naming the key when a setting is unknown or bad.
     *
     * @param settings e.g. {@code server.port -> 7001, store.data_dir -> /tmp/x}; unset keys keep their defaults
     */
    public static Future<EmbeddedRelay> start(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (Settings.ALL.stream().noneMatch(s -> s.key().equals(e.getKey()))) {
                return Future.failedFuture(new IllegalArgumentException("unknown setting \"" + e.getKey() + "\""));
            }
            env.put(Setting.environmentName(e.getKey()), e.getValue());
        }
        JsonObject config;
        try {
            config = Settings.load(null, env);
        } catch (ConfigException e) {
            return Future.failedFuture(new IllegalArgumentException(e.getMessage(), e));
        }
        return Relay.start(config).map(EmbeddedRelay::new);
    }

    /** The port the relay listens on. */
    public int port() {
        return relay.port();
    }

    /** Drains and stops, as SIGTERM does. */
    public Future<Void> stop() {
        return relay.stop();
    }
}
