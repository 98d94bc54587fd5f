package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.strata.relay.EmbeddedRelay;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every scenario, a few seconds each, through the command line's own entry point against a real relay started in
 * this JVM: each must report throughput above zero and, for fanout, no lost, duplicated or unexpected delivery.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScenariosSmokeTest {
    @TempDir
    static Path dir;
    static EmbeddedRelay relay;
    static String url;
    static Path storedCorpus;
    static Path liveCorpus;

    @BeforeAll
    static void start() throws Exception {
        relay = EmbeddedRelay.start(Map.of(
                "server.host", "127.0.0.1",
                "server.port", String.valueOf(freePort()),
                "server.gateway_instances", "2",
                // Pings every 2 s, and a connection that missed a pong is closed: holding idle connections for 5 s
                // shows the harness answers them.
                "websocket.ping_interval_seconds", "2",
                "store.data_dir", dir.resolve("store").toString())).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        url = "ws://127.0.0.1:" + relay.port() + "/";
        storedCorpus = dir.resolve("stored.jsonl");
        liveCorpus = dir.resolve("live.jsonl");
        run("corpus", "--out", storedCorpus.toString(), "--events", "1500", "--seed", "1", "--authors", "100");
        run("corpus", "--out", liveCorpus.toString(), "--events", "600", "--seed", "2", "--authors", "100");
    }

    @AfterAll
    static void stop() throws Exception {
        if (relay != null) {
            relay.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void ingestPublishesTheCorpusAndCountsOks() throws Exception {
        JsonObject report = run("ingest", "--url", url, "--corpus", storedCorpus.toString(), "--events", "800",
                "--connections", "4", "--window", "50", "--duration", "10");
        JsonObject r = report.getJsonObject("results");
        assertTrue(report.getBoolean("passed"), report.encodePrettily());
        assertEquals(800, r.getLong("oks"));
        assertTrue(r.getDouble("oks_per_second") > 0);
        assertEquals(800, r.getJsonObject("ok_latency").getLong("count"));
    }

    @Test
    void queryReturnsEventsUntilEose() throws Exception {
        JsonObject report = run("query", "--url", url, "--corpus", storedCorpus.toString(), "--load", "1500",
                "--rate", "60", "--duration", "3", "--connections", "2");
        JsonObject r = report.getJsonObject("results");
        assertTrue(report.getBoolean("passed"), report.encodePrettily());
        assertTrue(r.getLong("eose") > 100, r.encodePrettily());
        assertTrue(r.getDouble("events_per_second") > 0, r.encodePrettily());
        assertEquals(0, r.getLong("unanswered"));
    }

    @Test
    void fanoutDeliversEveryEventToEveryMatchingSubscriptionOnce() throws Exception {
        JsonObject report = run("fanout", "--url", url, "--corpus", liveCorpus.toString(), "--subscriptions", "300",
                "--subs-per-connection", "10", "--rate", "150", "--duration", "3", "--drain", "15");
        JsonObject r = report.getJsonObject("results");
        assertTrue(report.getBoolean("passed"), report.encodePrettily());
        assertTrue(r.getLong("delivered") > 0, r.encodePrettily());
        assertEquals(r.getLong("expected_deliveries"), r.getLong("delivered"));
        assertEquals(0, r.getLong("missed"));
        assertEquals(0, r.getLong("duplicated"));
        assertEquals(0, r.getLong("unexpected"));
    }

    @Test
    void connectionsAreHeldAndMeasured() throws Exception {
        long pid = ProcessHandle.current().pid();
        JsonObject report = run("connections", "--url", url, "--relay-pid", String.valueOf(pid), "--connections",
                "200", "--hold", "5");
        JsonObject r = report.getJsonObject("results");
        assertTrue(report.getBoolean("passed"), report.encodePrettily());
        assertEquals(200, r.getInteger("established"));
        assertEquals(0, r.getInteger("closed_by_relay_during_hold"));
        assertTrue(r.getJsonObject("relay_rss_kib").getLong("after_hold") > 0);
    }

    /** The command line's entry point, with results in the temporary directory; checks the file was written. */
    static JsonObject run(String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        if (!args[0].equals("corpus")) {
            all.addAll(List.of("--results-dir", dir.resolve("results").toString()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonObject report = Main.execute(all.toArray(new String[0]), new PrintStream(out, true,
                StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        if (!args[0].equals("corpus")) {
            String file = printed.substring(printed.lastIndexOf("results: ") + 9).trim();
            assertEquals(report.getString("scenario"), new JsonObject(Files.readString(Path.of(file)))
                    .getString("scenario"));
        }
        return report;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
