package dev.strata.loadtest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * {@code fanout}: S live subscriptions (several per connection, filters drawn from the corpus: authors, #p, #t,
 * kinds) and one publisher at rate R. Every subscription asks {@code limit: 0}, so only live events reach it; the
 * publisher starts once every subscription has its EOSE. The harness knows, by NIP-01 matching, which
 * subscriptions each accepted event must reach, and counts what is missed, duplicated or unexpected.
 *
 * <p>An event "must reach" a subscription when the relay answered OK true without a {@code duplicate:} prefix (a
 * new event; an event the relay already had is not live) and the subscription's filters match it.
 */
final class FanoutScenario {
    /** Subscriber connections opened at once, so a burst of handshakes does not overflow the relay's backlog. */
    private static final int CONNECT_WAVE = 200;
    private static final long SETUP_SECONDS = 120;
    private static final int[] RARE_KINDS = {0, 3, 4, 6, 9735, 10002, 30000, 30023};

    record Plan(int subscriptions, int perConnection, double rate, int window, int from, int count,
                long durationSeconds, long warmupSeconds, long drainSeconds, long seed) {
        /** Events due in the first {@code --warmup} seconds: their latencies are kept out of the figures. */
        int warmupEvents() {
            return (int) Math.min(count, Math.ceil(rate * warmupSeconds));
        }
    }

    private enum Status { NONE, NEW, DUPLICATE, REJECTED }

    private FanoutScenario() {
    }

    static Plan plan(Options o, Corpus corpus) {
        int subscriptions = o.integer("subscriptions", 1000, 1, 10_000_000);
        double rate = o.decimal("rate", 100, 0.1, 1_000_000);
        long duration = o.longValue("duration", 30, 1, 86_400);
        long warmup = o.longValue("warmup", 0, 0, duration - 1);
        int from = o.integer("from", 0, 0, corpus.size() - 1);
        int byRate = (int) Math.min(corpus.size() - from, Math.ceil(rate * duration));
        Plan plan = new Plan(subscriptions, o.integer("subs-per-connection", 10, 1, 10_000), rate,
                o.integer("window", 50, 1, 100_000), from, o.integer("events", byRate, 1, corpus.size() - from),
                duration, warmup, o.longValue("drain", 5, 0, 3600), o.longValue("seed", 1, Long.MIN_VALUE, Long.MAX_VALUE));
        return plan;
    }

    static Outcome run(Harness h, Corpus corpus, Plan plan) {
        List<List<Filter>> filters = subscriptionFilters(corpus, plan);
        return new Run(h, corpus, plan, filters).execute();
    }

    /** One or two filters per subscription, each drawn from the events to be published so that many match. */
    static List<List<Filter>> subscriptionFilters(Corpus corpus, Plan plan) {
        SplittableRandom rng = new SplittableRandom(plan.seed());
        List<Event> published = new ArrayList<>();
        List<String> ps = new ArrayList<>();
        List<String> ts = new ArrayList<>();
        List<Integer> rareKinds = new ArrayList<>();
        for (int i = plan.from(); i < plan.from() + plan.count(); i++) {
            Event e = corpus.event(i);
            published.add(e);
            for (List<String> tag : e.tags()) {
                if (tag.size() > 1 && tag.get(0).equals("p")) {
                    ps.add(tag.get(1));
                } else if (tag.size() > 1 && tag.get(0).equals("t")) {
                    ts.add(tag.get(1));
                }
            }
            for (int k : RARE_KINDS) {
                if (e.kind() == k) {
                    rareKinds.add(k);
                }
            }
        }
        List<List<Filter>> subs = new ArrayList<>(plan.subscriptions());
        for (int s = 0; s < plan.subscriptions(); s++) {
            List<Filter> fs = new ArrayList<>(2);
            fs.add(filter(rng, published, ps, ts, rareKinds));
            if (rng.nextInt(10) < 3) {
                fs.add(filter(rng, published, ps, ts, rareKinds));
            }
            subs.add(fs);
        }
        return subs;
    }

