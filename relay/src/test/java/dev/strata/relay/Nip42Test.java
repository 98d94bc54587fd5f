package dev.strata.relay;

import static dev.strata.relay.TestRelay.authEvent;
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
import dev.strata.model.Hex;
import dev.strata.model.RelayMessage;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NIP-42 over a real WebSocket: the challenge, every way an AUTH is refused, several pubkeys on one connection, kinds
 * served only to their parties (stored and live), and a relay that requires AUTH for reads and writes. One subclass
 * per store engine.
 */
abstract class Nip42Test {
    static final String URL = "wss://relay.strata.test/";
    static final int MAX_PUBKEYS = 3;
    /** A private kind of plain text (auth.private_kinds below), unlike the DMs whose content search never reads. */
    static final int PRIVATE_NOTE = 7007;
    static final int ALICE = 70;
    static final int BOB = 71;
    static final int CAROL = 72;
    static final int DAVE = 73;
    static final int WRAPPER = 74;

    @TempDir
    static Path dataDir;
    /** DMs and gift wraps only to their parties; reads and writes otherwise open. */
    static TestRelay relay;
    /** Nothing without AUTH. */
    static TestRelay closed;
    static Vertx clients;

    static void startOn(TestRelay.Engine engine) throws Exception {
        relay = TestRelay.start(engine, dataDir.resolve("private-kinds"), Map.of("relay.url", URL,
                "auth.private_kinds", "4,1059," + PRIVATE_NOTE, "auth.max_pubkeys", String.valueOf(MAX_PUBKEYS)));
        closed = TestRelay.start(engine, dataDir.resolve("closed"), Map.of("relay.url", URL,
                "auth.required_for_reads", "true", "auth.required_for_writes", "true"));
        clients = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        Http.await(clients.close());
        relay.close();
        closed.close();
    }

    /** A connection to the private-kinds relay, its challenge already taken. */
    Session connect() throws Exception {
        RelayClient c = RelayClient.connect(clients, relay.port());
        return new Session(c, c.challenge());
    }

    record Session(RelayClient client, String challenge) implements AutoCloseable {
        void authenticateAs(int author) throws Exception {
            RelayMessage.Ok ok = client.auth(authEvent(author, URL, challenge));
            assertTrue(ok.accepted(), ok.toString());
            assertEquals("", ok.message());
        }

        @Override
        public void close() {
            client.close();
        }
    }

    static void assertInvalid(RelayMessage.Ok ok, String message) {
        assertFalse(ok.accepted());
        assertEquals("invalid: " + message, ok.message());
    }

    static String ids(Event... events) {
        StringBuilder sb = new StringBuilder("{\"ids\":[");
        for (int i = 0; i < events.length; i++) {
            sb.append(i > 0 ? "," : "").append('"').append(events[i].id()).append('"');
        }
        return sb.append("]}").toString();
    }

    @Test
    void theChallengeComesOnConnectAndAnAnswerSignedForItAuthenticates() throws Exception {
        try (Session s = connect()) {
            assertTrue(Hex.isLowerHex(s.challenge(), 32), s.challenge());
            s.authenticateAs(ALICE);
        }
        try (Session other = connect()) {
            // A fresh challenge for every connection: another connection's answer is no answer here.
            try (Session first = connect()) {
                assertFalse(first.challenge().equals(other.challenge()));
                assertInvalid(other.client().auth(authEvent(ALICE, URL, first.challenge())),
                        "the challenge tag does not match this connection's challenge");
            }
        }
    }

