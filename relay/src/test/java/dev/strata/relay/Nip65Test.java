package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static dev.strata.relay.TestRelay.pubkey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;

/**
 * NIP-65 relay lists over a real WebSocket: kind 10002 is replaceable, served newest only and found by its {@code r}
 * tags, stored and live. One subclass per store engine.
 */
abstract class Nip65Test extends OverTheWire {
    // An author per test: the tests share one relay, and each author's list replaces the last.
    static final int ALICE = 90;
    static final int BOB = 91;
    static final int CAROL = 92;
    static final int DAVE = 93;

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, Map.of());
    }

    static Event relayList(int author, long createdAt, List<List<String>> relays) {
        return event(author, createdAt, 10002, relays, ""); // NIP-65: the content is not used
    }

    static List<String> r(String url, String... marker) {
        return marker.length == 0 ? List.of("r", url) : List.of("r", url, marker[0]);
    }

    @Test
    void onlyTheNewestListOfAnAuthorIsServed() throws Exception {
        long t = now() - 1000;
        Event v1 = relayList(ALICE, t, List.of(r("wss://alicerelay.example.com"), r("wss://old.example.com")));
        Event v2 = relayList(ALICE, t + 10, List.of(r("wss://alicerelay.example.com"),
                r("wss://expensive-relay.example2.com", "write"), r("wss://nostr-relay.example.com", "read")));
        String alices = "{\"kinds\":[10002],\"authors\":[\"" + pubkey(ALICE) + "\"]}";
        try (RelayClient c = connect()) {
            c.publishAccepted(v1);
            c.publishAccepted(v2);
            assertEquals(List.of(v2.id()), c.req("list", alices));
            RelayMessage.Ok stale = c.publish(relayList(ALICE, t - 10, List.of(r("wss://stale.example.com"))));
            assertFalse(stale.accepted());
            assertTrue(stale.message().startsWith("duplicate:"), stale.message());
            assertEquals(List.of(v2.id()), c.req("again", alices));
            // The replaced list is gone from every index, its r tags included.
            assertEquals(List.of(), c.req("old", "{\"#r\":[\"wss://old.example.com\"]}"));
            assertEquals(List.of(), c.req("stale", "{\"#r\":[\"wss://stale.example.com\"]}"));
        }
    }

    @Test
    void listsAreFoundByTheirRTagsWhateverTheMarker() throws Exception {
        long t = now() - 500;
        Event bob = relayList(BOB, t, List.of(r("wss://shared.example.com", "write"), r("wss://b.example.com")));
        Event carol = relayList(CAROL, t, List.of(r("wss://shared.example.com", "read")));
        try (RelayClient c = connect()) {
            c.publishAccepted(bob);
            c.publishAccepted(carol);
            List<String> both = c.req("shared", "{\"kinds\":[10002],\"#r\":[\"wss://shared.example.com\"]}");
            assertEquals(List.of(bob.id(), carol.id()).stream().sorted().toList(), both);
            assertEquals(List.of(bob.id()), c.req("b", "{\"kinds\":[10002],\"#r\":[\"wss://b.example.com\"]}"));
        }
    }

    @Test
    void aNewListReachesLiveSubscribersOfItsRelays() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            assertEquals(List.of(), sub.req("live", "{\"kinds\":[10002],\"#r\":[\"wss://live.example.com\"]}"));
            Event list = relayList(DAVE, now(), List.of(r("wss://live.example.com", "write")));
            pub.publishAccepted(list);
            RelayMessage.EventMatch m = sub.next(RelayMessage.EventMatch.class);
            assertEquals(list.toJson(), m.eventJson());
        }
    }
}