    private static Filter filter(SplittableRandom rng, List<Event> published, List<String> ps, List<String> ts,
                                 List<Integer> rareKinds) {
        int shape = rng.nextInt(100);
        if (shape >= 35 && shape < 60 && !ps.isEmpty()) {
            Set<String> values = new LinkedHashSet<>();
            for (int n = 1 + rng.nextInt(3); n > 0; n--) {
                values.add(ps.get(rng.nextInt(ps.size())));
            }
            return new Filter(null, null, null, Map.of('p', values), null, null, 0);
        }
        if (shape >= 60 && shape < 85 && !ts.isEmpty()) {
            Set<String> values = new LinkedHashSet<>();
            for (int n = 1 + rng.nextInt(2); n > 0; n--) {
                values.add(ts.get(rng.nextInt(ts.size())));
            }
            return new Filter(null, null, null, Map.of('t', values), null, null, 0);
        }
        if (shape >= 85 && !rareKinds.isEmpty()) {
            // Kinds alone, but only the rarer ones: a kind-1 firehose per subscriber is not what clients ask for.
            return new Filter(null, null, Set.of(rareKinds.get(rng.nextInt(rareKinds.size()))), null, null, null, 0);
        }
        Set<String> authors = new LinkedHashSet<>();
        for (int n = 1 + rng.nextInt(5); n > 0; n--) {
            authors.add(published.get(rng.nextInt(published.size())).pubkey());
        }
        Set<Integer> kinds = rng.nextBoolean() ? null : Set.of(1, 6, 7, 30023);
        return new Filter(null, authors, kinds, null, null, null, 0);
    }

    /** One run's shared state; each connection's own state lives on its event loop. */
    private static final class Run {
        private final Harness h;
        private final Corpus corpus;
        private final Plan plan;
        private final List<List<Filter>> filters;
        private final Map<String, Integer> indexById;
        /** Per planned event: when it went out and when it was due (0 until sent). */
        private final AtomicLongArray sentAt;
        private final AtomicLongArray dueAt;
        /**
         * Per planned event, the subscriptions it must reach (increasing), computed once the subscriptions are set
         * up (leaving out any the relay refused) and before publishing starts: a delivery is then checked by a
         * binary search, and no matching competes with the relay during the run.
         * Volatile: written by the main thread, read by every event loop.
         */
        private volatile int[][] recipientsOf;
        private final AtomicLong expected = new AtomicLong();
        private final AtomicLong deliveredMatching = new AtomicLong();
        private final List<Listener> listeners = new ArrayList<>();

        Run(Harness h, Corpus corpus, Plan plan, List<List<Filter>> filters) {
            this.h = h;
            this.corpus = corpus;
            this.plan = plan;
            this.filters = filters;
            this.indexById = corpus.indexById();
            this.sentAt = new AtomicLongArray(plan.count());
            this.dueAt = new AtomicLongArray(plan.count());
        }

        Outcome execute() {
            long setupStart = System.nanoTime();
            int connections = (plan.subscriptions() + plan.perConnection() - 1) / plan.perConnection();
            for (int c = 0; c < connections; c++) {
                int first = c * plan.perConnection();
                listeners.add(new Listener(this, first, Math.min(plan.subscriptions(), first + plan.perConnection())));
            }
            int failedToOpen = 0;
            String firstFailure = "";
            for (int wave = 0; wave < connections; wave += CONNECT_WAVE) {
                List<Future<RelaySocket>> opened = new ArrayList<>();
                for (int c = wave; c < Math.min(connections, wave + CONNECT_WAVE); c++) {
                    Listener l = listeners.get(c);
                    opened.add(RelaySocket.connect(h.client(), h.gateway(c), h.loops.next(), l::onMessage)
                            .onSuccess(s -> l.socket = s));
                }
                Main.await(Future.join(opened), 60, "opening subscriber connections");
                for (Future<RelaySocket> f : opened) {
                    if (f.failed()) {
                        failedToOpen++;
                        firstFailure = String.valueOf(f.cause().getMessage());
                    }
                }
            }
            List<Future<Void>> subscribed = new ArrayList<>();
            for (Listener l : listeners) {
                if (l.socket != null) {
                    subscribed.add(l.subscribe());
                }
            }
            Main.await(Future.join(subscribed), SETUP_SECONDS, "waiting for every subscription's EOSE");
            double setupSeconds = (System.nanoTime() - setupStart) / 1e9;
            List<List<Filter>> live = new ArrayList<>(filters);
            for (Listener l : listeners) {
                for (int slot = 0; slot < l.count(); slot++) {
                    if (l.socket == null || l.refusal[slot] != null) {
                        live.set(l.first + slot, List.of());
                    }
                }
            }
            Recipients recipients = new Recipients(live);
            recipientsOf = IntStream.range(0, plan.count()).parallel()
                    .mapToObj(k -> recipients.of(corpus.event(plan.from() + k))).toArray(int[][]::new);

            Publisher publisher = new Publisher(this);
            Future<RelaySocket> publisherSocket = RelaySocket.connect(h.client(), h.target, h.loops.next(),
                    publisher::onMessage).onSuccess(s -> publisher.socket = s);
            Main.await(publisherSocket, 30, "opening the publisher's connection");
            long start = System.nanoTime();
            Main.await(publisher.start(start), plan.durationSeconds() + IngestScenario.GRACE_SECONDS + 30,
                    "publishing");
            long published = System.nanoTime();
            Main.await(drained(), plan.drainSeconds() + 30, "waiting for the last deliveries");
            long drainedAt = System.nanoTime();
            List<Future<Void>> closed = new ArrayList<>();
            for (Listener l : listeners) {
                if (l.socket != null) {
                    closed.add(l.close());
                }
            }
            Main.await(Future.join(closed), 30, "closing subscriber connections");
            return report(publisher, start, published, drainedAt, setupSeconds, connections, failedToOpen,
                    firstFailure);
        }

