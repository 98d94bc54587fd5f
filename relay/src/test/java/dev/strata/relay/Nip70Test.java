package dev.strata.relay;

import static dev.strata.relay.TestRelay.authEvent;
import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;

/**
 * NIP-70 protected events over a real WebSocket, on a relay with no auth rules configured (so the NIP-42 challenge
 * comes only when a protected event needs it) and its default URL. One subclass per store engine.
 */
abstract class Nip70Test extends OverTheWire {
    static final int ALICE = 80;
    static final int BOB = 81;

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, Map.of());
    }

    /** The default relay.url. */
    static String url() {
        return "ws://localhost:" + relay.port() + "/";
    }

    static Event protectedNote(int author, String content) {
        return event(author, now(), 1, List.of(List.of("-"), List.of("t", "members")), content);
    }

    /** The stored events with the event's id, by a REQ that is closed right after its EOSE. */
    static List<String> stored(RelayClient c, Event e) throws Exception {
        List<String> ids = c.req("stored", "{\"ids\":[\"" + e.id() + "\"]}");
        c.send("[\"CLOSE\",\"stored\"]");
        return ids;
    }

    static void assertRefused(RelayMessage.Ok ok, String message) {
        assertFalse(ok.accepted());
        assertEquals(message, ok.message());
    }

    @Test
    void onlyAConnectionAuthenticatedAsTheAuthorMayPublishAProtectedEvent() throws Exception {
        Event secret = protectedNote(ALICE, "hello members of the secret group");
        try (RelayClient c = connect()) {
            // NIP-70's flow: the challenge, then auth-required.
            c.send("[\"EVENT\"," + secret.toJson() + "]");
            String challenge = c.challenge();
            RelayMessage.Ok first = c.next(RelayMessage.Ok.class);
            assertEquals(secret.id(), first.eventId());
            assertRefused(first, "auth-required: this event may only be published by its author");
            assertEquals(List.of(), stored(c, secret));

            assertTrue(c.auth(authEvent(BOB, url(), challenge)).accepted());
            assertRefused(c.publish(secret), "restricted: this event may only be published by its author");
            assertEquals(List.of(), stored(c, secret));

            // Alice joins Bob on the same connection: now her event is hers to publish.
            assertTrue(c.auth(authEvent(ALICE, url(), challenge)).accepted());
            c.publishAccepted(secret);
        }
        try (RelayClient reader = connect()) {
            // Reading a protected event needs nothing; sending it again does.
            assertEquals(List.of(secret.id()), stored(reader, secret));
            reader.send("[\"EVENT\"," + secret.toJson() + "]");
            reader.challenge();
            assertRefused(reader.next(RelayMessage.Ok.class),
                    "auth-required: this event may only be published by its author");
        }
    }

    @Test
    void aRepostCarryingAProtectedEventIsBlockedWhoeverSendsIt() throws Exception {
        Event secret = protectedNote(ALICE, "not for reposting");
        Event open = event(ALICE, now(), 1, List.of(List.of("t", "open")), "repost me");
        try (RelayClient c = connect()) {
            c.publishAccepted(open);
            for (int kind : new int[] {6, 16}) {
                Event embedding = event(BOB, now(), kind, List.of(List.of("e", secret.id()),
                        List.of("p", secret.pubkey())), secret.toJson());
                assertRefused(c.publish(embedding), "blocked: a repost must not embed a protected event");
                assertEquals(List.of(), stored(c, embedding));
                // A repost that only points at it, or embeds an open event, is fine.
                c.publishAccepted(event(BOB, now(), kind, List.of(List.of("e", secret.id())), ""));
                c.publishAccepted(event(BOB, now(), kind, List.of(List.of("e", open.id())), open.toJson()));
            }
        }
    }

    @Test
    void noChallengeComesUnaskedAndAnAuthBeforeOneGetsIt() throws Exception {
        try (RelayClient c = connect()) {
            // Nothing needs AUTH here, so the first thing the relay sends is the answer to the first REQ.
            assertEquals(List.of(), c.req("first", "{\"#t\":[\"nothing\"]}"));
            Event guess = authEvent(ALICE, url(), "a guess");
            c.send("[\"AUTH\"," + guess.toJson() + "]");
            String challenge = c.challenge();
            RelayMessage.Ok ok = c.next(RelayMessage.Ok.class);
            assertEquals(guess.id(), ok.eventId());
            assertRefused(ok, "invalid: no challenge had been sent on this connection; answer the one just sent");
            assertTrue(c.auth(authEvent(ALICE, "ws://LOCALHOST:" + relay.port(), challenge)).accepted());
            c.publishAccepted(protectedNote(ALICE, "after answering"));
        }
    }
}
