package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Json;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * {@code query}: after optionally loading the first M corpus events (an ingest run), C connections send REQs of
 * the {@link QueryMix} at a total rate R, each keeping at most W REQs open, and CLOSE each subscription at its
 * EOSE. Reports time to EOSE (from the moment the REQ was due, and from its actual send) and events returned.
 */
final class QueryScenario {
    /**
     * @param load       corpus events to publish first (0: assume the relay has them)
     * @param loaded     queries are drawn from the first this many corpus events
     */
    record Plan(IngestScenario.Plan load, int loaded, int connections, double rate, int window, int requests,
                long durationSeconds, long warmupSeconds, String mix, int limit, long seed) {
    }

    private QueryScenario() {
    }

    static Plan plan(Options o, Corpus corpus) {
        int load = o.integer("load", 0, 0, corpus.size());
        IngestScenario.Plan loadPlan = load == 0 ? null : new IngestScenario.Plan(0, load,
                o.integer("load-connections", 4, 1, 10_000), o.integer("load-window", 50, 1, 100_000), 0,
                o.longValue("load-duration", 600, 1, 86_400));
        double rate = o.decimal("rate", 100, 0.1, 1_000_000);
        long duration = o.longValue("duration", 30, 1, 86_400);
        long warmup = o.longValue("warmup", 0, 0, duration - 1);
        Plan plan = new Plan(loadPlan, o.integer("loaded", load > 0 ? load : corpus.size(), 1, corpus.size()),
                o.integer("connections", 4, 1, 10_000), rate,
                o.integer("window", 8, 1, 10_000),
                o.integer("requests", (int) Math.min(Integer.MAX_VALUE, Math.ceil(rate * duration)), 1,
                        Integer.MAX_VALUE),
                duration, warmup, o.string("mix", QueryMix.DEFAULT), o.integer("limit", 500, 0, 1_000_000),
                o.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE));
        QueryMix.parse(plan.mix());
        return plan;
    }

    static Outcome run(Harness h, Corpus corpus, Plan plan) {
        Outcome loadOutcome = null;
        if (plan.load() != null) {
            loadOutcome = IngestScenario.run(h, corpus, plan.load());
            if (!loadOutcome.passed()) {
                return new Outcome(new JsonObject().put("load", loadOutcome.results()), loadOutcome.table(), false,
                        "loading failed: " + loadOutcome.verdict());
            }
        }
        QueryMix mix = new QueryMix(corpus, plan.loaded(), plan.mix(), plan.limit());
        Outcome outcome = run(h, mix, plan);
        if (loadOutcome != null) {
            outcome.results().put("load", loadOutcome.results());
            List<String[]> table = new ArrayList<>();
            for (String[] row : loadOutcome.table()) {
                table.add(new String[] {"load: " + row[0], row[1]});
            }
            table.addAll(outcome.table());
            return new Outcome(outcome.results(), table, outcome.passed(), outcome.verdict());
        }
        return outcome;
    }

    static Outcome run(Harness h, QueryMix mix, Plan plan) {
        List<Querier> queriers = new ArrayList<>();
        List<Future<RelaySocket>> opened = new ArrayList<>();
        for (int c = 0; c < plan.connections(); c++) {
            Querier q = new Querier(mix, plan, c);
            queriers.add(q);
            opened.add(RelaySocket.connect(h.client(), h.gateway(c), h.loops.next(), q::onMessage)
                    .onSuccess(s -> q.socket = s));
        }
        Main.await(Future.join(opened), 60, "opening " + plan.connections() + " connections");
        int failedToOpen = 0;
        long start = System.nanoTime();
        List<Future<Void>> done = new ArrayList<>();
        for (int c = 0; c < queriers.size(); c++) {
            if (opened.get(c).succeeded()) {
                done.add(queriers.get(c).start(h, start));
            } else {
                failedToOpen++;
            }
        }
        Main.await(Future.join(done), plan.durationSeconds() + IngestScenario.GRACE_SECONDS + 30, "querying");
        return report(plan, queriers, start, failedToOpen, opened);
    }

    private static Outcome report(Plan plan, List<Querier> queriers, long start, int failedToOpen,
                                  List<Future<RelaySocket>> opened) {
        long sent = 0;
        long completed = 0;
        long events = 0;
        long unanswered = 0;
        long last = start;
        Map<String, Long> closed = new TreeMap<>();
        Map<QueryMix.Shape, List<Histogram>> byShape = new EnumMap<>(QueryMix.Shape.class);
        Map<QueryMix.Shape, long[]> countsByShape = new EnumMap<>(QueryMix.Shape.class);
        List<Histogram> fromDue = new ArrayList<>();
        List<Histogram> fromSend = new ArrayList<>();
        List<Histogram> warmups = new ArrayList<>();
        long warmupCompleted = 0;
        List<String> closedByRelay = new ArrayList<>();
        for (Querier q : queriers) {
            sent += q.sent;
            completed += q.completed;
            events += q.events;
            unanswered += q.unanswered;
            last = Math.max(last, q.lastEoseNanos);
            q.closed.forEach((k, v) -> closed.merge(k, v, Long::sum));
            fromDue.add(q.timeToEose);
            fromSend.add(q.timeToEoseFromSend);
            warmups.add(q.warmupTimeToEose);
            warmupCompleted += q.warmupCompleted;
            q.byShape.forEach((s, hist) -> byShape.computeIfAbsent(s, x -> new ArrayList<>()).add(hist));
            q.countsByShape.forEach((s, c) -> {
                long[] sum = countsByShape.computeIfAbsent(s, x -> new long[2]);
                sum[0] += c[0];
                sum[1] += c[1];
            });
            if (q.closedByRelay != null) {
                closedByRelay.add(q.closedByRelay);
            }
        }
        double seconds = Math.max(1e-9, (last - start) / 1e9);
        Histogram due = Latency.merge(fromDue);
        Histogram send = Latency.merge(fromSend);
        Histogram warm = Latency.merge(warmups);
        JsonObject shapes = new JsonObject();
        Outcome.Table t = new Outcome.Table()
                .row("connections × REQs open", plan.connections() + " × " + plan.window() + " at "
                        + plan.rate() + " REQ/s, limit " + plan.limit() + ", first " + plan.loaded() + " events")
                .row("REQs sent / planned", sent + " / " + plan.requests())
                .row("EOSE/s", String.format(Locale.ROOT, "%.1f", completed / seconds))
                .row("events returned/s", String.format(Locale.ROOT, "%.0f (%d in all)", events / seconds, events))
                .row("warm-up (not in the figures below)", plan.warmupSeconds() == 0 ? "none"
                        : "first " + plan.warmupSeconds() + " s, " + warmupCompleted + " REQs, from due "
                        + Latency.summary(warm))
                .row("time to EOSE (from due)", Latency.summary(due))
                .row("time to EOSE (from send)", Latency.summary(send));
        for (Map.Entry<QueryMix.Shape, List<Histogram>> e : byShape.entrySet()) {
            Histogram hs = Latency.merge(e.getValue());
            long[] c = countsByShape.get(e.getKey());
            String name = e.getKey().name().toLowerCase(Locale.ROOT);
            shapes.put(name, Latency.toJson(hs).put("events", c[1])
                    .put("events_per_req", c[0] == 0 ? 0 : IngestScenario.round((double) c[1] / c[0])));
            t.row("  " + name, String.format(Locale.ROOT, "%s · %.1f events/REQ", Latency.summary(hs),
                    c[0] == 0 ? 0.0 : (double) c[1] / c[0]));
        }
        t.row("CLOSED by prefix", closed.isEmpty() ? "none" : closed.toString()).row("unanswered", unanswered)
                .row("elapsed", String.format(Locale.ROOT, "%.2f s", seconds));
        if (failedToOpen > 0) {
            t.row("connections failed", failedToOpen + " (" + IngestScenario.firstFailure(opened) + ")");
        }
        if (!closedByRelay.isEmpty()) {
            t.row("closed by relay", closedByRelay.toString());
        }
        JsonObject closedJson = new JsonObject();
        closed.forEach(closedJson::put);
        JsonObject results = new JsonObject()
                .put("requests_planned", plan.requests())
                .put("sent", sent)
                .put("eose", completed)
                .put("closed", closedJson)
                .put("unanswered", unanswered)
                .put("events_returned", events)
                .put("seconds", IngestScenario.round(seconds))
                .put("eose_per_second", IngestScenario.round(completed / seconds))
                .put("events_per_second", IngestScenario.round(events / seconds))
                .put("warmup_seconds", plan.warmupSeconds())
                .put("warmup_eose", warmupCompleted)
                .put("warmup_time_to_eose_from_due", Latency.toJson(warm))
                .put("time_to_eose_from_due", Latency.toJson(due))
                .put("time_to_eose_from_send", Latency.toJson(send))
                .put("by_shape", shapes)
                .put("connections_failed", failedToOpen)
                .put("connections_closed_by_relay", new JsonArray(new ArrayList<>(closedByRelay)));
        String verdict = completed == 0 ? "no EOSE received" : events == 0 ? "no events returned"
                : failedToOpen > 0 ? "connections failed" : unanswered > 0 ? unanswered + " REQs never answered"
                : "ok";
        return new Outcome(results, t.rows(), verdict.equals("ok"), verdict);
    }

    /** One connection's REQs; lives on its socket's event loop. */
    private static final class Querier {
        private record Open(QueryMix.Shape shape, long due, long sentAt, int[] events) {
        }

        private final QueryMix mix;
        private final Plan plan;
        private final int connection;
        private final SplittableRandom rng;
        private final int quota;
        private final double perConnectionRate;
        private final Map<String, Open> open = new HashMap<>();
        final Map<String, Long> closed = new TreeMap<>();
        final Histogram timeToEose = Latency.histogram();
        final Histogram timeToEoseFromSend = Latency.histogram();
        /** REQs due in the first {@code --warmup} seconds: both JVMs still compiling, kept out of the figures. */
        final Histogram warmupTimeToEose = Latency.histogram();
        long warmupCompleted;
        final Map<QueryMix.Shape, Histogram> byShape = new EnumMap<>(QueryMix.Shape.class);
        final Map<QueryMix.Shape, long[]> countsByShape = new EnumMap<>(QueryMix.Shape.class);
        private final Promise<Void> done = Promise.promise();
        RelaySocket socket;
        private Harness harness;
        private long start;
        private Wakeup wakeup;
        private boolean stopping;
        long sent;
        long completed;
        long events;
        long unanswered;
        long lastEoseNanos;
        String closedByRelay;

        Querier(QueryMix mix, Plan plan, int connection) {
            this.mix = mix;
            this.plan = plan;
            this.connection = connection;
            this.rng = new SplittableRandom(plan.seed() * 31 + connection);
            int c = plan.connections();
            this.quota = plan.requests() / c + (connection < plan.requests() % c ? 1 : 0);
            this.perConnectionRate = plan.rate() / c;
        }

        Future<Void> start(Harness h, long startNanos) {
            this.harness = h;
            socket.context.runOnContext(v -> {
                start = startNanos;
                socket.closed().onComplete(x -> {
                    if (socket.closedByRelay()) {
                        closedByRelay = socket.closeDescription();
                        finish();
                    }
                });
                h.vertx.setTimer(TimeUnit.SECONDS.toMillis(plan.durationSeconds()), id -> stop());
                wakeup = new Wakeup(h.vertx, this::fill);
                fill();
                finishIfDone();
            });
            return done.future();
        }

        private void fill() {
            while (!stopping && sent < quota && open.size() < plan.window()) {
                long due = start + (long) (sent * 1e9 / perConnectionRate);
                long now = System.nanoTime();
                if (due > now) {
                    wakeup.at(due);
                    return;
                }
                QueryMix.Shape shape = mix.pick(rng);
                String sub = "q" + connection + "-" + sent;
                open.put(sub, new Open(shape, due, now, new int[1]));
                sent++;
                socket.send("[\"REQ\"," + Json.quote(sub) + "," + mix.filter(shape, rng).toJson() + "]");
            }
        }

        void onMessage(Inbound m) {
            if (m.verb() == Inbound.Verb.EVENT) {
                Open q = open.get(m.subscriptionId());
                if (q != null) {
                    q.events()[0]++;
                }
            } else if (m.verb() == Inbound.Verb.EOSE) {
                Open q = open.remove(m.subscriptionId());
                if (q == null) {
                    return;
                }
                long now = System.nanoTime();
                lastEoseNanos = now;
                if (q.due() - start < TimeUnit.SECONDS.toNanos(plan.warmupSeconds())) {
                    Latency.recordNanos(warmupTimeToEose, now - q.due());
                    warmupCompleted++;
                } else {
                    Latency.recordNanos(timeToEose, now - q.due());
                    Latency.recordNanos(timeToEoseFromSend, now - q.sentAt());
                    Latency.recordNanos(byShape.computeIfAbsent(q.shape(), s -> Latency.histogram()),
                            now - q.due());
                }
                long[] c = countsByShape.computeIfAbsent(q.shape(), s -> new long[2]);
                c[0]++;
                c[1] += q.events()[0];
                completed++;
                events += q.events()[0];
                // NIP-01: the subscription stays open for live events until CLOSE.
                socket.send("[\"CLOSE\"," + Json.quote(m.subscriptionId()) + "]");
                fill();
                finishIfDone();
            } else if (m.verb() == Inbound.Verb.CLOSED) {
                if (open.remove(m.subscriptionId()) != null) {
                    closed.merge(IngestScenario.prefixOrText(m.message()), 1L, Long::sum);
                    lastEoseNanos = System.nanoTime();
                    fill();
                    finishIfDone();
                }
            }
        }

        private void stop() {
            stopping = true;
            harness.vertx.setTimer(TimeUnit.SECONDS.toMillis(IngestScenario.GRACE_SECONDS), id -> finish());
            finishIfDone();
        }

        private void finishIfDone() {
            if ((stopping || sent == quota) && open.isEmpty()) {
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
            unanswered = open.size();
            socket.close().onComplete(v -> done.tryComplete());
        }
    }
}