        /** Completes when every expected delivery arrived, or when the drain time is over. */
        private Future<Void> drained() {
            Promise<Void> p = Promise.promise();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(plan.drainSeconds());
            h.loops.next().runOnContext(v -> h.vertx.setPeriodic(1, 10, id -> {
                if (deliveredMatching.get() >= expected.get() || System.nanoTime() >= deadline) {
                    h.vertx.cancelTimer(id);
                    p.tryComplete();
                }
            }));
            return p.future();
        }

        private Outcome report(Publisher pub, long start, long publishedAt, long drainedAt, double setupSeconds,
                               int connections, int failedToOpen, String firstFailure) {
            // Expected recipients per subscription of each new event, against what each subscription received.
            Map<Integer, List<Integer>> expectedBySub = new HashMap<>();
            long expectedTotal = 0;
            for (int k = 0; k < plan.count(); k++) {
                if (pub.status[k] == Status.NEW) {
                    for (int s : recipientsOf[k]) {
                        expectedBySub.computeIfAbsent(s, x -> new ArrayList<>()).add(plan.from() + k);
                        expectedTotal++;
                    }
                }
            }
            long missed = 0;
            long duplicated = 0;
            long unexpected = 0;
            long delivered = 0;
            long storedBeforeEose = 0;
            long foreign = 0;
            long refused = 0;
            long lastDelivery = start;
            Map<String, Long> refusedByPrefix = new TreeMap<>();
            List<String> closedByRelay = new ArrayList<>();
            List<Histogram> fromSend = new ArrayList<>();
            List<Histogram> fromDue = new ArrayList<>();
            List<Histogram> warmupFromDue = new ArrayList<>();
            for (Listener l : listeners) {
                storedBeforeEose += l.storedBeforeEose;
                foreign += l.foreign;
                lastDelivery = Math.max(lastDelivery, l.lastDeliveryNanos);
                fromSend.add(l.fromSend);
                fromDue.add(l.fromDue);
                warmupFromDue.add(l.warmupFromDue);
                if (l.closedByRelay != null) {
                    closedByRelay.add(l.closedByRelay);
                }
                for (int slot = 0; slot < l.count(); slot++) {
                    int s = l.first + slot;
                    if (l.refusal[slot] != null) {
                        refused++;
                        refusedByPrefix.merge(IngestScenario.prefixOrText(l.refusal[slot]), 1L, Long::sum);
                    }
                    Received got = l.received[slot];
                    for (int event : expectedBySub.getOrDefault(s, List.of())) {
                        int n = got.take(event - plan.from());
                        if (n == 0) {
                            missed++;
                        } else {
                            delivered++;
                            duplicated += n - 1;
                        }
                    }
                    unexpected += got.rest();
                }
            }
            unexpected += foreign;
            Histogram send = Latency.merge(fromSend);
            Histogram due = Latency.merge(fromDue);
            Histogram warm = Latency.merge(warmupFromDue);
            double publishSeconds = Math.max(1e-9, (pub.lastOkNanos - start) / 1e9);
            double deliverySeconds = Math.max(1e-9, (lastDelivery - start) / 1e9);
            JsonObject rejected = new JsonObject();
            pub.rejects.forEach(rejected::put);
            JsonObject refusedJson = new JsonObject();
            refusedByPrefix.forEach(refusedJson::put);
            JsonObject results = new JsonObject()
                    .put("subscriptions", plan.subscriptions())
                    .put("connections", connections)
                    .put("setup_seconds", IngestScenario.round(setupSeconds))
                    .put("subscriptions_refused", refusedJson)
                    .put("events_planned", plan.count())
                    .put("published", pub.sent)
                    .put("accepted_new", pub.accepted)
                    .put("duplicates", pub.duplicates)
                    .put("rejected", rejected)
                    .put("unanswered", pub.unanswered)
                    .put("publish_seconds", IngestScenario.round(publishSeconds))
                    .put("publish_rate", IngestScenario.round(pub.oks / publishSeconds))
                    .put("publish_ok_latency", Latency.toJson(pub.okLatency))
                    .put("expected_deliveries", expectedTotal)
                    .put("delivered", delivered)
                    .put("missed", missed)
                    .put("duplicated", duplicated)
                    .put("unexpected", unexpected)
                    .put("stored_before_eose", storedBeforeEose)
                    .put("deliveries_per_second", IngestScenario.round(delivered / deliverySeconds))
                    .put("drain_seconds", IngestScenario.round((drainedAt - publishedAt) / 1e9))
                    .put("warmup_seconds", plan.warmupSeconds())
                    .put("warmup_events", plan.warmupEvents())
                    .put("warmup_publish_to_deliver_from_due", Latency.toJson(warm))
                    .put("publish_to_deliver_from_send", Latency.toJson(send))
                    .put("publish_to_deliver_from_due", Latency.toJson(due))
                    .put("connections_failed", failedToOpen)
                    .put("connections_closed_by_relay", new JsonArray(new ArrayList<>(closedByRelay)));
            Outcome.Table t = new Outcome.Table()
                    .row("subscriptions", plan.subscriptions() + " on " + connections + " connections ("
                            + plan.perConnection() + " each), ready in "
                            + String.format(Locale.ROOT, "%.2f s", setupSeconds))
                    .row("published / accepted", pub.sent + " / " + pub.accepted + String.format(Locale.ROOT,
                            " at %.1f events/s (target %s)", pub.oks / publishSeconds, plan.rate()))
                    .row("publisher OK latency", Latency.summary(pub.okLatency))
                    .row("deliveries expected", expectedTotal)
                    .row("delivered / missed / duplicated", delivered + " / " + missed + " / " + duplicated)
                    .row("unexpected deliveries", unexpected)
                    .row("deliveries/s", String.format(Locale.ROOT, "%.0f", delivered / deliverySeconds))
                    .row("warm-up (not in the figures below)", plan.warmupSeconds() == 0 ? "none"
                            : "first " + plan.warmupSeconds() + " s, " + plan.warmupEvents() + " events, from due "
                            + Latency.summary(warm))
                    .row("publish→deliver (from send)", Latency.summary(send))
                    .row("publish→deliver (from due)", Latency.summary(due));
            if (!pub.rejects.isEmpty() || pub.duplicates > 0) {
                t.row("publisher rejects / duplicates", pub.rejects + " / " + pub.duplicates);
            }
            if (refused > 0) {
                t.row("subscriptions refused", refusedByPrefix.toString());
            }
            if (failedToOpen > 0) {
                t.row("connections failed", failedToOpen + " (" + firstFailure + ")");
            }
            if (!closedByRelay.isEmpty()) {
                t.row("closed by relay", closedByRelay.size() + ", e.g. " + closedByRelay.get(0));
            }
            String verdict = delivered == 0 ? "nothing delivered"
                    : missed > 0 || duplicated > 0 || unexpected > 0
                    ? missed + " missed, " + duplicated + " duplicated, " + unexpected + " unexpected deliveries"
                    : refused > 0 ? refused + " subscriptions refused"
                    : failedToOpen > 0 || !closedByRelay.isEmpty() ? "connections failed or were closed"
                    : pub.unanswered > 0 ? pub.unanswered + " events never answered" : "ok";
            return new Outcome(results, t.rows(), verdict.equals("ok"), verdict);
        }
    }

