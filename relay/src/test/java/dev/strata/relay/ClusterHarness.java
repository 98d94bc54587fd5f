package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.strata.store.postgres.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

/**
 * A cluster of separate JVMs, each {@code java -jar relay/target/strata.jar --roles ...} (the jar {@code package}
 * built; the integration tests run after it), joined by TCP on loopback under a cluster name of its own, on a fresh
 * PostgreSQL schema dropped at the end. Nodes are declared first (so every member list is known), then started
 * together; a start waits until every node answers {@code /ready} with 200.
 */
final class ClusterHarness implements AutoCloseable {
    private static final long READY_SECONDS = 120;
    static final int FAILURE_TIMEOUT_SECONDS = 3;

    /** One node: its ports are fixed when declared, so it restarts where it was. */
    final class Node {
        final String name;
        final String roles;
        final int clusterPort;
        final int httpPort;
        private Process process;
        private final StringBuffer output = new StringBuffer();

        Node(String name, String roles) throws IOException {
            this.name = name;
            this.roles = roles;
            this.clusterPort = listenPort();
            this.httpPort = listenPort();
        }

        void launch() throws IOException {
            if (alive()) {
                throw new IllegalStateException(name + " is running already");
            }
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder builder = new ProcessBuilder(java, "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", JAR.toString(), "--roles", roles).redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(k -> k.startsWith("STRATA_"));
            env.putAll(settings(this));
            output.setLength(0);
            process = builder.start();
            launched.add(process);
            Process p = process;
            Thread reader = new Thread(() -> read(p), "cluster-node-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void read(Process p) {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                output.append("[output unreadable: ").append(e).append("]\n");
            }
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        /** GET on the node's HTTP port; null when it does not answer. */
        Http get(String path) {
            try {
                return Http.get(vertx, httpPort, path);
            } catch (Exception e) {
                return null;
            }
        }

        JsonObject health() {
            Http h = get("/health");
            return h == null || h.status() != 200 ? null : new JsonObject(h.body());
        }

        void awaitReady() throws InterruptedException {
            awaitAllReady(List.of(this));
        }

        /** Why the node is not ready now: its /ready answer, or that it does not answer. */
        String readiness() {
            if (!alive()) {
                return "exited with " + process.exitValue();
            }
            Http ready = get("/ready");
            return ready == null ? "no answer on /ready" : ready.status() + " " + ready.body();
        }

        /** SIGKILL: no drain, no goodbye to the cluster. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not die");
        }

        /** SIGTERM, then the exit code. */
        int terminate() throws InterruptedException {
            process.destroy();
            return awaitExit();
        }

        int awaitExit() throws InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), name + " did not exit on SIGTERM; output:\n" + output);
            return process.exitValue();
        }

        Process process() {
            return process;
        }

        /** Starts it again (it was killed or terminated) and waits until it is ready. */
        void restart() throws Exception {
            launch();
            awaitReady();
        }

        String output() {
            return output.toString();
        }

        int wsPort() {
            return httpPort;
        }
    }

    static final Path JAR = Path.of(System.getProperty("strata.jar", "target/strata.jar"));

    final String clusterName = "strata-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    final String schema = TestRelay.newSchema();
    final Vertx vertx = Vertx.vertx();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Set<Integer> ports = new HashSet<>();
    /** Every process started, so none outlives the tests, even when the test JVM itself is stopped. */
    private final List<Process> launched = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread killAll = new Thread(() -> launched.forEach(Process::destroyForcibly), "cluster-harness-kill");
    private final Map<String, String> extra;
    private Pool pg;

    /** @param extra further relay settings for every node, by key */
    ClusterHarness(Map<String, String> extra) {
        this.extra = extra;
        Runtime.getRuntime().addShutdownHook(killAll);
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError("no " + JAR.toAbsolutePath() + ": the cluster tests run the built jar; run them"
                    + " with ./mvnw verify (package builds the jar first)");
        }
    }

    /**
     * A free port below Linux's ephemeral range (32768 and up), and not one handed out already: a port that
     * ServerSocket(0) found free may be taken, before the node binds it, as the local end of one of the many
     * connections the starting nodes open to each other.
     */
    private int listenPort() throws IOException {
        while (true) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            if (!ports.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException inUse) {
                // taken by something else on this machine: draw another
            }
        }
    }

    Node declare(String name, String roles) throws IOException {
        Node n = new Node(name, roles);
        nodes.put(name, n);
        return n;
    }

    Node node(String name) {
        return nodes.get(name);
    }

    /** Starts the stopped ones of these nodes again, at once, and waits until they are ready. */
    void restart(Node... stopped) throws Exception {
        List<Node> started = new ArrayList<>();
        for (Node n : stopped) {
            if (!n.alive()) {
                n.launch();
                started.add(n);
            }
        }
        awaitAllReady(started);
    }

    /** Starts every declared node at once and waits until all are ready. */
    void start() throws Exception {
        checkDatabase();
        for (Node n : nodes.values()) {
            n.launch();
        }
        awaitAllReady(List.copyOf(nodes.values()));
    }

    /**
     * Waits until each of these nodes answers /ready with 200. One that exits fails the wait at once; a failure
     * reports every node of the cluster (a gateway waits for the others, so the culprit is often another node).
     */
    private void awaitAllReady(List<Node> waiting) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        List<Node> pending = new ArrayList<>(waiting);
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (Node n : pending) {
                if (!n.alive()) {
                    throw new AssertionError("node " + n.name + " exited with " + n.process.exitValue() + "\n"
                            + report());
                }
            }
            pending.removeIf(n -> {
                Http ready = n.get("/ready");
                return ready != null && ready.status() == 200;
            });
            if (!pending.isEmpty()) {
                TimeUnit.MILLISECONDS.sleep(200); // polling the endpoints with a deadline
            }
        }
        if (!pending.isEmpty()) {
            throw new AssertionError(pending.stream().map(n -> n.name).toList() + " not ready within " + READY_SECONDS
                    + " s\n" + report());
        }
    }

    /** Every node: its readiness now, and its output. */
    private String report() {
        StringBuilder out = new StringBuilder();
        for (Node n : nodes.values()) {
            out.append("--- ").append(n.name).append(" (").append(n.roles).append(", cluster port ")
                    .append(n.clusterPort).append(", http port ").append(n.httpPort).append("): ")
                    .append(n.process == null ? "not started" : n.readiness()).append('\n').append(n.output());
        }
        return out.toString();
    }

    private Map<String, String> settings(Node n) {
        List<String> members = new ArrayList<>();
        for (Node m : nodes.values()) {
            members.add("127.0.0.1:" + m.clusterPort);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("STRATA_CLUSTER_JOIN", "tcp");
        env.put("STRATA_CLUSTER_NAME", clusterName);
        env.put("STRATA_CLUSTER_HOST", "127.0.0.1");
        env.put("STRATA_CLUSTER_PORT", String.valueOf(n.clusterPort));
        env.put("STRATA_CLUSTER_MEMBERS", String.join(",", members));
        env.put("STRATA_CLUSTER_FAILURE_TIMEOUT_SECONDS", String.valueOf(FAILURE_TIMEOUT_SECONDS));
        env.put("STRATA_SERVER_HOST", "127.0.0.1");
        env.put("STRATA_SERVER_PORT", String.valueOf(n.httpPort));
        env.put("STRATA_SERVER_GATEWAY_INSTANCES", "2");
        env.put("STRATA_STORE_ENGINE", "postgresql");
        env.put("STRATA_STORE_PG_URL", TestRelay.pgUrl());
        env.put("STRATA_STORE_PG_SCHEMA", schema);
        env.put("STRATA_STORE_PG_POOL_SIZE", "4");
        extra.forEach((key, value) -> env.put(Setting.environmentName(key), value));
        return env;
    }

    private void checkDatabase() throws Exception {
        pg = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
                .connectingTo(PgConnectOptions.fromUri(TestRelay.pgUrl())).using(vertx).build();
        try {
            await(pg.query("SELECT 1").execute());
        } catch (Exception e) {
            throw new AssertionError("the cluster tests cannot reach PostgreSQL at " + TestRelay.pgUrl() + ": "
                    + e.getMessage() + "\n" + TestPostgres.howToProvide(), e);
        }
    }

    /** Whether the store holds the event, asked of PostgreSQL directly. */
    boolean stored(String eventId) throws Exception {
        return await(pg.preparedQuery("SELECT count(*) FROM " + schema + ".events WHERE id = $1")
                .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(dev.strata.model.Hex.decode(eventId)))))
                .iterator().next().getLong(0) == 1;
    }

    /** The live subscriptions each fanout node reports, by node name. */
    Map<String, Integer> liveSubscriptions() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Node n : nodes.values()) {
            if (n.roles.contains("fanout") && n.alive()) {
                JsonObject h = n.health();
                counts.put(n.name, h == null ? -1 : h.getInteger("live_subscriptions"));
            }
        }
        return counts;
    }

    static <T> T await(io.vertx.core.Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        for (Process p : launched) {
            p.destroyForcibly();
        }
        for (Process p : launched) {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a cluster node did not die");
        }
        Runtime.getRuntime().removeShutdownHook(killAll);
        try {
            if (pg != null) {
                await(pg.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
            }
        } finally {
            await(vertx.close());
        }
    }
}
