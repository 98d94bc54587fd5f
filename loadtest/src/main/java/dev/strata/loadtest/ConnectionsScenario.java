package dev.strata.loadtest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Hex;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * {@code connections}: opens K connections at a bounded rate, each with one REQ ({@code limit: 0}, an author that
 * never posts, so it stays idle), holds them, and measures the relay's resident memory before and after: the
 * memory an idle connection with a subscription costs. Vert.x answers the relay's pings, so a relay that pings
 * keeps every connection.
 */
final class ConnectionsScenario {
    /** Connections in their handshake at once: more would overflow the relay's accept backlog. */
    private static final int DEFAULT_PENDING = 256;

    private ConnectionsScenario() {
    }

    record Plan(int count, long holdSeconds, double openRate, int maxPending, List<String> sources) {
    }

    static Plan plan(Options o, Target target) {
        int count = o.integer("connections", 1000, 1, 1_000_000);
        return new Plan(count, o.longValue("hold", 60, 0, 86_400), o.decimal("open-rate", 1000, 1, 1_000_000),
                o.integer("max-pending", DEFAULT_PENDING, 1, 100_000),
                sourceAddresses(o.string("source-addresses", "auto"), count, target));
    }

    static Outcome run(Harness h, Plan plan, long relayPid) {
        int count = plan.count();
        long holdSeconds = plan.holdSeconds();
        double openRate = plan.openRate();
        int maxPending = plan.maxPending();
        List<String> sources = plan.sources();
        long openSeconds = (long) Math.ceil(count / openRate) + 60;

        long relayBefore = ProcessMemory.rssKiB(relayPid);
        long clientBefore = ProcessMemory.selfRssKiB();
        Opener opener = new Opener(h, count, openRate, maxPending, sources);
        long openStart = System.nanoTime();
        Main.await(opener.open(openSeconds), openSeconds + 30, "opening " + count + " connections");
        double openedIn = (System.nanoTime() - openStart) / 1e9;
        long relayEstablished = ProcessMemory.rssKiB(relayPid);

        Promise<Void> held = Promise.promise();
        h.vertx.setTimer(Math.max(1, TimeUnit.SECONDS.toMillis(holdSeconds)), id -> held.complete());
        Main.await(held.future(), holdSeconds + 30, "holding the connections");
        long relayHeld = ProcessMemory.rssKiB(relayPid);
        long clientHeld = ProcessMemory.selfRssKiB();
        int lostDuringHold = opener.closedByRelay();
        String closeExample = opener.closeExample();

        List<Future<Void>> closing = opener.closeAll();
        Main.await(Future.join(closing), 60, "closing the connections");
        long relayAfterClose = ProcessMemory.rssKiB(relayPid);

        int established = opener.established;
        double perConnection = relayBefore > 0 && relayHeld > 0 && established > 0
                ? (relayHeld - relayBefore) * 1024.0 / established : -1;
        double clientPerConnection = clientBefore > 0 && established > 0
                ? (clientHeld - clientBefore) * 1024.0 / established : -1;
        JsonObject refused = new JsonObject();
        opener.refused.forEach(refused::put);
        JsonObject results = new JsonObject()
                .put("connections_planned", count)
                .put("established", established)
                .put("failed", opener.failed)
                .put("subscriptions_refused", refused)
                .put("closed_by_relay_during_hold", lostDuringHold)
                .put("open_seconds", IngestScenario.round(openedIn))
                .put("hold_seconds", holdSeconds)
                .put("source_addresses", new JsonArray(new ArrayList<>(sources)))
                .put("connect_latency", Latency.toJson(opener.connectTimes()))
                .put("req_to_eose", Latency.toJson(opener.eoseTimes()))
                .put("relay_pid", relayPid)
                .put("relay_rss_kib", new JsonObject().put("before", relayBefore).put("established", relayEstablished)
                        .put("after_hold", relayHeld).put("after_close", relayAfterClose))
                .put("relay_rss_bytes_per_connection", Math.round(perConnection))
                .put("client_rss_kib", new JsonObject().put("before", clientBefore).put("after_hold", clientHeld))
                .put("client_rss_bytes_per_connection", Math.round(clientPerConnection));
        Outcome.Table t = new Outcome.Table()
                .row("connections established / planned", established + " / " + count + String.format(Locale.ROOT,
                        " in %.1f s (%s source address%s)", openedIn, sources.isEmpty() ? "default"
                                : String.valueOf(sources.size()), sources.size() == 1 ? "" : "es"))
                .row("connect", Latency.summary(opener.connectTimes()))
                .row("REQ → EOSE", Latency.summary(opener.eoseTimes()))
                .row("held", holdSeconds + " s, " + lostDuringHold + " closed by the relay"
                        + (closeExample == null ? "" : " (e.g. " + closeExample + ")"))
                .row("relay RSS before → held → closed", relayPid <= 0 ? "no --relay-pid given"
                        : mib(relayBefore) + " → " + mib(relayHeld) + " → " + mib(relayAfterClose))
                .row("relay RSS per connection", perConnection < 0 ? "n/a"
                        : String.format(Locale.ROOT, "%.1f KiB", perConnection / 1024))
                .row("client RSS before → held", mib(clientBefore) + " → " + mib(clientHeld) + String.format(
                        Locale.ROOT, " (%.1f KiB per connection)", clientPerConnection / 1024));
        if (opener.failed > 0) {
            t.row("connections failed", opener.failed + " (" + opener.firstFailure + ")");
        }
        if (!opener.refused.isEmpty()) {
            t.row("REQ refused", opener.refused.toString());
        }
        String verdict = established == 0 ? "no connection established"
                : opener.failed > 0 ? opener.failed + " connections failed"
                : !opener.refused.isEmpty() ? "subscriptions refused"
                : lostDuringHold > 0 ? lostDuringHold + " connections closed by the relay while idle" : "ok";
        return new Outcome(results, t.rows(), verdict.equals("ok"), verdict);
    }