    /**
     * What one subscription received, by event (its offset in the plan): a bit for each planned event received,
     * and counts only for what is rare (a second delivery, an event outside the plan). A map entry per delivery
     * would cost the harness more than the relay spends sending it.
     */
    static final class Received {
        private final int planned;
        private final BitSet once;
        /** Deliveries beyond the first of a planned event, and every delivery of an unplanned one. */
        private final Map<Integer, Integer> more = new HashMap<>(0);

        Received(int planned) {
            this.planned = planned;
            this.once = new BitSet();
        }

        /** Records a delivery; true when it is the first of a planned event. */
        boolean add(int k) {
            if (k >= 0 && k < planned && !once.get(k)) {
                once.set(k);
                return true;
            }
            more.merge(k, 1, Integer::sum);
            return false;
        }

        /** How many times event {@code k} was received (0: never), forgetting it. */
        int take(int k) {
            int n = k >= 0 && k < planned && once.get(k) ? 1 : 0;
            if (n == 1) {
                once.clear(k);
            }
            Integer extra = more.remove(k);
            return n + (extra == null ? 0 : extra);
        }

        /** Deliveries not taken: of events this subscription should not have received. */
        long rest() {
            long n = once.cardinality();
            for (int extra : more.values()) {
                n += extra;
            }
            return n;
        }
    }

