package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay as an operator runs it: a JVM that is stopped with SIGTERM, killed with -9 and started again. */
class ProcessLifecycleTest {
    static Vertx clients;

    @BeforeAll
    static void startClients() {
        clients = Vertx.vertx();
    }

    @AfterAll
    static void stopClients() throws Exception {
        Http.await(clients.close());
    }

    @Test
    void eventsSurviveAStopAndStartOnTheSameDirectory(@TempDir Path dataDir) throws Exception {
        long t = now();
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(event(1, t - i, 1, List.of(List.of("t", "restart")), "note " + i));
        }
        Event profileOld = event(2, t - 100, 0, List.of(), "{\"name\":\"old\"}");
        Event profileNew = event(2, t - 50, 0, List.of(), "{\"name\":\"new\"}");
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of());
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            for (Event e : events) {
                c.publishAccepted(e);
            }
            c.publishAccepted(profileOld);
            c.publishAccepted(profileNew);
            assertEquals(0, relay.terminate(), relay.output());
        }
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of());
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            assertEquals(events.stream().map(Event::id).toList(), c.req("notes", "{\"#t\":[\"restart\"]}"));
            assertEquals(List.of(profileNew.id()), c.req("profile", "{\"kinds\":[0]}"));
            assertTrue(c.publish(profileOld).message().startsWith("duplicate:"),
                    "the replaced version stays refused after a restart");
        }
    }

    @Test
    void sigtermAnswersWhatItReadThenClosesWithAReasonAndExitsZero(@TempDir Path dataDir) throws Exception {
        Set<String> acknowledged = new HashSet<>();
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of("limits.max_events_in_flight", "5000"));
             RelayClient subscriber = RelayClient.connect(clients, relay.port);
             RelayClient publisher = RelayClient.connect(clients, relay.port)) {
            subscriber.send("[\"REQ\",\"live\",{\"kinds\":[1]}]");
            subscriber.next(RelayMessage.Eose.class);
            // Enough that the SIGTERM lands while many are read but not yet answered.
            for (Event e : burst(3, 4000)) {
                publisher.send("[\"EVENT\"," + e.toJson() + "]");
            }
            acknowledged.addAll(acceptedIds(publisher, 50));
            relay.process.destroy(); // SIGTERM
            // The drain answers every event it had read (never a false OK, never a refusal), then closes.
            for (RelayMessage m : publisher.untilClosed(RelayClient.WAIT_SECONDS)) {
                RelayMessage.Ok ok = assertInstanceOf(RelayMessage.Ok.class, m);
                assertTrue(ok.accepted(), "refused during the drain: " + ok);
                acknowledged.add(ok.eventId());
            }
            assertEquals(1001, publisher.awaitClose(), "publishers are told the relay is going away");
            assertEquals(1001, subscriber.awaitClose(), "subscribers are told the relay is going away");
            assertEquals(0, relay.terminate(), relay.output());
        }
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of());
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            // Exactly the acknowledged events are stored: none lost, and none stored without its OK reaching the
            // client (which would happen if connections closed while events were still in flight).
            assertEquals(acknowledged, storedIds(c));
        }
    }

    @Test
    void afterKillNineEveryAcknowledgedEventIsThereAndEveryStoredEventIsWhole(@TempDir Path dataDir)
            throws Exception {
        Set<String> acknowledged = new HashSet<>();
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of("limits.max_events_in_flight", "2000"));
             RelayClient first = RelayClient.connect(clients, relay.port);
             RelayClient second = RelayClient.connect(clients, relay.port)) {
            for (Event e : burst(4, 1500)) {
                first.send("[\"EVENT\"," + e.toJson() + "]");
            }
            for (Event e : burst(5, 1500)) {
                second.send("[\"EVENT\"," + e.toJson() + "]");
            }
            // Kill while both bursts are still being written: part acknowledged, part in the writer, part unread.
            acknowledged.addAll(acceptedIds(first, 200));
            acknowledged.addAll(acceptedIds(second, 200));
            relay.kill();
        }
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of());
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            Set<String> stored = storedIds(c);
            assertTrue(stored.containsAll(acknowledged), "an event acknowledged before kill -9 was lost");
            Event late = event(6, now(), 1, List.of(), "written after the crash");
            c.publishAccepted(late);
            assertEquals(List.of(late.id()), c.req("late", "{\"authors\":[\"" + late.pubkey() + "\"]}"));
        }
    }

    @Test
    void afterKillNineTheSearchIndexCatchesUpWithEveryAcknowledgedEvent(@TempDir Path dataDir) throws Exception {
        List<String> acknowledged = new ArrayList<>();
        // The index never commits on its own here: what it applied before the kill exists only in memory.
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of("store.search_commit_ms", "3600000"));
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            for (int i = 0; i < 30; i++) {
                Event e = event(7, now() - i, 1, List.of(), "crashproof searchable note " + i);
                c.publishAccepted(e);
                acknowledged.add(e.id());
            }
            assertEquals(Set.copyOf(acknowledged), Set.copyOf(c.req("before", "{\"search\":\"crashproof\"}")));
            relay.kill();
        }
        try (RelayProcess relay = RelayProcess.start(dataDir, Map.of());
             RelayClient c = RelayClient.connect(clients, relay.port)) {
            assertEquals(Set.copyOf(acknowledged), Set.copyOf(c.req("after", "{\"search\":\"crashproof\"}")),
                    "an event acknowledged before kill -9 is not searchable after the restart");
        }
    }

    private static List<Event> burst(int author, int count) {
        long t = now();
        List<Event> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(event(author, t - i, 1, List.of(List.of("t", "burst")), "burst " + author + "/" + i));
        }
        return events;
    }

    /** Reads OKs until {@code count} accepted ones arrived; a refusal fails the test. */
    private static List<String> acceptedIds(RelayClient c, int count) throws Exception {
        List<String> ids = new ArrayList<>(count);
        while (ids.size() < count) {
            RelayMessage.Ok ok = c.next(RelayMessage.Ok.class);
            assertTrue(ok.accepted(), "refused: " + ok);
            ids.add(ok.eventId());
        }
        return ids;
    }

    /**
     * Every stored kind-1 event, pages walked with {@code until}; each must parse and carry a valid id and
     * signature, so a half-written record would fail here.
     */
    private static Set<String> storedIds(RelayClient c) throws Exception {
        Set<String> ids = new HashSet<>();
        Bip340 engine = Bip340.best();
        long until = Long.MAX_VALUE / 2;
        int page = 0;
        while (true) {
            String sub = "page" + page++;
            c.send("[\"REQ\"," + "\"" + sub + "\",{\"kinds\":[1],\"until\":" + until + ",\"limit\":500}]");
            int received = 0;
            long oldest = until;
            for (RelayMessage m = c.next(); !(m instanceof RelayMessage.Eose); m = c.next()) {
                Event e = Event.parse(((RelayMessage.EventMatch) m).eventJson());
                assertTrue(e.hasValidId() && e.hasValidSignature(engine), "damaged event served: " + e);
                ids.add(e.id());
                oldest = Math.min(oldest, e.createdAt());
                received++;
            }
            c.send("[\"CLOSE\",\"" + sub + "\"]");
            if (received < 500) {
                return ids;
            }
            until = oldest;
        }
    }
}