    @Test
    void everyFlawedAuthIsRefusedAsInvalidAndAuthenticatesNobody() throws Exception {
        try (Session s = connect()) {
            RelayClient c = s.client();
            String ch = s.challenge();
            List<List<String>> good = List.of(List.of("relay", URL), List.of("challenge", ch));
            assertInvalid(c.auth(authEvent(ALICE, URL, "not-" + ch)),
                    "the challenge tag does not match this connection's challenge");
            assertInvalid(c.auth(event(ALICE, now(), 22242, List.of(List.of("relay", URL)), "")),
                    "the challenge tag does not match this connection's challenge");
            assertInvalid(c.auth(authEvent(ALICE, "wss://another.relay.test/", ch)),
                    "the relay tag does not name this relay (" + URL + ")");
            assertInvalid(c.auth(event(ALICE, now(), 22242, List.of(List.of("challenge", ch)), "")),
                    "the relay tag does not name this relay (" + URL + ")");
            assertInvalid(c.auth(event(ALICE, now() - 601, 22242, good, "")),
                    "created_at is more than 600 seconds away from now");
            assertInvalid(c.auth(event(ALICE, now() + 601, 22242, good, "")),
                    "created_at is more than 600 seconds away from now");
            assertInvalid(c.auth(event(ALICE, now(), 1, good, "")), "AUTH takes a kind 22242 event, not kind 1");
            Event signed = authEvent(ALICE, URL, ch);
            Event badSig = new Event(signed.id(), signed.pubkey(), signed.createdAt(), signed.kind(), signed.tags(),
                    signed.content(), signed.sig().substring(0, 127) + (signed.sig().endsWith("0") ? "1" : "0"));
            assertInvalid(c.auth(badSig), "bad id or signature");
            Event otherAuthor = authEvent(BOB, URL, ch);
            Event stolen = new Event(otherAuthor.id(), signed.pubkey(), signed.createdAt(), signed.kind(),
                    otherAuthor.tags(), signed.content(), otherAuthor.sig());
            assertInvalid(c.auth(stolen), "bad id or signature");
            // None of them authenticated anyone: DMs are still refused.
            assertTrue(c.reqRefused("dm", "{\"kinds\":[4]}").startsWith("auth-required:"));
            // Within the window either way, the connection still authenticates.
            RelayMessage.Ok late = c.auth(event(ALICE, now() - 590, 22242, good, ""));
            assertTrue(late.accepted(), late.toString());
            assertEquals(List.of(), c.req("dm", "{\"kinds\":[4],\"#p\":[\"" + "ee".repeat(32) + "\"]}"));
        }
    }

    @Test
    void theRelayTagMatchesLeniently() throws Exception {
        for (String sameRelay : new String[] {"wss://relay.strata.test", "WSS://Relay.Strata.TEST/",
                "ws://relay.strata.test/", "wss://relay.strata.test:443"}) {
            try (Session s = connect()) {
                RelayMessage.Ok ok = s.client().auth(authEvent(ALICE, sameRelay, s.challenge()));
                assertTrue(ok.accepted(), sameRelay + ": " + ok);
            }
        }
    }

    @Test
    void severalPubkeysAuthenticateOnOneConnectionUpToTheCap() throws Exception {
        try (Session s = connect()) {
            s.authenticateAs(ALICE);
            s.authenticateAs(BOB);
            s.authenticateAs(CAROL);
            s.authenticateAs(ALICE); // already counted
            RelayMessage.Ok ok = s.client().auth(authEvent(DAVE, URL, s.challenge()));
            assertFalse(ok.accepted());
            assertEquals("restricted: at most " + MAX_PUBKEYS + " pubkeys may authenticate on one connection",
                    ok.message());
            // All three count: a DM to Bob and one from Carol are both served here.
            Event toBob = event(DAVE, now(), 4, List.of(List.of("p", pubkey(BOB))), "to bob");
            Event fromCarol = event(CAROL, now(), 4, List.of(List.of("p", pubkey(DAVE))), "from carol");
            s.client().publishAccepted(toBob);
            s.client().publishAccepted(fromCarol);
            assertEquals(2, s.client().req("both", ids(toBob, fromCarol)).size());
        }
    }

