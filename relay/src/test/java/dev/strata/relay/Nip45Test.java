package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.Hex;
import dev.strata.model.Hll;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.Test;

/** NIP-45 COUNT over a real WebSocket against the real relay; one subclass per store engine starts it. */
abstract class Nip45Test extends OverTheWire {
    /** Small, so that one test can go past it. */
    static final int COUNT_BUDGET = 20;

    static void startOn(TestRelay.Engine engine) throws Exception {
        start(engine, Map.of("query.count_budget", String.valueOf(COUNT_BUDGET)));
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    @Test
    void aCountIsOneAnswerWithTheNumberAndTheRegistersAndNothingLive() throws Exception {
        try (RelayClient c = connect()) {
            Event target = event(100, now(), 1, List.of(), "react to me");
            c.publishAccepted(target);
            List<Event> reactions = new ArrayList<>();
            for (int author = 101; author <= 105; author++) {
                Event r = event(author, now(), 7, List.of(List.of("e", target.id())), "+");
                reactions.add(r);
                c.publishAccepted(r);
            }
            c.publishAccepted(event(101, now(), 1, List.of(List.of("e", target.id())), "a reply"));
            String filter = "{\"#e\":[" + quoted(target.id()) + "],\"kinds\":[7]}";
            c.send("[\"COUNT\",\"q1\"," + filter + "]");
            Hll expected = new Hll(Hll.offsetOf(Map.of("#e", List.of(target.id()))));
            reactions.forEach(r -> expected.add(Hex.decode(r.pubkey())));
            assertEquals("[\"COUNT\",\"q1\",{\"count\":5,\"hll\":\"" + expected.toHex() + "\"}]", c.nextText());

            // Not a subscription: a later reaction sends nothing for q1 (the probe's EOSE comes first and alone).
            c.publishAccepted(event(106, now(), 7, List.of(List.of("e", target.id())), "+"));
            assertEquals(List.of(), c.req("probe", "{\"ids\":[" + quoted("00".repeat(32)) + "]}"));
            assertTrue(c.nothingQueued());
            c.send("[\"COUNT\",\"q1\"," + filter + "]");
            assertEquals(6, c.next(RelayMessage.CountResult.class).count());
        }
    }

    @Test
    void filtersAreOredIntoOneNumberOfDistinctEvents() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 500;
            Event both = event(110, t, 1, List.of(List.of("t", "count-or-a"), List.of("t", "count-or-b")), "both");
            Event onlyA = event(111, t, 1, List.of(List.of("t", "count-or-a")), "a");
            Event onlyB = event(112, t, 30023, List.of(List.of("t", "count-or-b"), List.of("d", "x")), "b");
            for (Event e : List.of(both, onlyA, onlyB)) {
                c.publishAccepted(e);
            }
            c.send("[\"COUNT\",\"or\",{\"#t\":[\"count-or-a\"]},{\"#t\":[\"count-or-b\"],\"limit\":1},"
                    + "{\"ids\":[" + quoted(both.id()) + "]}]");
            RelayMessage.CountResult or = c.next(RelayMessage.CountResult.class);
            assertEquals("or", or.subscriptionId());
            assertEquals(3, or.count());
            assertNull(or.hll(), "a filter without a tag: no registers");
            c.send("[\"COUNT\",\"kinds\",{\"kinds\":[30023],\"authors\":[" + quoted(onlyB.pubkey()) + "]}]");
            assertEquals("[\"COUNT\",\"kinds\",{\"count\":1}]", c.nextText());
        }
    }

    @Test
    void replacedVersionsAreNotCounted() throws Exception {
        try (RelayClient c = connect()) {
            String followed = Hex.encode(TestRelay.key(120));
            long t = now() - 100;
            c.publishAccepted(event(121, t, 3, List.of(List.of("p", followed)), ""));
            c.publishAccepted(event(122, t, 3, List.of(List.of("p", followed)), ""));
            c.publishAccepted(event(121, t + 1, 3, List.of(List.of("p", "ab".repeat(32))), "unfollowed"));
            c.send("[\"COUNT\",\"followers\",{\"kinds\":[3],\"#p\":[" + quoted(followed) + "]}]");
            assertEquals(1, c.next(RelayMessage.CountResult.class).count());
        }
    }

    @Test
    void refusalsAreClosedWithTheirPrefix() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 2000;
            for (int i = 0; i < COUNT_BUDGET + 5; i++) {
                c.publishAccepted(event(130, t + i, 1, List.of(List.of("t", "count-budget")), "n" + i));
            }
            c.send("[\"COUNT\",\"wide\",{\"#t\":[\"count-budget\"]}]");
            RelayMessage.Closed wide = c.next(RelayMessage.Closed.class);
            assertEquals("wide", wide.subscriptionId());
            assertTrue(wide.message().startsWith("blocked: "), wide.message());
            c.send("[\"COUNT\",\"narrow\",{\"#t\":[\"count-budget\"],\"until\":" + (t + 5) + "}]");
            assertEquals(6, c.next(RelayMessage.CountResult.class).count());

            c.send("[\"COUNT\",\"s\",{\"search\":\"nostr\"}]");
            RelayMessage.Closed search = c.next(RelayMessage.Closed.class);
            assertTrue(search.message().startsWith("unsupported: "), search.message());
            c.send("[\"COUNT\",\"bad\",{\"authors\":[\"abc\"]}]");
            RelayMessage.Closed bad = c.next(RelayMessage.Closed.class);
            assertEquals("bad", bad.subscriptionId());
            assertTrue(bad.message().startsWith("invalid: "), bad.message());
            c.send("[\"COUNT\",\"none\"]");
            assertTrue(c.next(RelayMessage.Closed.class).message().startsWith("invalid: "));
        }
    }
}
