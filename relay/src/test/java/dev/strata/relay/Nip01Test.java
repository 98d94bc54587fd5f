package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;

/** NIP-01 over a real WebSocket against the real one-JVM relay; one subclass per store engine starts it. */
abstract class Nip01Test extends OverTheWire {

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, java.util.Map.of());
    }

    private static String idFilter(Event... events) {
        List<String> ids = new ArrayList<>();
        for (Event e : events) {
            ids.add("\"" + e.id() + "\"");
        }
        return "{\"ids\":[" + String.join(",", ids) + "]}";
    }

    @Test
    void aPublishedEventIsAcknowledgedAndServed() throws Exception {
        try (RelayClient c = connect()) {
            Event e = event(1, now(), 1, List.of(List.of("t", "hello")), "hello relay");
            RelayMessage.Ok ok = c.publish(e);
            assertTrue(ok.accepted());
            assertEquals("", ok.message());
            assertEquals(List.of(e.id()), c.req("s", idFilter(e)));
        }
    }

    @Test
    void theStoredEventIsServedByteForByteAsPublished() throws Exception {
        try (RelayClient c = connect()) {
            Event e = event(2, now(), 1, List.of(List.of("e", "ab".repeat(32), "wss://x/"), List.of("emoji", "🎉")),
                    "line\nbreak \"quoted\" \\ tab\t é");
            c.publishAccepted(e);
            c.send("[\"REQ\",\"exact\"," + idFilter(e) + "]");
            RelayMessage.EventMatch m = c.next(RelayMessage.EventMatch.class);
            assertEquals(e.toJson(), m.eventJson());
            assertEquals(e, Event.parse(m.eventJson()));
            c.next(RelayMessage.Eose.class);
        }
    }

    @Test
    void aDuplicateIsAcceptedWithTheDuplicatePrefix() throws Exception {
        try (RelayClient c = connect()) {
            Event e = event(3, now(), 1, List.of(), "once");
            c.publishAccepted(e);
            RelayMessage.Ok again = c.publish(e);
            assertTrue(again.accepted());
            assertTrue(again.message().startsWith("duplicate:"), again.message());
        }
    }

    @Test
    void aBadSignatureOrIdIsRefusedAsInvalidAndNeverServed() throws Exception {
        try (RelayClient c = connect()) {
            Event good = event(4, now(), 1, List.of(), "signed");
            Event badSig = new Event(good.id(), good.pubkey(), good.createdAt(), good.kind(), good.tags(),
                    good.content(), good.sig().substring(0, 127) + (good.sig().endsWith("0") ? "1" : "0"));
            Event badId = new Event(good.id(), good.pubkey(), good.createdAt(), good.kind(), good.tags(),
                    "tampered", good.sig());
            for (Event bad : List.of(badSig, badId)) {
                RelayMessage.Ok ok = c.publish(bad);
                assertFalse(ok.accepted());
                assertTrue(ok.message().startsWith("invalid:"), ok.message());
            }
            assertEquals(List.of(), c.req("bad", idFilter(good)));
        }
    }

    @Test
    void storedEventsComeNewestFirstUpToTheLimitAndFiltersAreOred() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 1000;
            List<Event> notes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Event e = event(5, t + i, 1, List.of(List.of("t", "order-test")), "note " + i);
                notes.add(e);
                c.publishAccepted(e);
            }
            Event other = event(6, t, 7, List.of(), "+");
            c.publishAccepted(other);
            List<String> newestThree = c.req("lim", "{\"#t\":[\"order-test\"],\"limit\":3}");
            assertEquals(List.of(notes.get(4).id(), notes.get(3).id(), notes.get(2).id()), newestThree);
            List<String> both = c.req("or", "{\"#t\":[\"order-test\"],\"limit\":1}", idFilter(other, notes.get(4)));
            // The newest note matches both filters and is still sent once.
            assertEquals(List.of(notes.get(4).id(), other.id()), both);
            assertEquals(List.of(), c.req("zero", "{\"#t\":[\"order-test\"],\"limit\":0}"));
        }
    }

    @Test
    void equalTimestampsAreOrderedByLowestIdFirst() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 2000;
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Event e = event(7, t, 1, List.of(List.of("t", "tie-test")), "tie " + i);
                ids.add(e.id());
                c.publishAccepted(e);
            }
            ids.sort(null);
            assertEquals(ids, c.req("tie", "{\"#t\":[\"tie-test\"]}"));
        }
    }

    @Test
    void liveEventsFollowEoseAndStopAfterClose() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            String filter = "{\"kinds\":[1],\"#t\":[\"live-test\"]}";
            assertEquals(List.of(), sub.req("live", filter));
            Event miss = event(8, now(), 1, List.of(List.of("t", "other-topic")), "not for you");
            Event hit = event(8, now(), 1, List.of(List.of("t", "live-test")), "for you");
            pub.publishAccepted(miss);
            pub.publishAccepted(hit);
            RelayMessage.EventMatch m = sub.next(RelayMessage.EventMatch.class);
            assertEquals("live", m.subscriptionId());
            assertEquals(hit.id(), Event.parse(m.eventJson()).id());

            sub.send("[\"CLOSE\",\"live\"]");
            // A probe subscription proves CLOSE was processed before the next publish.
            assertEquals(List.of(), sub.req("probe", "{\"#t\":[\"probe-after-close\"]}"));
            Event after = event(8, now(), 1, List.of(List.of("t", "live-test"), List.of("t", "probe-after-close")),
                    "after close");
            pub.publishAccepted(after);
            RelayMessage.EventMatch probe = sub.next(RelayMessage.EventMatch.class);
            assertEquals("probe", probe.subscriptionId(), "the closed subscription must not get events");
        }
    }

    @Test
    void aReqWithAnOpenIdReplacesIt() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            assertEquals(List.of(), sub.req("r", "{\"#t\":[\"replace-old\"]}"));
            assertEquals(List.of(), sub.req("r", "{\"#t\":[\"replace-new\"]}"));
            pub.publishAccepted(event(9, now(), 1, List.of(List.of("t", "replace-old")), "old"));
            Event fresh = event(9, now(), 1, List.of(List.of("t", "replace-new")), "new");
            pub.publishAccepted(fresh);
            RelayMessage.EventMatch m = sub.next(RelayMessage.EventMatch.class);
            assertEquals(fresh.id(), Event.parse(m.eventJson()).id());
        }
    }

    @Test
    void subscriptionIdsAreScopedToTheirConnection() throws Exception {
        try (RelayClient a = connect(); RelayClient b = connect(); RelayClient pub = connect()) {
            assertEquals(List.of(), a.req("same", "{\"#t\":[\"scope-a\"]}"));
            assertEquals(List.of(), b.req("same", "{\"#t\":[\"scope-b\"]}"));
            Event forB = event(10, now(), 1, List.of(List.of("t", "scope-b")), "b");
            Event forA = event(10, now(), 1, List.of(List.of("t", "scope-a")), "a");
            pub.publishAccepted(forB);
            pub.publishAccepted(forA);
            assertEquals(forA.id(), Event.parse(a.next(RelayMessage.EventMatch.class).eventJson()).id());
            assertEquals(forB.id(), Event.parse(b.next(RelayMessage.EventMatch.class).eventJson()).id());
        }
    }

    @Test
    void replaceableAndAddressableEventsKeepOnlyTheNewest() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 100;
            Event v1 = event(11, t, 0, List.of(), "{\"name\":\"v1\"}");
            Event v2 = event(11, t + 1, 0, List.of(), "{\"name\":\"v2\"}");
            c.publishAccepted(v1);
            c.publishAccepted(v2);
            RelayMessage.Ok stale = c.publish(event(11, t - 5, 0, List.of(), "{\"name\":\"stale\"}"));
            assertFalse(stale.accepted());
            assertTrue(stale.message().startsWith("duplicate:"), stale.message());
            String author = "\"" + v2.pubkey() + "\"";
            assertEquals(List.of(v2.id()), c.req("meta", "{\"authors\":[" + author + "],\"kinds\":[0]}"));

            Event a1 = event(11, t, 30000, List.of(List.of("d", "list")), "a1");
            Event a2 = event(11, t + 1, 30000, List.of(List.of("d", "list")), "a2");
            Event other = event(11, t, 30000, List.of(List.of("d", "other")), "other d");
            c.publishAccepted(a1);
            c.publishAccepted(a2);
            c.publishAccepted(other);
            assertEquals(List.of(a2.id(), other.id()),
                    c.req("addr", "{\"authors\":[" + author + "],\"kinds\":[30000]}"));
        }
    }

    @Test
    void ephemeralEventsReachLiveSubscribersButAreNeverStored() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            String filter = "{\"kinds\":[20001],\"#t\":[\"ephemeral-test\"]}";
            assertEquals(List.of(), sub.req("eph", filter));
            Event e = event(12, now(), 20001, List.of(List.of("t", "ephemeral-test")), "here and gone");
            pub.publishAccepted(e);
            assertEquals(e.id(), Event.parse(sub.next(RelayMessage.EventMatch.class).eventJson()).id());
            assertEquals(List.of(), pub.req("later", filter));
        }
    }

    @Test
    void nip11DocumentHasCorsAndTheLiveLimits() throws Exception {
        Http info = Http.get(clients, relay.port(), "/", "Accept", "application/nostr+json");
        assertEquals(200, info.status());
        assertEquals("*", info.headers().get("Access-Control-Allow-Origin"));
        assertTrue(info.headers().get("Access-Control-Allow-Methods").contains("GET"));
        assertEquals("application/nostr+json", info.headers().get("Content-Type"));
        var body = info.body().toJsonObject();
        assertEquals(List.of(1, 9, 11, 13, 40, 42, 45, 50, 62, 65, 70),
                body.getJsonArray("supported_nips").getList());
        assertEquals(relay.config.getInteger("limits.max_subscriptions"),
                body.getJsonObject("limitation").getInteger("max_subscriptions"));

        Http page = Http.get(clients, relay.port(), "/");
        assertTrue(page.headers().get("Content-Type").startsWith("text/html"));

        Http health = Http.get(clients, relay.port(), "/health");
        assertEquals(200, health.status());
        assertTrue(health.body().toJsonObject().getJsonObject("store").getLong("disk_size_bytes") > 0);
    }
}