    private static String mib(long kib) {
        return kib < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
    }

    /**
     * Local addresses to connect from. One address gives about as many connections as the ephemeral port range
     * (ip_local_port_range) holds; past half of it (ports in TIME_WAIT from earlier runs count too) "auto" spreads
     * over 127.0.0.1, 127.0.0.2, ... when the relay is on loopback. An explicit list is used as given.
     */
    static List<String> sourceAddresses(String option, int connections, Target target) {
        if (!option.equals("auto")) {
            List<String> list = new ArrayList<>();
            for (String a : option.split(",")) {
                if (!a.isBlank()) {
                    list.add(a.trim());
                }
            }
            return list;
        }
        int perAddress = Math.max(1000, ephemeralPorts() / 2);
        int needed = (connections + perAddress - 1) / perAddress;
        if (needed <= 1 || !target.isLoopback() || !target.host().startsWith("127.")) {
            return List.of();
        }
        List<String> list = new ArrayList<>();
        for (int k = 1; k <= Math.min(needed, 254); k++) {
            list.add("127.0.0." + k);
        }
        return list;
    }

    private static int ephemeralPorts() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        } catch (IOException | RuntimeException e) {
            return 28_232; // Linux default 32768-60999
        }
    }

    /** Opens the connections at the rate, at most {@code maxPending} in their handshake and REQ at once. */
    private static final class Opener {
        private final Harness h;
        private final int count;
        private final double rate;
        private final int maxPending;
        private final List<String> sources;
        private final Context control;
        private final List<Idle> idle = new ArrayList<>();
        private final Promise<Void> opened = Promise.promise();
        final Map<String, Long> refused = new TreeMap<>();
        private final Histogram connectTimes = Latency.histogram();
        private final Histogram eoseTimes = Latency.histogram();
        private int started;
        private int pendingCount;
        int established;
        int failed;
        String firstFailure = "";
        private long start;

        Opener(Harness h, int count, double rate, int maxPending, List<String> sources) {
            this.h = h;
            this.count = count;
            this.rate = rate;
            this.maxPending = maxPending;
            this.sources = sources;
            this.control = h.loops.next();
        }

        /** All the counters above are touched on the control context only. */
        Future<Void> open(long maxSeconds) {
            control.runOnContext(v -> {
                start = System.nanoTime();
                long timer = h.vertx.setPeriodic(1, 5, id -> step());
                h.vertx.setTimer(TimeUnit.SECONDS.toMillis(maxSeconds), id -> {
                    h.vertx.cancelTimer(timer);
                    opened.tryComplete();
                });
                opened.future().onComplete(x -> h.vertx.cancelTimer(timer));
                step();
            });
            return opened.future();
        }

        private void step() {
            long due = Math.min(count, (long) ((System.nanoTime() - start) / 1e9 * rate) + 1);
            while (started < due && pendingCount < maxPending) {
                int n = started++;
                pendingCount++;
                String source = sources.isEmpty() ? null : sources.get(n % sources.size());
                Idle c = new Idle(n);
                idle.add(c);
                c.connect(h, h.client(source)).onComplete(ar -> control.runOnContext(v -> settled(c, ar.cause())));
            }
        }

        private void settled(Idle c, Throwable failure) {
            pendingCount--;
            if (c.connectNanos >= 0) {
                Latency.recordNanos(connectTimes, c.connectNanos);
            }
            if (c.eoseNanos >= 0) {
                Latency.recordNanos(eoseTimes, c.eoseNanos);
            }
            if (failure != null) {
                failed++;
                if (firstFailure.isEmpty()) {
                    firstFailure = String.valueOf(failure.getMessage());
                }
            } else if (c.refusal != null) {
                refused.merge(IngestScenario.prefixOrText(c.refusal), 1L, Long::sum);
            } else {
                established++;
            }
            if (started == count && pendingCount == 0) {
                opened.tryComplete();
            } else {
                step();
            }
        }

        int closedByRelay() {
            int n = 0;
            for (Idle c : idle) {
                n += c.socket != null && c.socket.closedByRelay() ? 1 : 0;
            }
            return n;
        }

        String closeExample() {
            for (Idle c : idle) {
                if (c.socket != null && c.socket.closedByRelay()) {
                    return c.socket.closeDescription();
                }
            }
            return null;
        }

        List<Future<Void>> closeAll() {
            List<Future<Void>> closing = new ArrayList<>();
            for (Idle c : idle) {
                if (c.socket != null) {
                    Promise<Void> p = Promise.promise();
                    c.socket.context.runOnContext(v -> c.socket.close().onComplete(p));
                    closing.add(p.future());
                }
            }
            return closing;
        }

        Histogram connectTimes() {
            return connectTimes;
        }

        Histogram eoseTimes() {
            return eoseTimes;
        }
    }

    /** One idle connection with one subscription. */
    private static final class Idle {
        private final int n;
        private final Promise<Void> ready = Promise.promise();
        volatile RelaySocket socket;
        volatile String refusal;
        /** Handshake and REQ-to-EOSE times, in nanoseconds; read once the connection has settled. */
        volatile long connectNanos = -1;
        volatile long eoseNanos = -1;
        private long sentAt;

        Idle(int n) {
            this.n = n;
        }

        Future<Void> connect(Harness h, WebSocketClient client) {
            long begin = System.nanoTime();
            return RelaySocket.connect(client, h.target, h.loops.next(), this::onMessage).compose(s -> {
                socket = s;
                sentAt = System.nanoTime();
                connectNanos = sentAt - begin;
                // An author nobody posts as: the subscription stays idle.
                String author = Hex.encode(ByteBuffer.allocate(32).putLong(24, 0x5eed0000L + n).array());
                s.send("[\"REQ\",\"idle\",{\"authors\":[\"" + author + "\"],\"kinds\":[1],\"limit\":0}]");
                return ready.future();
            });
        }

        void onMessage(Inbound m) {
            if (m.verb() == Inbound.Verb.EOSE) {
                eoseNanos = System.nanoTime() - sentAt;
                ready.tryComplete();
            } else if (m.verb() == Inbound.Verb.CLOSED) {
                refusal = m.message();
                ready.tryComplete();
            }
        }
    }
}
