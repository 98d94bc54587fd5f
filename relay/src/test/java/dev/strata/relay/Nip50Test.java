package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;

/** NIP-50 search over a real WebSocket against the real relay; one subclass per store engine starts it. */
abstract class Nip50Test extends OverTheWire {
    /** Small, so that one test can go past it. */
    static final int SCAN_BUDGET = 20;

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, Map.of("query.scan_budget", String.valueOf(SCAN_BUDGET)));
    }

    @Test
    void searchServesTheBestMatchesFirstAndTheLimitAfterRanking() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 100;
            Event best = event(200, t, 1, List.of(), "orange orange orange juice");
            Event once = event(201, t + 5, 1, List.of(), "an orange among apples, pears, plums and other fruit");
            Event upper = event(202, t + 1, 30023, List.of(List.of("d", "x")), "ORANGE Juice");
            Event none = event(203, t + 2, 1, List.of(), "apples only");
            for (Event e : List.of(best, once, upper, none)) {
                c.publishAccepted(e);
            }
            List<String> all = c.req("all", "{\"search\":\"orange\"}");
            assertEquals(Set.of(best.id(), once.id(), upper.id()), new HashSet<>(all));
            assertEquals(best.id(), all.get(0));
            assertEquals(List.of(best.id()), c.req("top", "{\"search\":\"orange\",\"limit\":1}"));
            assertEquals(Set.of(best.id(), upper.id()), new HashSet<>(c.req("two", "{\"search\":\"Juice ORANGE\"}")));
            assertEquals(List.of(upper.id()), c.req("kind", "{\"search\":\"orange\",\"kinds\":[30023]}"));
            assertEquals(List.of(once.id()), c.req("author",
                    "{\"search\":\"orange\",\"authors\":[\"" + once.pubkey() + "\"]}"));
            assertEquals(all, c.req("ext", "{\"search\":\"orange include:spam language:en\"}"),
                    "unsupported extensions are ignored");
            assertEquals(List.of(), c.req("miss", "{\"search\":\"orange zebra\"}"));
        }
    }

    @Test
    void searchFiltersGetNoLiveEventsWhileTheOtherFiltersOfTheReqDo() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            assertEquals(List.of(), sub.req("mixed", "{\"search\":\"livesearchword\"}", "{\"#t\":[\"live-50\"]}"));
            Event wordOnly = event(210, now(), 1, List.of(), "livesearchword arrives live");
            Event tagged = event(210, now(), 1, List.of(List.of("t", "live-50")), "tagged");
            pub.publishAccepted(wordOnly);
            pub.publishAccepted(tagged);
            RelayMessage.EventMatch m = sub.next(RelayMessage.EventMatch.class);
            assertEquals(tagged.id(), Event.parse(m.eventJson()).id(), "the search filter matched a live event");
            // Stored, it is found.
            assertEquals(List.of(wordOnly.id()), sub.req("later", "{\"search\":\"livesearchword\"}"));
        }
    }

    @Test
    void refusalsAreClosedWithTheirPrefix() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 3000;
            for (int i = 0; i < SCAN_BUDGET + 5; i++) {
                c.publishAccepted(event(220, t + i, 1, List.of(), "floodword number " + i));
            }
            c.send("[\"REQ\",\"flood\",{\"search\":\"floodword\"}]");
            RelayMessage.Closed flood = c.next(RelayMessage.Closed.class);
            assertEquals("flood", flood.subscriptionId());
            assertTrue(flood.message().startsWith("blocked: "), flood.message());
            assertEquals(5, c.req("narrow", "{\"search\":\"floodword\",\"since\":" + (t + SCAN_BUDGET) + "}")
                    .size());

            c.send("[\"REQ\",\"num\",{\"search\":7}]");
            RelayMessage.Closed num = c.next(RelayMessage.Closed.class);
            assertEquals("num", num.subscriptionId());
            assertTrue(num.message().startsWith("invalid: "), num.message());
            c.send("[\"REQ\",\"long\",{\"search\":\"" + "w".repeat(257) + "\"}]");
            assertTrue(c.next(RelayMessage.Closed.class).message().startsWith("invalid: "));
        }
    }
}