    @Test
    void authEventsAreNeverStoredNorBroadcast() throws Exception {
        try (Session watcher = connect(); Session s = connect()) {
            assertEquals(List.of(), watcher.client().req("w", "{\"kinds\":[22242]}", "{\"#t\":[\"auth-probe\"]}"));
            Event auth = authEvent(ALICE, URL, s.challenge());
            assertTrue(s.client().auth(auth).accepted());
            RelayMessage.Ok asEvent = s.client().publish(authEvent(BOB, URL, s.challenge()));
            assertFalse(asEvent.accepted());
            assertTrue(asEvent.message().startsWith("invalid:"), asEvent.message());
            Event probe = event(ALICE, now(), 1, List.of(List.of("t", "auth-probe")), "probe");
            s.client().publishAccepted(probe);
            RelayMessage.EventMatch first = watcher.client().next(RelayMessage.EventMatch.class);
            assertEquals(probe.id(), Event.parse(first.eventJson()).id(), "an AUTH event reached a subscriber");
            assertEquals(List.of(), s.client().req("stored", "{\"kinds\":[22242]}"));
        }
    }

    @Test
    void privateKindsAreServedOnlyToTheirAuthorAndTaggedPubkeys() throws Exception {
        Event dm = event(ALICE, now() - 10, 4, List.of(List.of("p", pubkey(BOB))), "alice to bob");
        Event wrap = event(WRAPPER, now() - 10, 1059, List.of(List.of("p", pubkey(BOB))), "sealed for bob");
        Event note = event(ALICE, now() - 20, 1, List.of(), "alice in public");
        String byAlice = "{\"authors\":[\"" + pubkey(ALICE) + "\"]}";
        String dms = "{\"kinds\":[4],\"authors\":[\"" + pubkey(ALICE) + "\"]}";
        String wraps = "{\"kinds\":[1059],\"#p\":[\"" + pubkey(BOB) + "\"]}";
        try (Session anon = connect()) {
            // Writing them needs no AUTH.
            anon.client().publishAccepted(dm);
            anon.client().publishAccepted(wrap);
            anon.client().publishAccepted(note);
            assertEquals("auth-required: kind 4 is served only to its author and the pubkeys it tags",
                    anon.client().reqRefused("dms", dms));
            assertEquals("auth-required: kind 1059 is served only to its author and the pubkeys it tags",
                    anon.client().reqRefused("wraps", "{\"kinds\":[1,1059]}"));
            // Kindless filters run, without the private events.
            assertEquals(List.of(note.id()), anon.client().req("all", byAlice));
            assertEquals(List.of(), anon.client().req("ids", ids(dm, wrap)));
        }
        // Alice's DMs to Bob: nobody else is a party to any event this filter can match.
        String aliceToBob = "{\"kinds\":[4],\"authors\":[\"" + pubkey(ALICE) + "\"],\"#p\":[\"" + pubkey(BOB)
                + "\"]}";
        String restricted = "restricted: kind 4 is served only to its author and the pubkeys it tags, and this "
                + "request names none of the pubkeys you authenticated";
        try (Session carol = connect()) {
            carol.authenticateAs(CAROL);
            assertEquals(List.of(), carol.client().req("dms", dms));
            assertEquals(List.of(), carol.client().req("wraps", wraps));
            assertEquals(restricted, carol.client().reqRefused("theirs", aliceToBob));
            assertEquals(restricted, count(carol.client(), aliceToBob));
            // One filter that could match an event of Carol's is enough for the REQ to run.
            assertEquals(List.of(note.id()), carol.client().req("some", aliceToBob, byAlice));
            assertEquals(List.of(note.id()), carol.client().req("all", byAlice));
            // Bob, on the same connection, may see what Carol may not.
            carol.authenticateAs(BOB);
            assertEquals(List.of(dm.id()), carol.client().req("dms", dms));
            assertEquals(List.of(dm.id()), carol.client().req("theirs", aliceToBob));
            assertEquals(List.of(wrap.id()), carol.client().req("wraps", wraps));
        }
        try (Session alice = connect()) {
            alice.authenticateAs(ALICE);
            assertEquals(List.of(dm.id(), note.id()), alice.client().req("all", byAlice));
            // The gift wrap is Bob's alone.
            assertEquals(List.of(), alice.client().req("wraps", wraps));
        }
    }

