package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.FilterLimits;
import dev.strata.model.Json;
import dev.strata.model.RelayMessage;
import io.vertx.core.Vertx;

/** What the cluster tests do with clients: pipelined publishing, and subscribers that count what they receive. */
final class ClusterScenarios {
    private static final FilterLimits LIMITS = new FilterLimits(10, 1000, 64);
    /** EVENTs on the wire per connection before waiting for OKs; below limits.max_events_in_flight. */
    private static final int WINDOW = 50;

    private ClusterScenarios() {
    }

    /** One REQ on one connection and everything it received, counted per event id. */
    static final class Subscriber {
        final RelayClient client;
        final String subId;
        final List<Filter> filters;
        final Map<String, Integer> received = new HashMap<>();

        Subscriber(RelayClient client, String subId, List<Filter> filters) {
            this.client = client;
            this.subId = subId;
            this.filters = filters;
        }

        boolean wants(Event e) {
            return Filter.anyMatches(filters, e);
        }

        /** Takes what the connection received until every expected event came, or fails at the deadline. */
        void awaitAll(Set<String> expected, long seconds, Map<RelayClient, List<Subscriber>> sameConnection)
                throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!received.keySet().containsAll(expected)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    Set<String> missing = new HashSet<>(expected);
                    missing.removeAll(received.keySet());
                    fail(subId + ": " + missing.size() + " of " + expected.size() + " events never arrived");
                }
                RelayMessage m = client.poll(Math.min(left, 500));
                if (m != null) {
                    dispatch(m, sameConnection.getOrDefault(client, List.of(this)));
                }
            }
        }

        /** Every expected event exactly once, and nothing else. */
        void assertExactly(Set<String> expected) {
            Set<String> unexpected = new HashSet<>(received.keySet());
            unexpected.removeAll(expected);
            assertTrue(unexpected.isEmpty(), subId + " received events its filters do not match: " + unexpected);
            List<String> twice = received.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .toList();
            assertTrue(twice.isEmpty(), subId + " received " + twice.size() + " events more than once: " + twice);
        }
    }

    static void dispatch(RelayMessage m, List<Subscriber> subscribers) throws Exception {
        if (m instanceof RelayMessage.EventMatch em) {
            for (Subscriber s : subscribers) {
                if (s.subId.equals(em.subscriptionId())) {
                    String id = Event.parse(em.eventJson()).id();
                    s.received.merge(id, 1, Integer::sum);
                    return;
                }
            }
            fail("an event for an unknown subscription " + em.subscriptionId());
        } else if (m instanceof RelayMessage.Closed c) {
            fail("subscription " + c.subscriptionId() + " was closed: " + c.message());
        } else if (!(m instanceof RelayMessage.Eose)) {
            fail("unexpected message " + m);
        }
    }

    /** Opens a subscription and waits for its EOSE; what is stored already (other tests' events) is not counted. */
    static Subscriber subscribe(RelayClient client, String subId, String... filterJson) throws Exception {
        List<Filter> filters = new ArrayList<>();
        for (String f : filterJson) {
            filters.add(Filter.fromJson(Json.parse(f), LIMITS));
        }
        Subscriber s = new Subscriber(client, subId, filters);
        client.send("[\"REQ\"," + Json.quote(subId) + "," + String.join(",", filterJson) + "]");
        while (true) {
            RelayMessage m = client.next();
            if (m instanceof RelayMessage.Eose e && e.subscriptionId().equals(subId)) {
                return s;
            }
            if (!(m instanceof RelayMessage.EventMatch)) {
                fail("expected EOSE for " + subId + ", got " + m);
            }
        }
    }

    /**
     * Publishes in windows of {@link #WINDOW} and records each OK; an event without an answer by the deadline is
     * left out of {@code oks}.
     */
    static void publish(RelayClient client, List<Event> events, Map<String, RelayMessage.Ok> oks, long seconds)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int from = 0; from < events.size(); from += WINDOW) {
            List<Event> window = events.subList(from, Math.min(events.size(), from + WINDOW));
            Set<String> waiting = new HashSet<>();
            for (Event e : window) {
                waiting.add(e.id());
                client.send("[\"EVENT\"," + e.toJson() + "]");
            }
            while (!waiting.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                RelayMessage m = client.poll(Math.min(left, 500));
                if (m instanceof RelayMessage.Ok ok && waiting.remove(ok.eventId())) {
                    oks.put(ok.eventId(), ok);
                } else if (m != null) {
                    fail("a publisher received " + m);
                }
            }
        }
    }

    /** Publishes from one thread per client, each its share of the events; returns every OK. */
    static Map<String, RelayMessage.Ok> publishConcurrently(List<RelayClient> clients, List<Event> events,
                                                            long seconds) throws Exception {
        return publishConcurrently(clients, events, seconds, new ConcurrentHashMap<>());
    }

    /** As above, filling {@code oks} as the answers come (another thread may watch it). */
    static Map<String, RelayMessage.Ok> publishConcurrently(List<RelayClient> clients, List<Event> events,
                                                            long seconds, Map<String, RelayMessage.Ok> oks)
            throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            List<Event> share = new ArrayList<>();
            for (int i = c; i < events.size(); i += clients.size()) {
                share.add(events.get(i));
            }
            RelayClient client = clients.get(c);
            Thread t = new Thread(() -> {
                try {
                    publish(client, share, oks, seconds);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "publisher-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(seconds + 10));
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("a publisher failed", failures.get(0));
        }
        return oks;
    }

    static RelayClient connect(Vertx vertx, ClusterHarness.Node gateway) throws Exception {
        return RelayClient.connect(vertx, gateway.wsPort());
    }

    static Set<String> expected(Subscriber s, List<Event> events) {
        Set<String> ids = new HashSet<>();
        for (Event e : events) {
            if (s.wants(e)) {
                ids.add(e.id());
            }
        }
        return ids;
    }

    static void assertAllAccepted(List<Event> events, Map<String, RelayMessage.Ok> oks) {
        for (Event e : events) {
            RelayMessage.Ok ok = oks.get(e.id());
            assertTrue(ok != null, "no OK for " + e.id());
            assertTrue(ok.accepted(), "OK false for " + e.id() + ": " + ok.message());
        }
        assertEquals(events.size(), oks.keySet().stream().filter(id -> oks.get(id).accepted()).count());
    }
}
