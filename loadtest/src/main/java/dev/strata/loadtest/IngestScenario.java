package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * {@code ingest}: C connections publish a slice of the corpus, each keeping at most W events awaiting their OK
 * (as fast as the relay acknowledges), or at a fixed total rate. Connection c sends events from, from+c,
 * from+c+C, ... so the relay sees the corpus roughly in created_at order.
 *
 * <p>Latency is from the send to the OK. At a fixed rate it is from the moment the event was due, so a relay that
 * stalls the window is charged for the wait (no coordinated omission).
 */
final class IngestScenario {
    /** After the deadline, how long events already sent may take to be answered. */
    static final long GRACE_SECONDS = 10;

    record Plan(int from, int count, int connections, int window, double rate, long durationSeconds) {
    }

    private IngestScenario() {
    }

    static Plan plan(Options o, Corpus corpus) {
        int from = o.integer("from", 0, 0, corpus.size() - 1);
        int count = o.integer("events", corpus.size() - from, 1, corpus.size() - from);
        return new Plan(from, count, o.integer("connections", 4, 1, 10_000), o.integer("window", 50, 1, 100_000),
                o.decimal("rate", 0, 0, 10_000_000), o.longValue("duration", 300, 1, 86_400));
    }

    static Outcome run(Harness h, Corpus corpus, Plan plan) {
        List<Publisher> publishers = new ArrayList<>();
        List<Future<RelaySocket>> opened = new ArrayList<>();
        for (int c = 0; c < plan.connections(); c++) {
            Publisher p = new Publisher(corpus, plan, c);
            publishers.add(p);
            opened.add(RelaySocket.connect(h.client(), h.gateway(c), h.loops.next(), p::onMessage)
                    .onSuccess(s -> p.socket = s));
        }
        Main.await(Future.join(opened), 60, "opening " + plan.connections() + " connections");
        int failedToOpen = 0;
        for (Future<RelaySocket> f : opened) {
            failedToOpen += f.failed() ? 1 : 0;
        }
        long start = System.nanoTime();
        List<Future<Void>> done = new ArrayList<>();
        for (Publisher p : publishers) {
            if (p.socket != null) {
                done.add(p.start(h, start));
            }
        }
        Main.await(Future.join(done), plan.durationSeconds() + GRACE_SECONDS + 30, "publishing");
        return report(plan, publishers, start, failedToOpen, opened);
    }

    private static Outcome report(Plan plan, List<Publisher> publishers, long start, int failedToOpen,
                                  List<Future<RelaySocket>> opened) {
        long sent = 0;
        long oks = 0;
        long accepted = 0;
        long duplicates = 0;
        long unanswered = 0;
        long unmatched = 0;
        long notices = 0;
        long lastOk = start;
        Map<String, Long> rejects = new TreeMap<>();
        List<Histogram> parts = new ArrayList<>();
        JsonArray closedByRelay = new JsonArray();
        for (Publisher p : publishers) {
            sent += p.sent;
            oks += p.oks;
            accepted += p.accepted;
            duplicates += p.duplicates;
            unanswered += p.unanswered;
            unmatched += p.unmatched;
            notices += p.notices;
            lastOk = Math.max(lastOk, p.lastOkNanos);
            p.rejects.forEach((k, v) -> rejects.merge(k, v, Long::sum));
            parts.add(p.latency);
            if (p.closedByRelay != null) {
                closedByRelay.add(p.closedByRelay);
            }
        }
        Histogram latency = Latency.merge(parts);
        double seconds = Math.max(1e-9, (lastOk - start) / 1e9);
        JsonObject rejected = new JsonObject();
        rejects.forEach(rejected::put);
        JsonObject results = new JsonObject()
                .put("events_planned", plan.count())
                .put("sent", sent)
                .put("oks", oks)
                .put("accepted", accepted)
                .put("duplicates", duplicates)
                .put("rejected", rejected)
                .put("unanswered", unanswered)
                .put("unmatched_oks", unmatched)
                .put("notices", notices)
                .put("seconds", round(seconds))
                .put("oks_per_second", round(oks / seconds))
                .put("accepted_per_second", round(accepted / seconds))
                .put("ok_latency", Latency.toJson(latency))
                .put("connections_failed", failedToOpen)
                .put("connections_closed_by_relay", closedByRelay);
        Outcome.Table t = new Outcome.Table()
                .row("connections × window", plan.connections() + " × " + plan.window()
                        + (plan.rate() > 0 ? " at " + plan.rate() + " events/s" : " (as fast as acknowledged)"))
                .row("events sent / planned", sent + " / " + plan.count())
                .row("OK/s (accepted/s)", String.format(Locale.ROOT, "%.0f (%.0f)", oks / seconds, accepted / seconds))
                .row("OK latency", Latency.summary(latency))
                .row("accepted / duplicate", accepted + " / " + duplicates)
                .row("rejected by prefix", rejects.isEmpty() ? "none" : rejects.toString())
                .row("unanswered", unanswered)
                .row("elapsed", String.format(Locale.ROOT, "%.2f s", seconds));
        if (failedToOpen > 0) {
            t.row("connections failed", failedToOpen + " (" + firstFailure(opened) + ")");
        }
        if (!closedByRelay.isEmpty()) {
            t.row("closed by relay", closedByRelay.encode());
        }
        String verdict = oks == 0 ? "no OK received" : failedToOpen > 0 ? "connections failed"
                : unanswered > 0 ? unanswered + " events never answered" : "ok";
        return new Outcome(results, t.rows(), verdict.equals("ok"), verdict);
    }