    /** Sends a COUNT and returns the number, or the CLOSED reason (as a String). */
    static Object count(RelayClient c, String filter) throws Exception {
        c.send("[\"COUNT\",\"n\"," + filter + "]");
        RelayMessage m = c.next();
        if (m instanceof RelayMessage.Closed closed) {
            return closed.message();
        }
        return ((RelayMessage.CountResult) m).count();
    }

    @Test
    void countsAndSearchesFollowTheRulesOfReq() throws Exception {
        Event dm = event(ALICE, now() - 40, 4, List.of(List.of("p", pubkey(BOB)), List.of("t", "count-auth")),
                "countauthword in a dm");
        Event note = event(ALICE, now() - 41, 1, List.of(List.of("t", "count-auth")), "countauthword in public");
        // DMs are never searched (their content is ciphertext): a private kind of plain text shows search's rules.
        Event secret = event(ALICE, now() - 42, PRIVATE_NOTE, List.of(List.of("p", pubkey(BOB)),
                List.of("t", "count-auth")), "countauthword in a private note");
        String search = "{\"search\":\"countauthword\"}";
        String tagged = "{\"#t\":[\"count-auth\"]}";
        String dms = "{\"kinds\":[4],\"#t\":[\"count-auth\"]}";
        try (Session anon = connect()) {
            anon.client().publishAccepted(dm);
            anon.client().publishAccepted(note);
            anon.client().publishAccepted(secret);
            assertEquals(1L, count(anon.client(), tagged), "the private events are left out of a kindless count");
            assertEquals(List.of(note.id()), anon.client().req("s", search), "and of a search");
            assertEquals("auth-required: kind 4 is served only to its author and the pubkeys it tags",
                    count(anon.client(), dms));
        }
        try (Session carol = connect()) {
            carol.authenticateAs(CAROL);
            assertEquals(1L, count(carol.client(), tagged));
            assertEquals(0L, count(carol.client(), dms));
            assertEquals(List.of(note.id()), carol.client().req("s", search));
            carol.authenticateAs(BOB);
            assertEquals(3L, count(carol.client(), tagged));
            assertEquals(1L, count(carol.client(), dms));
            assertEquals(java.util.Set.of(secret.id(), note.id()),
                    java.util.Set.copyOf(carol.client().req("s", search)));
        }
        try (RelayClient c = RelayClient.connect(clients, closed.port())) {
            String challenge = c.challenge();
            assertEquals("auth-required: this relay serves only authenticated clients", count(c, tagged));
            assertTrue(c.auth(authEvent(CAROL, URL, challenge)).accepted());
            assertEquals(0L, count(c, tagged));
        }
    }

    @Test
    void aRefusedReqStillEndsTheSubscriptionItReplaces() throws Exception {
        try (Session anon = connect(); Session pub = connect()) {
            assertEquals(List.of(), anon.client().req("x", "{\"#t\":[\"replaced\"]}"));
            assertTrue(anon.client().reqRefused("x", "{\"kinds\":[4]}").startsWith("auth-required:"));
            assertEquals(List.of(), anon.client().req("probe", "{\"#t\":[\"replaced\"]}"));
            pub.client().publishAccepted(event(ALICE, now(), 1, List.of(List.of("t", "replaced")), "after"));
            assertEquals("probe", anon.client().next(RelayMessage.EventMatch.class).subscriptionId());
            // Anything still owed to "x" would come before this EOSE (req fails on an EVENT for another id).
            assertEquals(List.of(), anon.client().req("sync", "{\"#t\":[\"nothing-here\"]}"));
        }
    }

