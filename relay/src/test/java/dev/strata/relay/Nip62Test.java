package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static dev.strata.relay.TestRelay.pubkey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NIP-62 requests to vanish over a real WebSocket against the real relay, whose URL is {@link #URL}: everything of
 * the author up to the request goes, gift wraps to them included, and stays refused, also after a restart. One
 * subclass per store engine.
 */
abstract class Nip62Test extends OverTheWire {
    static final String URL = "wss://relay.strata.test/";
    // An author of its own per test (Bob only ever writes to them): the tests share one relay.
    static final int BOB = 130;

    static void startOn(TestRelay.Engine e) throws Exception {
        start(e, Map.of("relay.url", URL));
    }

    static String by(int author) {
        return "{\"authors\":[\"" + pubkey(author) + "\"]}";
    }

    static Event vanish(int author, long createdAt, String relayTag) {
        return event(author, createdAt, 62, List.of(List.of("relay", relayTag)), "please forget me");
    }

    static Event giftWrap(int wrapper, long createdAt, int recipient) {
        return event(wrapper, createdAt, 1059, List.of(List.of("p", pubkey(recipient))), "sealed");
    }

    static void assertRefused(String prefix, RelayMessage.Ok ok) {
        assertFalse(ok.accepted(), ok.toString());
        assertTrue(ok.message().startsWith(prefix), ok.message());
    }

    @Test
    void everythingOfTheAuthorUpToTheRequestGoesAndStaysRefused() throws Exception {
        int alice = 131;
        long t = now() - 100;
        Event note = event(alice, t, 1, List.of(), "note");
        Event profile = event(alice, t, 0, List.of(), "{\"name\":\"alice\"}");
        Event deletion = event(alice, t + 1, 5, List.of(List.of("e", "ab".repeat(32))), "a deletion request");
        Event wrapToAlice = giftWrap(140, t + 2, alice);
        Event wrapToBob = giftWrap(141, t + 2, BOB);
        Event bobsReply = event(BOB, t + 2, 1, List.of(List.of("p", pubkey(alice))), "bob mentions alice");
        try (RelayClient c = connect()) {
            for (Event e : List.of(note, profile, deletion, wrapToAlice, wrapToBob, bobsReply)) {
                c.publishAccepted(e);
            }
            // The relay tag is matched leniently: ws or wss, any case in the host, no trailing slash needed.
            Event request = vanish(alice, t + 10, "ws://Relay.Strata.Test");
            RelayMessage.Ok ok = c.publish(request);
            assertTrue(ok.accepted(), ok.toString());

            assertEquals(List.of(request.id()), stored(by(alice)));
            assertEquals(List.of(bobsReply.id()), stored("{\"#p\":[\"" + pubkey(alice) + "\"]}"));
            assertEquals(1, RelayClient.count(clients, relay.port(), by(alice)), "nor counted (NIP-45)");
            assertEquals(List.of(wrapToBob.id()), stored("{\"kinds\":[1059],\"#p\":[\"" + pubkey(BOB) + "\"]}"));
            for (Event e : List.of(note, profile, deletion, wrapToAlice,
                    event(alice, t + 10, 1, List.of(), "as old as the request"), giftWrap(142, t + 9, alice))) {
                assertRefused("blocked:", c.publish(e));
            }
            Event later = event(alice, t + 11, 1, List.of(), "after the request");
            c.publishAccepted(later);
            c.publishAccepted(giftWrap(142, t + 11, alice));
            assertEquals(List.of(later.id(), request.id()), stored(by(alice)));
        }
    }

    @Test
    void allRelaysCountsAsThisRelay() throws Exception {
        int carol = 132;
        long t = now() - 100;
        Event note = event(carol, t, 1, List.of(), "note");
        try (RelayClient c = connect()) {
            c.publishAccepted(note);
            Event request = vanish(carol, t + 1, "ALL_RELAYS");
            c.publishAccepted(request);
            assertEquals(List.of(request.id()), stored(by(carol)));
            assertRefused("blocked:", c.publish(note));
        }
    }

    @Test
    void aRequestForOtherRelaysOrNoneIsRefusedAndChangesNothing() throws Exception {
        int dave = 133;
        long t = now() - 100;
        Event note = event(dave, t, 1, List.of(), "note");
        try (RelayClient c = connect()) {
            c.publishAccepted(note);
            assertRefused("blocked:", c.publish(vanish(dave, t + 1, "wss://other.example.com/")));
            assertRefused("blocked:", c.publish(vanish(dave, t + 1, "all_relays")));
            assertRefused("invalid:", c.publish(event(dave, t + 1, 62, List.of(), "no relay tag")));
            assertEquals(List.of(note.id()), stored(by(dave)));
        }
    }

    @Test
    void aDeletionOfTheRequestHasNoEffect() throws Exception {
        int erin = 134;
        long t = now() - 100;
        Event note = event(erin, t, 1, List.of(), "note");
        Event request = vanish(erin, t + 1, URL);
        try (RelayClient c = connect()) {
            c.publishAccepted(note);
            c.publishAccepted(request);
            c.publishAccepted(event(erin, t + 2, 5, List.of(List.of("e", request.id())), "undo"));
            assertEquals(List.of(request.id()), stored("{\"ids\":[\"" + request.id() + "\"]}"));
            assertRefused("blocked:", c.publish(note));
        }
    }

    @Test
    void ephemeralEventsOfTheAuthorUpToTheRequestAreRefusedAndReachNoSubscriber() throws Exception {
        int frank = 135;
        long t = now() - 100;
        String live = "{\"kinds\":[20001],\"authors\":[\"" + pubkey(frank) + "\"]}";
        try (RelayClient c = connect(); RelayClient sub = connect()) {
            assertEquals(List.of(), sub.req("eph", live));
            c.publishAccepted(vanish(frank, t + 10, URL));
            assertRefused("blocked:", c.publish(event(frank, t + 10, 20001, List.of(), "as old as the request")));
            Event later = event(frank, t + 11, 20001, List.of(), "after the request");
            c.publishAccepted(later);
            // Events reach a subscription in the order they were accepted: the refused one would have come first.
            assertEquals(later.id(), Event.parse(sub.next(RelayMessage.EventMatch.class).eventJson()).id());
        }
    }

    @Test
    void aRequestToVanishOutlivesARestart(@TempDir Path ownDir) throws Exception {
        int frank = 135;
        long t = now() - 100;
        Event note = event(frank, t, 1, List.of(), "note");
        Event wrap = giftWrap(143, t, frank);
        Event request = vanish(frank, t + 1, URL);
        String schema = TestRelay.newSchema();
        Map<String, String> settings = Map.of("relay.url", URL, "store.pg_schema", schema);
        TestRelay first = TestRelay.start(engine, ownDir, settings);
        try (RelayClient c = RelayClient.connect(clients, first.port())) {
            c.publishAccepted(note);
            c.publishAccepted(wrap);
            c.publishAccepted(request);
        }
        first.stop();
        try (TestRelay again = TestRelay.start(engine, ownDir, settings);
             RelayClient c = RelayClient.connect(clients, again.port())) {
            assertEquals(List.of(request.id()), RelayClient.stored(clients, again.port(), "{}"));
            assertRefused("blocked:", c.publish(note));
            assertRefused("blocked:", c.publish(wrap));
        }
    }
}