    /** One subscriber connection and its subscriptions {@code first..end-1}; lives on its event loop. */
    private static final class Listener {
        private final Run run;
        final int first;
        private final int end;
        final Received[] received;
        final String[] refusal;
        private final boolean[] ready;
        final Histogram fromSend = Latency.histogram();
        final Histogram fromDue = Latency.histogram();
        final Histogram warmupFromDue = Latency.histogram();
        private final Promise<Void> subscribed = Promise.promise();
        private int pending;
        RelaySocket socket;
        long storedBeforeEose;
        long foreign;
        long lastDeliveryNanos;
        String closedByRelay;

        Listener(Run run, int first, int end) {
            this.run = run;
            this.first = first;
            this.end = end;
            this.refusal = new String[end - first];
            this.ready = new boolean[end - first];
            this.received = new Received[end - first];
            for (int slot = 0; slot < received.length; slot++) {
                received[slot] = new Received(run.plan.count());
            }
        }

        int count() {
            return end - first;
        }

        Future<Void> subscribe() {
            socket.context.runOnContext(v -> {
                socket.closed().onComplete(x -> {
                    if (socket.closedByRelay()) {
                        closedByRelay = socket.closeDescription();
                        subscribed.tryComplete();
                    }
                });
                pending = count();
                for (int s = first; s < end; s++) {
                    StringBuilder req = new StringBuilder("[\"REQ\",\"s").append(s).append('"');
                    for (Filter f : run.filters.get(s)) {
                        req.append(',').append(f.toJson());
                    }
                    socket.send(req.append(']').toString());
                }
            });
            return subscribed.future();
        }

        Future<Void> close() {
            Promise<Void> p = Promise.promise();
            socket.context.runOnContext(v -> socket.close().onComplete(p));
            return p.future();
        }