    @Test
    void privateEventsAreLeftOutBeforeTheLimitCounts() throws Exception {
        Event older = event(ALICE, now() - 30, 1, List.of(List.of("t", "limit-probe")), "public, older");
        Event newer = event(ALICE, now() - 29, 4, List.of(List.of("t", "limit-probe"), List.of("p", pubkey(BOB))),
                "private, newer");
        try (Session anon = connect()) {
            anon.client().publishAccepted(older);
            anon.client().publishAccepted(newer);
            assertEquals(List.of(older.id()), anon.client().req("one", "{\"#t\":[\"limit-probe\"],\"limit\":1}"));
        }
    }

    @Test
    void liveEventsOfPrivateKindsReachOnlyTheirParties() throws Exception {
        String filter = "{\"#t\":[\"live-dm\"]}";
        try (Session anon = connect(); Session carol = connect(); Session bob = connect(); Session pub = connect()) {
            carol.authenticateAs(CAROL);
            assertEquals(List.of(), anon.client().req("live", filter));
            assertEquals(List.of(), carol.client().req("live", filter));
            // Bob subscribes before he authenticates: live events follow what the connection is now.
            assertEquals(List.of(), bob.client().req("live", filter));
            bob.authenticateAs(BOB);
            Event dm = event(ALICE, now(), 4, List.of(List.of("t", "live-dm"), List.of("p", pubkey(BOB))), "hi bob");
            Event wrap = event(WRAPPER, now(), 1059, List.of(List.of("t", "live-dm"), List.of("p", pubkey(BOB))),
                    "sealed");
            Event note = event(ALICE, now(), 1, List.of(List.of("t", "live-dm")), "hi all");
            pub.client().publishAccepted(dm);
            pub.client().publishAccepted(wrap);
            pub.client().publishAccepted(note);
            for (RelayClient outsider : List.of(anon.client(), carol.client())) {
                RelayMessage.EventMatch m = outsider.next(RelayMessage.EventMatch.class);
                assertEquals(note.id(), Event.parse(m.eventJson()).id(), "a private event reached an outsider");
            }
            for (Event expected : List.of(dm, wrap, note)) {
                RelayMessage.EventMatch m = bob.client().next(RelayMessage.EventMatch.class);
                assertEquals(expected.id(), Event.parse(m.eventJson()).id());
            }
        }
    }

    @Test
    void aRelayRequiringAuthServesAndAcceptsNothingUntilTheClientAuthenticates() throws Exception {
        try (RelayClient c = RelayClient.connect(clients, closed.port())) {
            String challenge = c.challenge();
            assertEquals("auth-required: this relay serves only authenticated clients",
                    c.reqRefused("s", "{\"kinds\":[1]}"));
            Event note = event(ALICE, now(), 1, List.of(), "members only relay");
            RelayMessage.Ok refused = c.publish(note);
            assertFalse(refused.accepted());
            assertEquals("auth-required: this relay accepts events only from authenticated clients",
                    refused.message());
            assertTrue(c.auth(authEvent(CAROL, URL, challenge)).accepted());
            // Any authenticated pubkey may write, its own events or anyone's (NIP-42's first motivation).
            c.publishAccepted(note);
            assertEquals(List.of(note.id()), c.req("s", ids(note)));
        }
    }

    @Test
    void nip11ReflectsWhatNeedsAuth() throws Exception {
        JsonObject open = limitation(relay);
        assertFalse(open.getBoolean("auth_required"));
        assertFalse(open.getBoolean("restricted_writes"));
        JsonObject members = limitation(closed);
        assertTrue(members.getBoolean("auth_required"));
        assertTrue(members.getBoolean("restricted_writes"));
    }

    private static JsonObject limitation(TestRelay r) throws Exception {
        return Http.get(clients, r.port(), "/", "Accept", "application/nostr+json").body().toJsonObject()
                .getJsonObject("limitation");
    }
}
