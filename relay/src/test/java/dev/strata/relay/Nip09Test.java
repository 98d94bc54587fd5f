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
 * NIP-09 deletion requests over a real WebSocket against the real relay: what is deleted, what is not, what is
 * refused afterwards, and that all of it outlives a restart. One subclass per store engine.
 */
abstract class Nip09Test extends OverTheWire {
    // An author of its own per test (Bob is only ever deleted from): the tests share one relay.
    static final int BOB = 110;

    static void startOn(TestRelay.Engine e) throws Exception {
        start(e, Map.of());
    }

    static String ids(Event... events) {
        StringBuilder sb = new StringBuilder("{\"ids\":[");
        for (int i = 0; i < events.length; i++) {
            sb.append(i == 0 ? "\"" : ",\"").append(events[i].id()).append('"');
        }
        return sb.append("]}").toString();
    }

    static Event deletion(int author, long createdAt, List<List<String>> targets) {
        return event(author, createdAt, 5, targets, "published by mistake");
    }

    static void assertBlocked(RelayMessage.Ok ok) {
        assertFalse(ok.accepted(), ok.toString());
        assertTrue(ok.message().startsWith("blocked:"), ok.message());
    }

    @Test
    void aDeletedEventIsNeverServedAgainAndARePublishIsBlocked() throws Exception {
        int alice = 111;
        long t = now() - 100;
        Event note = event(alice, t, 1, List.of(List.of("t", "nip09-note")), "oops");
        Event kept = event(alice, t, 1, List.of(List.of("t", "nip09-note")), "keep this one");
        try (RelayClient c = connect(); RelayClient watcher = connect()) {
            c.publishAccepted(note);
            c.publishAccepted(kept);
            String deletions = "{\"kinds\":[5],\"authors\":[\"" + pubkey(alice) + "\"]}";
            assertEquals(List.of(), watcher.req("deletions", deletions));
            Event d = deletion(alice, t + 1, List.of(List.of("e", note.id()), List.of("k", "1")));
            RelayMessage.Ok ok = c.publish(d);
            assertTrue(ok.accepted(), ok.toString());
            assertEquals("", ok.message());

            // The request itself is stored and served, live and stored; its target never again.
            assertEquals(d.id(), Event.parse(watcher.next(RelayMessage.EventMatch.class).eventJson()).id());
            assertEquals(List.of(kept.id()), stored("{\"#t\":[\"nip09-note\"]}"));
            assertEquals(1, RelayClient.count(clients, relay.port(), "{\"#t\":[\"nip09-note\"]}"),
                    "nor counted (NIP-45)");
            assertEquals(List.of(d.id()), stored(ids(note, d)));
            assertBlocked(c.publish(note));
            assertEquals(List.of(), stored(ids(note)));
        }
    }

    @Test
    void onlyTheAuthorsOwnEventsAreDeleted() throws Exception {
        int alice = 112;
        long t = now() - 100;
        Event bobs = event(BOB, t, 1, List.of(), "bob's note");
        try (RelayClient c = connect()) {
            c.publishAccepted(bobs);
            c.publishAccepted(deletion(alice, t + 1, List.of(List.of("e", bobs.id()))));
            assertEquals(List.of(bobs.id()), stored(ids(bobs)));
            assertTrue(c.publish(bobs).message().startsWith("duplicate:"));
        }
    }

    @Test
    void anAddressDeletionRemovesVersionsUpToItsTimeAndRefusesOlderOnesLater() throws Exception {
        int alice = 113;
        long t = now() - 100;
        List<List<String>> d = List.of(List.of("d", "nip09-article"));
        Event article = event(alice, t, 30023, d, "first version");
        String address = "30023:" + pubkey(alice) + ":nip09-article";
        String articles = "{\"kinds\":[30023],\"#d\":[\"nip09-article\"]}";
        try (RelayClient c = connect()) {
            c.publishAccepted(article);
            c.publishAccepted(deletion(alice, t + 10, List.of(List.of("a", address), List.of("k", "30023"))));
            assertEquals(List.of(), stored(articles));
            assertBlocked(c.publish(event(alice, t + 5, 30023, d, "older than the deletion")));
            assertBlocked(c.publish(event(alice, t + 10, 30023, d, "as old as the deletion")));
            Event newer = event(alice, t + 11, 30023, d, "written after the deletion");
            c.publishAccepted(newer);
            assertEquals(List.of(newer.id()), stored(articles));
        }
    }

    @Test
    void deletingADeletionRequestOrARequestToVanishHasNoEffect() throws Exception {
        int alice = 114;
        long t = now() - 100;
        Event note = event(alice, t, 1, List.of(), "deleted for good");
        // A request to vanish from before any of these events removes nothing, but is one.
        Event vanish = event(alice, t - 10_000, 62, List.of(List.of("relay", "ALL_RELAYS")), "");
        Event first = deletion(alice, t + 1, List.of(List.of("e", note.id())));
        try (RelayClient c = connect()) {
            c.publishAccepted(note);
            c.publishAccepted(vanish);
            c.publishAccepted(first);
            c.publishAccepted(deletion(alice, t + 2, List.of(List.of("e", first.id()), List.of("e", vanish.id()))));
            assertEquals(List.of(first.id(), vanish.id()), stored(ids(note, first, vanish)));
            assertBlocked(c.publish(note));
        }
    }

    @Test
    void aDeletionRequestWithoutTargetsIsRefusedAsInvalid() throws Exception {
        int alice = 115;
        try (RelayClient c = connect()) {
            Event empty = deletion(alice, now(), List.of(List.of("k", "1")));
            RelayMessage.Ok ok = c.publish(empty);
            assertFalse(ok.accepted());
            assertTrue(ok.message().startsWith("invalid:"), ok.message());
            assertEquals(List.of(), stored(ids(empty)));
        }
    }

    @Test
    void deletionsOutliveARestart(@TempDir Path ownDir) throws Exception {
        int alice = 116;
        long t = now() - 100;
        Event note = event(alice, t, 1, List.of(), "deleted before the restart");
        List<List<String>> d = List.of(List.of("d", "restart"));
        Event article = event(alice, t, 30023, d, "deleted by address");
        Event request = deletion(alice, t + 5, List.of(List.of("e", note.id()),
                List.of("a", "30023:" + pubkey(alice) + ":restart")));
        String schema = TestRelay.newSchema();
        TestRelay first = TestRelay.start(engine, ownDir, Map.of("store.pg_schema", schema));
        try (RelayClient c = RelayClient.connect(clients, first.port())) {
            c.publishAccepted(note);
            c.publishAccepted(article);
            c.publishAccepted(request);
        }
        first.stop();
        try (TestRelay again = TestRelay.start(engine, ownDir, Map.of("store.pg_schema", schema));
             RelayClient c = RelayClient.connect(clients, again.port())) {
            assertEquals(List.of(request.id()),
                    RelayClient.stored(clients, again.port(), "{\"authors\":[\"" + pubkey(alice) + "\"]}"));
            assertBlocked(c.publish(note));
            assertBlocked(c.publish(article));
            assertBlocked(c.publish(event(alice, t + 5, 30023, d, "as old as the deletion")));
        }
    }
}
