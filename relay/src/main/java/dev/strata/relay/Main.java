package dev.strata.relay;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonObject;
import sun.misc.Signal;

/**
 * {@code java -jar strata.jar [--config strata.json] [--roles gateway,ingest,query,fanout]}: starts the relay in one
 * JVM, or a cluster node running the given roles.
 */
public final class Main {
    /** Long enough for in-flight writes to commit and clients to get their close frames. */
    private static final int DRAIN_SECONDS = 30;

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path file = null;
        String roles = null;
        String fromEnv = System.getenv("STRATA_CONFIG");
        if (fromEnv != null && !fromEnv.isEmpty()) {
            file = Path.of(fromEnv);
        }
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("--config") || args[i].equals("-c")) && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if (args[i].equals("--roles") && i + 1 < args.length) {
                roles = args[++i];
            } else {
                System.err.println("usage: strata [--config FILE.json] [--roles gateway,ingest,query,fanout]"
                        + "   (settings: see README; STRATA_* overrides)");
                System.exit(args[i].equals("--help") ? 0 : 2);
            }
        }
        JsonObject config;
        try {
            Map<String, String> env = new HashMap<>(System.getenv());
            if (roles != null) {
                env.put(Setting.environmentName("node.roles"), roles); // the command line wins
            }
            config = Settings.load(file, env);
        } catch (ConfigException e) {
            System.err.println("strata: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch started = new CountDownLatch(1);
        Relay[] relay = new Relay[1];
        Relay.start(config).onComplete(ar -> {
            if (ar.failed()) {
                System.err.println("strata: could not start: " + ar.cause().getMessage());
                System.exit(1);
            }
            relay[0] = ar.result();
            started.countDown();
        });
        started.await();
        if (config.getString("cluster.join").equals("none")) {
            System.out.println("strata: relay listening on ws://" + config.getString("server.host") + ":"
                    + relay[0].port() + "/ with its events in " + relay[0].storeLocation());
        } else {
            System.out.println("strata: cluster node " + relay[0].nodeId() + " of \"" + config.getString("cluster.name")
                    + "\" ready with roles " + config.getString("node.roles") + " on http://"
                    + config.getString("server.host") + ":" + relay[0].port() + "/ (events: "
                    + relay[0].storeLocation() + ")");
        }
        // SIGTERM (Kubernetes, docker stop) and Ctrl-C drain the relay, then exit 0.
        CountDownLatch signalled = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> signalled.countDown());
        Signal.handle(new Signal("INT"), signal -> signalled.countDown());
        signalled.await();
        System.out.println("strata: draining");
        CountDownLatch stopped = new CountDownLatch(1);
        relay[0].stop().onComplete(v -> stopped.countDown());
        if (!stopped.await(DRAIN_SECONDS, TimeUnit.SECONDS)) {
            System.err.println("strata: drain did not finish in " + DRAIN_SECONDS + " s; exiting anyway");
            System.exit(1);
        }
        System.out.println("strata: stopped");
        System.exit(0);
    }
}