        private int slot(String subscriptionId) {
            if (subscriptionId == null || !subscriptionId.startsWith("s")) {
                return -1;
            }
            try {
                int s = Integer.parseInt(subscriptionId.substring(1));
                return s >= first && s < end ? s - first : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        void onMessage(Inbound m) {
            int slot = slot(m.subscriptionId());
            if (slot < 0) {
                return;
            }
            switch (m.verb()) {
                case EVENT -> deliver(slot, m.eventId());
                case EOSE -> setUp(slot, null);
                case CLOSED -> setUp(slot, m.message());
                default -> {
                }
            }
        }

        private void setUp(int slot, String closedWith) {
            if (ready[slot]) {
                if (closedWith != null && refusal[slot] == null) {
                    refusal[slot] = "closed during the run: " + closedWith;
                }
                return;
            }
            ready[slot] = true;
            refusal[slot] = closedWith;
            if (--pending == 0) {
                subscribed.tryComplete();
            }
        }

        private void deliver(int slot, String eventId) {
            if (!ready[slot]) {
                storedBeforeEose++; // limit 0 asks for none; a relay that sends some anyway is not live fanout
                return;
            }
            Integer index = run.indexById.get(eventId);
            if (index == null) {
                foreign++;
                return;
            }
            long now = System.nanoTime();
            lastDeliveryNanos = now;
            int k = index - run.plan.from();
            if (received[slot].add(k)) {
                long sent = run.sentAt.get(k);
                if (sent != 0 && Arrays.binarySearch(run.recipientsOf[k], first + slot) >= 0) {
                    run.deliveredMatching.incrementAndGet();
                    if (k < run.plan.warmupEvents()) {
                        Latency.recordNanos(warmupFromDue, now - run.dueAt.get(k));
                    } else {
                        Latency.recordNanos(fromSend, now - sent);
                        Latency.recordNanos(fromDue, now - run.dueAt.get(k));
                    }
                }
            }
        }
    }

    /** The single publisher: the planned events at the rate, at most W awaiting their OK. */
    private static final class Publisher {
        private final Run run;
        private final Map<String, Integer> inFlight = new HashMap<>();
        final Status[] status;
        final Map<String, Long> rejects = new TreeMap<>();
        final Histogram okLatency = Latency.histogram();
        private final Promise<Void> done = Promise.promise();
        RelaySocket socket;
        private long start;
        private Wakeup wakeup;
        private boolean stopping;
        long sent;
        long oks;
        long accepted;
        long duplicates;
        long unanswered;
        long lastOkNanos;

        Publisher(Run run) {
            this.run = run;
            this.status = new Status[run.plan.count()];
            Arrays.fill(status, Status.NONE);
        }

        Future<Void> start(long startNanos) {
            Harness h = run.h;
            socket.context.runOnContext(v -> {
                start = startNanos;
                lastOkNanos = startNanos;
                socket.closed().onComplete(x -> {
                    if (socket.closedByRelay()) {
                        finish();
                    }
                });
                h.vertx.setTimer(TimeUnit.SECONDS.toMillis(run.plan.durationSeconds()), id -> {
                    stopping = true;
                    h.vertx.setTimer(TimeUnit.SECONDS.toMillis(IngestScenario.GRACE_SECONDS), x -> finish());
                    finishIfDone();
                });
                wakeup = new Wakeup(h.vertx, this::fill);
                fill();
            });
            return done.future();
        }

        private void fill() {
            while (!stopping && sent < run.plan.count() && inFlight.size() < run.plan.window()) {
                long due = start + (long) (sent * 1e9 / run.plan.rate());
                long now = System.nanoTime();
                if (due > now) {
                    wakeup.at(due);
                    return;
                }
                int k = (int) sent++;
                int index = run.plan.from() + k;
                run.dueAt.set(k, due);
                run.sentAt.set(k, now);
                inFlight.put(run.corpus.event(index).id(), k);
                socket.send(run.corpus.publishMessage(index));
            }
        }

        void onMessage(Inbound m) {
            if (m.verb() != Inbound.Verb.OK) {
                return;
            }
            Integer k = inFlight.remove(m.eventId());
            if (k == null) {
                return;
            }
            oks++;
            lastOkNanos = System.nanoTime();
            Latency.recordNanos(okLatency, lastOkNanos - run.sentAt.get(k));
            if (!m.accepted()) {
                status[k] = Status.REJECTED;
                rejects.merge(IngestScenario.prefixOrText(m.message()), 1L, Long::sum);
            } else if (Inbound.prefix(m.message()).equals("duplicate")) {
                status[k] = Status.DUPLICATE;
                duplicates++;
            } else {
                status[k] = Status.NEW;
                accepted++;
                run.expected.addAndGet(run.recipientsOf[k].length);
            }
            fill();
            finishIfDone();
        }

        private void finishIfDone() {
            if ((stopping || sent == run.plan.count()) && inFlight.isEmpty()) {
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
}
