package dev.strata.relay;

import static dev.strata.relay.ClusterScenarios.assertAllAccepted;
import static dev.strata.relay.ClusterScenarios.connect;
import static dev.strata.relay.ClusterScenarios.expected;
import static dev.strata.relay.ClusterScenarios.publishConcurrently;
import static dev.strata.relay.ClusterScenarios.subscribe;
import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import dev.strata.relay.ClusterScenarios.Subscriber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster as an operator runs it: 2 gateways, 2 ingest, 2 fanout and 1 query node, each a separate JVM of the
 * built jar, on one PostgreSQL schema, driven by real WebSocket clients. One cluster serves every test (Hazelcast
 * starts slowly); the tests that kill a node start it again at their end, and the gentle ones run first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    /** Long, so that an answer that waited for it could not pass for one that came when the node left. */
    static final int BUS_TIMEOUT_SECONDS = 60;
    static ClusterHarness cluster;
    static ClusterHarness.Node gatewayA;
    static ClusterHarness.Node gatewayB;

    @BeforeAll
    static void startCluster() throws Exception {
        // Small query pages, so that a large REQ crosses the cluster in many acknowledged chunks.
        cluster = new ClusterHarness(Map.of("bus.request_timeout_ms", String.valueOf(BUS_TIMEOUT_SECONDS * 1000),
                "query.page_size", "100"));
        gatewayA = cluster.declare("gateway-a", "gateway");
        gatewayB = cluster.declare("gateway-b", "gateway");
        cluster.declare("ingest-1", "ingest");
        cluster.declare("ingest-2", "ingest");
        cluster.declare("fanout-1", "fanout");
        cluster.declare("fanout-2", "fanout");
        cluster.declare("query-1", "query");
        cluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void anEventPublishedOnOneGatewayReachesASubscriberOnTheOtherAndIsStoredBeforeItsOk() throws Exception {
        try (RelayClient subscriber = connect(cluster.vertx, gatewayB);
             RelayClient publisher = connect(cluster.vertx, gatewayA)) {
            assertEquals(List.of(), subscriber.req("live", "{\"#t\":[\"across-gateways\"]}"));
            Event e = event(1, now(), 1, List.of(List.of("t", "across-gateways")), "from gateway A");
            RelayMessage.Ok ok = publisher.publish(e);
            assertTrue(ok.accepted(), "OK false: " + ok.message());
            assertTrue(cluster.stored(e.id()), "OK true came before the event was committed");
            RelayMessage.EventMatch live = subscriber.next(RelayMessage.EventMatch.class);
            assertEquals("live", live.subscriptionId());
            assertEquals(e.toJson(), live.eventJson());
            for (ClusterHarness.Node gateway : List.of(gatewayA, gatewayB)) {
                try (RelayClient reader = connect(cluster.vertx, gateway)) {
                    assertEquals(List.of(e.id()), reader.req("stored", "{\"ids\":[\"" + e.id() + "\"]}"));
                }
            }
        }
    }

    /** Subscribers on both gateways with filters that pick different parts of the traffic. */
    private static final String[][] FILTERS = {
            {"{\"kinds\":[1]}"},
            {"{\"authors\":[\"" + event(100, 0, 1, List.of(), "").pubkey() + "\"]}"},
            {"{\"#t\":[\"even\"]}"},
            {"{\"kinds\":[7],\"#t\":[\"odd\"]}"},
            {"{\"authors\":[\"" + event(101, 0, 1, List.of(), "").pubkey() + "\"]}", "{\"#t\":[\"odd\"]}"},
    };

    /** {@code n} events by authors 100..104, kinds 1 and 7, tagged even or odd, all created now. */
    static List<Event> traffic(String run, int n) {
        List<Event> events = new ArrayList<>(n);
        long now = now();
        for (int i = 0; i < n; i++) {
            events.add(event(100 + i % 5, now, i % 3 == 0 ? 7 : 1, List.of(List.of("t", i % 2 == 0 ? "even" : "odd")),
                    run + " " + i));
        }
        return events;
    }

    /** Two last events that together match every filter above: once they arrived, nothing else is on its way. */
    static List<Event> sentinels(String run) {
        return List.of(event(100, now(), 1, List.of(List.of("t", "even"), List.of("t", "odd")), run + " sentinel 1"),
                event(101, now(), 7, List.of(List.of("t", "odd")), run + " sentinel 2"));
    }

    /** On every given connection, one subscription per filter set. */
    static List<Subscriber> subscribeAll(List<RelayClient> clients, Map<RelayClient, List<Subscriber>> byClient)
            throws Exception {
        List<Subscriber> subscribers = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            RelayClient client = clients.get(c);
            for (int f = 0; f < FILTERS.length; f++) {
                if ((c + f) % 2 == 0) { // half the filters on each connection, varying by connection
                    Subscriber s = subscribe(client, "c" + c + "f" + f, FILTERS[f]);
                    subscribers.add(s);
                    byClient.computeIfAbsent(client, k -> new ArrayList<>()).add(s);
                }
            }
        }
        return subscribers;
    }

    static List<RelayClient> connectEach(ClusterHarness.Node... gateways) throws Exception {
        List<RelayClient> clients = new ArrayList<>();
        for (ClusterHarness.Node g : gateways) {
            clients.add(connect(cluster.vertx, g));
        }
        return clients;
    }

    static void closeAll(List<RelayClient> clients) {
        clients.forEach(RelayClient::close);
    }

    /** Every subscriber gets exactly the events its filters match, each once. */
    static void assertDelivered(List<Subscriber> subscribers, Map<RelayClient, List<Subscriber>> byClient,
                                List<Event> published) throws Exception {
        for (Subscriber s : subscribers) {
            java.util.Set<String> want = expected(s, published);
            s.awaitAll(want, 60, byClient);
            s.assertExactly(want);
        }
    }

    @Test
    @Order(2)
    void twoThousandEventsFromSeveralClientsReachEverySubscriberExactlyOnce() throws Exception {
        List<RelayClient> subscriberClients = connectEach(gatewayA, gatewayA, gatewayA, gatewayB, gatewayB, gatewayB);
        List<RelayClient> publishers = connectEach(gatewayA, gatewayB, gatewayA, gatewayB);
        try {
            Map<RelayClient, List<Subscriber>> byClient = new HashMap<>();
            List<Subscriber> subscribers = subscribeAll(subscriberClients, byClient);
            List<Event> events = traffic("fan", 2000);
            Map<String, RelayMessage.Ok> oks = publishConcurrently(publishers, events, 120);
            assertAllAccepted(events, oks);
            List<Event> last = sentinels("fan");
            assertAllAccepted(last, publishConcurrently(publishers.subList(0, 1), last, 30));
            List<Event> all = new ArrayList<>(events);
            all.addAll(last);
            assertDelivered(subscribers, byClient, all);

            // The stored part of a large REQ, from the query node in pages of 100, on either gateway.
            for (ClusterHarness.Node gateway : List.of(gatewayA, gatewayB)) {
                try (RelayClient reader = connect(cluster.vertx, gateway)) {
                    List<String> stored = reader.req("many", "{\"#t\":[\"even\"],\"limit\":1000}");
                    assertEquals(1000, stored.size());
                    assertEquals(1000, new java.util.HashSet<>(stored).size(), "no event twice");
                }
            }
        } finally {
            closeAll(subscriberClients);
            closeAll(publishers);
        }
    }

    /** Publishes from a background thread; {@link #await} returns the OKs. */
    static final class Background {
        private final Thread thread;
        final Map<String, RelayMessage.Ok> oks = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile Throwable failure;

        Background(List<RelayClient> publishers, List<Event> events, long seconds) {
            thread = new Thread(() -> {
                try {
                    publishConcurrently(publishers, events, seconds, oks);
                } catch (Throwable e) {
                    failure = e;
                }
            }, "background-publisher");
            thread.start();
        }

        /** Polls, with a deadline, until {@code n} events got their OK: publishing is well under way. */
        void awaitAnswers(int n) throws InterruptedException {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (oks.size() < n) {
                assertTrue(System.nanoTime() < deadline && thread.isAlive() || oks.size() >= n,
                        "publishing did not get under way: " + oks.size() + " answers");
                java.util.concurrent.TimeUnit.MILLISECONDS.sleep(5);
            }
        }

        Map<String, RelayMessage.Ok> await(long seconds) throws InterruptedException {
            thread.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(seconds));
            assertTrue(!thread.isAlive(), "publishing did not end within " + seconds + " s");
            if (failure != null) {
                throw new AssertionError("publishing failed", failure);
            }
            return oks;
        }
    }

    @Test
    @Order(3)
    void killingAFanoutNodeWhilePublishingLosesNoEventAndRepeatsNone() throws Exception {
        List<RelayClient> subscriberClients = connectEach(gatewayA, gatewayA, gatewayA, gatewayA, gatewayB, gatewayB,
                gatewayB, gatewayB);
        List<RelayClient> publishers = connectEach(gatewayA, gatewayB);
        ClusterHarness.Node victim = null;
        try {
            Map<RelayClient, List<Subscriber>> byClient = new HashMap<>();
            List<Subscriber> subscribers = subscribeAll(subscriberClients, byClient);
            Map<String, Integer> homes = cluster.liveSubscriptions();
            String busiest = homes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            assertTrue(homes.get(busiest) > 0, "no fanout node holds a subscription: " + homes);
            victim = cluster.node(busiest);

            List<Event> events = traffic("fanout-kill", 1500);
            Background publishing = new Background(publishers, events, 120);
            publishing.awaitAnswers(300);
            victim.kill();
            Map<String, RelayMessage.Ok> oks = publishing.await(150);
            assertAllAccepted(events, oks);
            List<Event> last = sentinels("fanout-kill");
            assertAllAccepted(last, publishConcurrently(publishers.subList(0, 1), last, 30));
            List<Event> all = new ArrayList<>(events);
            all.addAll(last);
            assertDelivered(subscribers, byClient, all);
            int held = cluster.liveSubscriptions().values().stream().mapToInt(Integer::intValue).sum();
            assertEquals(subscribers.size(), held, "every subscription is held by the remaining fanout node");
        } finally {
            closeAll(subscriberClients);
            closeAll(publishers);
            if (victim != null && !victim.alive()) {
                victim.restart();
            }
        }
    }

    @Test
    @Order(4)
    void killingAnIngestNodeWhilePublishingAcknowledgesOnlyStoredEventsAndResendsAreAccepted() throws Exception {
        ClusterHarness.Node victim = cluster.node("ingest-1");
        List<RelayClient> publishers = connectEach(gatewayA, gatewayB, gatewayA, gatewayB);
        try {
            List<Event> events = traffic("ingest-kill", 2000);
            Background publishing = new Background(publishers, events, 120);
            publishing.awaitAnswers(300);
            victim.kill();
            long killedAt = System.nanoTime();
            Map<String, RelayMessage.Ok> oks = publishing.await(150);
            List<Event> again = new ArrayList<>();
            for (Event e : events) {
                RelayMessage.Ok ok = oks.get(e.id());
                if (ok != null && ok.accepted()) {
                    assertTrue(cluster.stored(e.id()), "OK true for an event the store does not hold: " + e.id());
                } else {
                    assertTrue(ok == null || ok.message().startsWith("error:"), "unexpected refusal " + ok);
                    again.add(e);
                }
            }
            long tookSeconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
            assertEquals(events.size(), oks.size(), "every event is answered, none left hanging");
            // The events on the dead node were answered once it left the cluster, not after the bus timeout.
            assertTrue(tookSeconds < BUS_TIMEOUT_SECONDS, "publishing after the kill took " + tookSeconds + " s");
            System.out.println("ingest node killed: " + again.size() + " of " + events.size()
                    + " events answered OK false, resent");
            Map<String, RelayMessage.Ok> resent = publishConcurrently(publishers, again, 60);
            assertAllAccepted(again, resent);
            for (Event e : events) {
                assertTrue(cluster.stored(e.id()), "not stored after the resend: " + e.id());
            }
        } finally {
            closeAll(publishers);
            if (!victim.alive()) {
                victim.restart();
            }
        }
    }

    /** Polls the fanout nodes' health, with a deadline, until they hold {@code n} live subscriptions in all. */
    static void awaitLiveSubscriptions(int n) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Map<String, Integer> held = cluster.liveSubscriptions();
            int total = held.values().stream().mapToInt(Integer::intValue).sum();
            if (total == n) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "fanout nodes hold " + held + ", expected " + n + " in all");
            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    @Test
    @Order(5)
    void aGatewayThatRestartsHasItsClientsResubscribeOnTheOtherAndDisturbsNoOne() throws Exception {
        List<RelayClient> onB = connectEach(gatewayB, gatewayB, gatewayB);
        List<RelayClient> onA = connectEach(gatewayA, gatewayA, gatewayA);
        List<RelayClient> moved = new ArrayList<>();
        List<RelayClient> publishers = connectEach(gatewayB);
        try {
            Map<RelayClient, List<Subscriber>> byClient = new HashMap<>();
            List<Subscriber> stay = subscribeAll(onB, byClient);
            int leaving = subscribeAll(onA, new HashMap<>()).size();
            awaitLiveSubscriptions(stay.size() + leaving);

            List<Event> events = traffic("gateway-restart", 1500);
            Background publishing = new Background(publishers, events, 120);
            publishing.awaitAnswers(300);
            assertEquals(0, gatewayA.terminate(), "a SIGTERM drain exits 0; output:\n" + gatewayA.output());
            for (RelayClient c : onA) {
                assertEquals(1001, c.awaitClose(), "closed with 1001 going away");
            }
            // The clients of A come back on B and subscribe again.
            moved.addAll(connectEach(gatewayB, gatewayB, gatewayB));
            List<Subscriber> back = subscribeAll(moved, byClient);
            assertAllAccepted(events, publishing.await(150));
            List<Event> last = sentinels("gateway-restart");
            assertAllAccepted(last, publishConcurrently(publishers, last, 30));
            List<Event> all = new ArrayList<>(events);
            all.addAll(last);
            assertDelivered(stay, byClient, all); // undisturbed: every event, once
            for (Subscriber s : back) {
                java.util.Set<String> sentinelIds = expected(s, last);
                s.awaitAll(sentinelIds, 60, byClient);
                s.assertExactly(expected(s, all));
            }
            // A's subscriptions are gone everywhere; only B's are held.
            awaitLiveSubscriptions(stay.size() + back.size());

            gatewayA.restart();
            try (RelayClient again = connect(cluster.vertx, gatewayA)) {
                Event e = event(5, now(), 1, List.of(List.of("t", "back-on-a")), "gateway A is back");
                assertTrue(again.publish(e).accepted());
                assertEquals(List.of(e.id()), again.req("back", "{\"#t\":[\"back-on-a\"]}"));
            }
        } finally {
            closeAll(onB);
            closeAll(onA);
            closeAll(moved);
            closeAll(publishers);
            if (!gatewayA.alive()) {
                gatewayA.restart();
            }
        }
    }

    @Test
    @Order(6)
    void aGatewayThatDiesHasItsSubscriptionsDroppedEverywhere() throws Exception {
        awaitLiveSubscriptions(0);
        List<RelayClient> onA = connectEach(gatewayA, gatewayA, gatewayA, gatewayA);
        try (RelayClient onB = connect(cluster.vertx, gatewayB);
             RelayClient publisher = connect(cluster.vertx, gatewayB)) {
            Map<RelayClient, List<Subscriber>> byClient = new HashMap<>();
            int onDying = subscribeAll(onA, new HashMap<>()).size();
            List<Subscriber> stay = subscribeAll(List.of(onB), byClient);
            awaitLiveSubscriptions(onDying + stay.size());
            gatewayA.kill();
            // No goodbye from the gateway: the fanout nodes drop its subscriptions once it leaves the cluster.
            awaitLiveSubscriptions(stay.size());
            List<Event> last = sentinels("gateway-death");
            assertAllAccepted(last, publishConcurrently(List.of(publisher), last, 30));
            for (Subscriber s : stay) {
                s.awaitAll(expected(s, last), 30, byClient);
                s.assertExactly(expected(s, last));
            }
        } finally {
            closeAll(onA);
            if (!gatewayA.alive()) {
                gatewayA.restart();
            }
        }
    }

    @Test
    @Order(7)
    void nodesThatDrainOnSigtermFinishTheirWorkAndLoseNothing() throws Exception {
        ClusterHarness.Node ingest = cluster.node("ingest-2");
        List<RelayClient> subscriberClients = connectEach(gatewayA, gatewayA, gatewayA, gatewayB, gatewayB, gatewayB);
        List<RelayClient> publishers = connectEach(gatewayA, gatewayB);
        ClusterHarness.Node fanout = null;
        try {
            Map<RelayClient, List<Subscriber>> byClient = new HashMap<>();
            List<Subscriber> subscribers = subscribeAll(subscriberClients, byClient);
            // Connections are homed by a hash, so six of them may all land on one node: drain the busiest.
            Map<String, Integer> homes = cluster.liveSubscriptions();
            String busiest = homes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            assertTrue(homes.get(busiest) > 0, "no fanout node holds a subscription: " + homes);
            fanout = cluster.node(busiest);
            String staying = busiest.equals("fanout-1") ? "fanout-2" : "fanout-1";
            List<Event> events = traffic("drain", 1500);
            Background publishing = new Background(publishers, events, 120);
            publishing.awaitAnswers(300);
            ingest.process().destroy();
            fanout.process().destroy();
            assertEquals(0, ingest.awaitExit(), "ingest drained; output:\n" + ingest.output());
            assertEquals(0, fanout.awaitExit(), "fanout drained; output:\n" + fanout.output());
            // A draining node finishes what it took and takes nothing new: no event is refused.
            assertAllAccepted(events, publishing.await(150));
            List<Event> last = sentinels("drain");
            assertAllAccepted(last, publishConcurrently(publishers.subList(0, 1), last, 30));
            List<Event> all = new ArrayList<>(events);
            all.addAll(last);
            assertDelivered(subscribers, byClient, all);
            assertEquals(subscribers.size(), cluster.liveSubscriptions().get(staying),
                    "every subscription moved to the fanout node that stays");
        } finally {
            closeAll(subscriberClients);
            closeAll(publishers);
            if (fanout == null) {
                cluster.restart(ingest);
            } else {
                cluster.restart(ingest, fanout);
            }
        }
    }
}