    static String firstFailure(List<? extends Future<?>> futures) {
        for (Future<?> f : futures) {
            if (f.failed()) {
                return String.valueOf(f.cause().getMessage());
            }
        }
        return "";
    }

    static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }

    /** One connection's share of the corpus; lives on its socket's event loop. */
    private static final class Publisher {
        private final Corpus corpus;
        private final Plan plan;
        private final int connection;
        /** Event id to the time its latency counts from. */
        private final Map<String, Long> inFlight = new HashMap<>();
        private final Map<String, Long> rejects = new TreeMap<>();
        private final Histogram latency = Latency.histogram();
        private final Promise<Void> done = Promise.promise();
        private final int quota;
        private final double perConnectionRate;
        RelaySocket socket;
        private Harness harness;
        private long start;
        private Wakeup wakeup;
        private boolean stopping;
        long sent;
        long oks;
        long accepted;
        long duplicates;
        long unanswered;
        long unmatched;
        long notices;
        long lastOkNanos;
        String closedByRelay;

        Publisher(Corpus corpus, Plan plan, int connection) {
            this.corpus = corpus;
            this.plan = plan;
            this.connection = connection;
            int c = plan.connections();
            this.quota = plan.count() / c + (connection < plan.count() % c ? 1 : 0);
            this.perConnectionRate = plan.rate() / c;
        }

        Future<Void> start(Harness h, long startNanos) {
            this.harness = h;
            socket.context.runOnContext(v -> {
                start = startNanos;
                socket.closed().onComplete(x -> relayClosed());
                h.vertx.setTimer(TimeUnit.SECONDS.toMillis(plan.durationSeconds()), id -> stop());
                wakeup = new Wakeup(h.vertx, this::fill);
                fill();
                finishIfDone();
            });
            return done.future();
        }

        private void fill() {
            while (!stopping && sent < quota && inFlight.size() < plan.window()) {
                long due = System.nanoTime();
                if (perConnectionRate > 0) {
                    due = start + (long) (sent * 1e9 / perConnectionRate);
                    if (due > System.nanoTime()) {
                        wakeup.at(due);
                        return;
                    }
                }
                int index = plan.from() + connection + (int) sent * plan.connections();
                inFlight.put(corpus.event(index).id(), due);
                sent++;
                socket.send(corpus.publishMessage(index));
            }
        }

        void onMessage(Inbound m) {
            if (m.verb() == Inbound.Verb.OK) {
                Long from = inFlight.remove(m.eventId());
                if (from == null) {
                    unmatched++;
                    return;
                }
                long now = System.nanoTime();
                lastOkNanos = now;
                Latency.recordNanos(latency, now - from);
                oks++;
                if (!m.accepted()) {
                    rejects.merge(prefixOrText(m.message()), 1L, Long::sum);
                } else if (Inbound.prefix(m.message()).equals("duplicate")) {
                    duplicates++;
                } else {
                    accepted++;
                }
                fill();
                finishIfDone();
            } else if (m.verb() == Inbound.Verb.NOTICE) {
                notices++;
            }
        }

        private void stop() {
            stopping = true;
            harness.vertx.setTimer(TimeUnit.SECONDS.toMillis(GRACE_SECONDS), id -> finish());
            finishIfDone();
        }

        private void finishIfDone() {
            if ((stopping || sent == quota) && inFlight.isEmpty()) {
                finish();
            }
        }

        private void relayClosed() {
            if (socket.closedByRelay()) {
                closedByRelay = socket.closeDescription();
                finish();
            }
        }

        private void finish() {
            if (done.future().isComplete()) {
                return;
            }
            if (wakeup != null) {
                wakeup.cancel();
            }
            stopping = true;
            unanswered = inFlight.size();
            socket.close().onComplete(v -> done.tryComplete());
        }
    }

    /** The NIP-01 prefix of a refusal, or the whole message when it has none (other relays' free text). */
    static String prefixOrText(String message) {
        String prefix = Inbound.prefix(message);
        if (!prefix.isEmpty()) {
            return prefix;
        }
        return message == null || message.isEmpty() ? "(no message)" : message.length() > 40
                ? message.substring(0, 40) + "…" : message;
    }
}
