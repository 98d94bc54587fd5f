package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.Json;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every configured limit, end to end over real WebSockets: what a client sees when it goes past one (reply type and
 * prefix), and that its connection still works afterwards. Limits are set small so each test is quick; timing
 * limits are waited for with deadlines, never sleeps.
 */
class LimitsTest extends OverTheWire {
    /** One relay with small per-message limits, shared by the tests that do not need a relay of their own. */
    static final Map<String, String> SMALL = Map.ofEntries(
            Map.entry("limits.max_subscriptions", "3"),
            Map.entry("limits.max_filters", "2"),
            Map.entry("limits.max_filter_values", "3"),
            Map.entry("limits.max_limit", "5"),
            Map.entry("limits.default_limit", "3"),
            Map.entry("limits.max_subid_length", "8"),
            Map.entry("limits.max_event_tags", "4"),
            Map.entry("limits.max_content_length", "50"),
            Map.entry("limits.created_at_past_seconds", "3600"),
            Map.entry("limits.created_at_future_seconds", "60"),
            Map.entry("limits.max_message_length", "1024"),
            Map.entry("limits.max_events_in_flight", "2"));

    @BeforeAll
    static void startRelay() throws Exception {
        start(TestRelay.Engine.LMDB, SMALL);
    }

    /** A relay of its own for a test whose settings would disturb the others. */
    static TestRelay startOwn(String name, Map<String, String> overrides) throws Exception {
        return TestRelay.start(dataDir.resolve(name), overrides);
    }

    private static final int AUTHOR = 40;

    static Event note(String topic, String content) {
        return event(AUTHOR, now(), 1, List.of(List.of("t", topic)), content);
    }

    /** The connection still works: a fresh event is accepted and served back. */
    static void stillUsable(RelayClient c) throws Exception {
        Event e = note("usable", "still here " + System.nanoTime());
        c.publishAccepted(e);
        assertEquals(List.of(e.id()), c.req("u", "{\"ids\":[\"" + e.id() + "\"]}"));
        c.send("[\"CLOSE\",\"u\"]");
    }

    static void assertPrefix(String prefix, String message) {
        assertTrue(message.startsWith(prefix), () -> "expected \"" + prefix + "...\", got " + Json.quote(message));
        assertTrue(message.length() > prefix.length() + 5, () -> "says what was wrong: " + Json.quote(message));
    }

    static RelayMessage.Closed closed(RelayClient c, String subId, String prefix) throws Exception {
        RelayMessage.Closed closed = c.next(RelayMessage.Closed.class);
        assertEquals(subId, closed.subscriptionId());
        assertPrefix(prefix, closed.message());
        return closed;
    }

    static void refused(RelayMessage.Ok ok, String prefix) {
        assertFalse(ok.accepted(), () -> "expected OK false, got " + ok);
        assertPrefix(prefix, ok.message());
    }

    // --- per-connection subscription and filter limits -----------------------------------------------------------

    @Test
    void subscriptionsPerConnectionAreCapped() throws Exception {
        try (RelayClient c = connect()) {
            for (String id : List.of("s1", "s2", "s3")) {
                assertEquals(List.of(), c.req(id, "{\"#t\":[\"cap-subs\"]}"));
            }
            c.send("[\"REQ\",\"s4\",{\"#t\":[\"cap-subs\"]}]");
            closed(c, "s4", "rate-limited: ");
            // Replacing an open id is not a new subscription; closing one frees its slot.
            assertEquals(List.of(), c.req("s1", "{\"#t\":[\"cap-subs-2\"]}"));
            c.send("[\"CLOSE\",\"s2\"]");
            assertEquals(List.of(), c.req("s4", "{\"#t\":[\"cap-subs\"]}"));
            c.send("[\"CLOSE\",\"s1\"]");
            stillUsable(c);
        }
    }

    @Test
    void filtersPerReqAreCapped() throws Exception {
        try (RelayClient c = connect()) {
            c.send("[\"REQ\",\"f\",{\"kinds\":[1]},{\"kinds\":[2]},{\"kinds\":[3]}]");
            closed(c, "f", "invalid: ");
            assertEquals(List.of(), c.req("f", "{\"#t\":[\"two-filters\"]}", "{\"#t\":[\"two-filters-b\"]}"));
            c.send("[\"CLOSE\",\"f\"]");
            stillUsable(c);
        }
    }

    @Test
    void valuesPerFilterFieldAreCapped() throws Exception {
        String hex = "\"" + "ab".repeat(32) + "\"";
        String hex2 = "\"" + "cd".repeat(32) + "\"";
        String hex3 = "\"" + "ef".repeat(32) + "\"";
        String hex4 = "\"" + "01".repeat(32) + "\"";
        String three = hex + "," + hex2 + "," + hex3;
        try (RelayClient c = connect()) {
            for (String field : List.of("ids", "authors", "#e")) {
                c.send("[\"REQ\",\"v\",{\"" + field + "\":[" + three + "," + hex4 + "]}]");
                closed(c, "v", "invalid: ");
                assertEquals(List.of(), c.req("v", "{\"" + field + "\":[" + three + "]}"));
            }
            c.send("[\"REQ\",\"v\",{\"kinds\":[1,2,3,4]}]");
            closed(c, "v", "invalid: ");
            c.send("[\"REQ\",\"v\",{\"#t\":[\"a\",\"b\",\"c\",\"d\"]}]");
            closed(c, "v", "invalid: ");
            assertEquals(List.of(), c.req("v", "{\"kinds\":[65001,65002,65003]}"));
            c.send("[\"CLOSE\",\"v\"]");
            stillUsable(c);
        }
    }

    @Test
    void limitIsCappedAndDefaulted() throws Exception {
        try (RelayClient c = connect()) {
            long t = now() - 100;
            List<String> newestFirst = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                Event e = event(AUTHOR, t + i, 1, List.of(List.of("t", "limit-cap")), "n" + i);
                c.publishAccepted(e);
                newestFirst.add(0, e.id());
            }
            assertEquals(newestFirst.subList(0, 5), c.req("l1", "{\"#t\":[\"limit-cap\"],\"limit\":100}"),
                    "a limit above max_limit (5) is capped");
            assertEquals(newestFirst.subList(0, 3), c.req("l2", "{\"#t\":[\"limit-cap\"]}"),
                    "no limit means default_limit (3)");
            assertEquals(newestFirst.subList(0, 4), c.req("l3", "{\"#t\":[\"limit-cap\"],\"limit\":4}"));
            for (String id : List.of("l1", "l2", "l3")) {
                c.send("[\"CLOSE\",\"" + id + "\"]");
            }
            stillUsable(c);
        }
    }

    @Test
    void subscriptionIdLengthIsCapped() throws Exception {
        try (RelayClient c = connect()) {
            c.send("[\"REQ\",\"123456789\",{}]");
            assertPrefix("invalid: ", c.next(RelayMessage.Notice.class).message());
            c.send("[\"CLOSE\",\"123456789\"]");
            assertPrefix("invalid: ", c.next(RelayMessage.Notice.class).message());
            assertEquals(List.of(), c.req("12345678", "{\"#t\":[\"subid-len\"]}"));
            c.send("[\"CLOSE\",\"12345678\"]");
            stillUsable(c);
        }
    }

    // --- message size ------------------------------------------------------------------------------------------

    /** A REQ of exactly {@code bytes} UTF-8 bytes, padded with JSON whitespace. */
    static String reqOfLength(String subId, int bytes) {
        String head = "[\"REQ\",\"" + subId + "\",{\"#t\":[\"size\"]}";
        int pad = bytes - head.length() - 1;
        assertTrue(pad >= 0);
        return head + " ".repeat(pad) + "]";
    }

    @Test
    void messagesOverTheLimitAreRefusedAndTheConnectionSurvives() throws Exception {
        try (RelayClient c = connect()) {
            c.send(reqOfLength("at", 1024));
            assertEquals(List.of(), c.storedUntilEose("at"), "exactly max_message_length bytes is accepted");
            c.send(reqOfLength("over", 1025));
            closed(c, "over", "invalid: ");

            Event big = note("size", "x".repeat(1100));
            c.send("[\"EVENT\"," + big.toJson() + "]");
            RelayMessage.Ok ok = c.next(RelayMessage.Ok.class);
            assertEquals(big.id(), ok.eventId());
            refused(ok, "invalid: ");

            // Bytes, not characters: 500 two-byte characters fit in 1024 characters but not in 1024 bytes.
            Event wide = note("size", "é".repeat(500));
            assertTrue(wide.toJson().length() + 11 < 1024);
            c.send("[\"EVENT\"," + wide.toJson() + "]");
            refused(c.next(RelayMessage.Ok.class), "invalid: ");

            c.send("[\"CLOSE\",\"at\"" + " ".repeat(1100) + "]");
            assertPrefix("invalid: ", c.next(RelayMessage.Notice.class).message());

            // Up to twice the limit the message is read and answered.
            c.send(reqOfLength("twice", 2048));
            closed(c, "twice", "invalid: ");
            stillUsable(c);
        }
    }

    @Test
    void aMessageOverTwiceTheLimitClosesTheConnectionWith1009() throws Exception {
        try (RelayClient c = connect(); RelayClient other = connect()) {
            c.send(reqOfLength("huge", 2049));
            assertEquals((short) 1009, c.awaitClose());
            stillUsable(other);
        }
    }

    /** The message in three frames: text, continuation, final continuation. */
    static byte[] inThreeFrames(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        int third = bytes.length / 3;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(RelayClient.Raw.frame(RelayClient.Raw.TEXT, false, Arrays.copyOfRange(bytes, 0, third)));
        out.writeBytes(RelayClient.Raw.frame(RelayClient.Raw.CONTINUATION, false,
                Arrays.copyOfRange(bytes, third, 2 * third)));
        out.writeBytes(RelayClient.Raw.frame(RelayClient.Raw.CONTINUATION, true,
                Arrays.copyOfRange(bytes, 2 * third, bytes.length)));
        return out.toByteArray();
    }

    @Test
    void aFragmentedMessageCountsAsAWhole() throws Exception {
        try (RelayClient.Raw raw = RelayClient.Raw.open(relay.port()); RelayClient other = connect()) {
            raw.write(inThreeFrames(reqOfLength("small", 900)));
            assertEquals(new RelayMessage.Eose("small"), raw.nextMessage());
            raw.write(inThreeFrames(reqOfLength("over", 1500)));
            RelayMessage.Closed over = assertInstanceOf(RelayMessage.Closed.class, raw.nextMessage());
            assertEquals("over", over.subscriptionId());
            assertPrefix("invalid: ", over.message());
            // Each frame is under the frame limit (2048 bytes); the message is not.
            raw.write(inThreeFrames(reqOfLength("huge", 3000)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            RelayClient.Frame close = raw.readFrame(deadline);
            assertEquals(RelayClient.Raw.CLOSE, close.opcode());
            assertEquals(1009, close.closeCode());
            stillUsable(other);
        }
    }

    // --- event limits (ingest policy) ---------------------------------------------------------------------------

    @Test
    void tagsPerEventAreCapped() throws Exception {
        try (RelayClient c = connect()) {
            List<List<String>> five = List.of(List.of("t", "a"), List.of("t", "b"), List.of("t", "c"),
                    List.of("t", "d"), List.of("t", "e"));
            refused(c.publish(event(AUTHOR, now(), 1, five, "five tags")), "invalid: ");
            c.publishAccepted(event(AUTHOR, now(), 1, five.subList(0, 4), "four tags"));
            stillUsable(c);
        }
    }

    @Test
    void contentLengthIsCappedInCharacters() throws Exception {
        try (RelayClient c = connect()) {
            refused(c.publish(note("content", "y".repeat(51))), "invalid: ");
            c.publishAccepted(note("content", "y".repeat(50)));
            // NIP-11 counts characters: 50 emoji are 100 UTF-16 units and 200 bytes, still 50 characters.
            c.publishAccepted(note("content", "🎉".repeat(50)));
            refused(c.publish(note("content", "🎉".repeat(51))), "invalid: ");
            stillUsable(c);
        }
    }

    @Test
    void createdAtMustBeWithinTheWindow() throws Exception {
        try (RelayClient c = connect()) {
            List<List<String>> tags = List.of(List.of("t", "window"));
            refused(c.publish(event(AUTHOR, now() - 3700, 1, tags, "too old")), "invalid: ");
            refused(c.publish(event(AUTHOR, now() + 120, 1, tags, "too new")), "invalid: ");
            c.publishAccepted(event(AUTHOR, now() - 3500, 1, tags, "old enough"));
            c.publishAccepted(event(AUTHOR, now() + 30, 1, tags, "near future"));
            stillUsable(c);
        }
    }

    @Test
    void eventsInFlightPerConnectionAreCapped() throws Exception {
        // Three EVENTs in one TCP write are read in one turn of the gateway's event loop, before any OK can come
        // back from ingest: with max_events_in_flight = 2 the third is refused, deterministically.
        List<Event> events = new ArrayList<>();
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            Event e = note("in-flight", "burst " + i + " " + System.nanoTime());
            events.add(e);
            burst.writeBytes(RelayClient.Raw.frame(RelayClient.Raw.TEXT, "[\"EVENT\"," + e.toJson() + "]"));
        }
        try (RelayClient.Raw raw = RelayClient.Raw.open(relay.port())) {
            raw.write(burst.toByteArray());
            List<RelayMessage.Ok> oks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                oks.add(assertInstanceOf(RelayMessage.Ok.class, raw.nextMessage()));
            }
            RelayMessage.Ok third = oks.stream().filter(ok -> ok.eventId().equals(events.get(2).id())).findFirst()
                    .orElseThrow(() -> new AssertionError("no OK for the third event: " + oks));
            refused(third, "rate-limited: ");
            for (RelayMessage.Ok ok : oks) {
                if (ok != third) {
                    assertTrue(ok.accepted(), ok::toString);
                }
            }
            // Once the first two are answered the connection publishes again.
            Event after = note("in-flight", "after the burst");
            raw.sendText("[\"EVENT\"," + after.toJson() + "]");
            RelayMessage.Ok ok = assertInstanceOf(RelayMessage.Ok.class, raw.nextMessage());
            assertEquals(after.id(), ok.eventId());
            assertTrue(ok.accepted(), ok::toString);
        }
    }

    // --- relay-wide limits with relays of their own -------------------------------------------------------------

    @Test
    void aQueryThatScansPastTheBudgetEndsWithClosedBlocked() throws Exception {
        try (TestRelay own = startOwn("scan", Map.of("query.scan_budget", "20"));
             RelayClient c = RelayClient.connect(clients, own.port());
             RelayClient pub = RelayClient.connect(clients, own.port())) {
            for (int i = 0; i < 30; i++) {
                pub.publishAccepted(event(AUTHOR, now() - i, 1, List.of(List.of("t", "scan")), "scan " + i));
            }
            // The tag index yields 30 candidates, none of kind 7: the scan runs out of budget before the end.
            c.send("[\"REQ\",\"broad\",{\"#t\":[\"scan\"],\"kinds\":[7]}]");
            closed(c, "broad", "blocked: ");
            // Within the budget the same index serves a narrower question.
            assertEquals(3, c.req("narrow", "{\"#t\":[\"scan\"],\"limit\":3}").size());
            // The blocked subscription is over: a new matching event reaches only the open one.
            Event live = event(AUTHOR, now(), 7, List.of(List.of("t", "scan")), "live");
            pub.publishAccepted(live);
            RelayMessage.EventMatch m = c.next(RelayMessage.EventMatch.class);
            assertEquals("narrow", m.subscriptionId(), "a blocked subscription gets no live events");
            // A probe REQ answered after that event proves nothing else was on its way.
            assertEquals(List.of(), c.req("probe", "{\"#t\":[\"nothing-here\"]}"));
            stillUsable(c);
        }
    }

    @Test
    void connectionsPastTheMaximumGetHttp503AcrossEveryGatewayInstance() throws Exception {
        // Three gateway instances share one cap of three: each upgrade may land on any of their event loops.
        Map<String, String> settings = Map.of("server.max_connections", "3", "server.gateway_instances", "3");
        try (TestRelay own = startOwn("conns", settings)) {
            RelayClient a = RelayClient.connect(clients, own.port());
            try (RelayClient b = RelayClient.connect(clients, own.port());
                 RelayClient c = RelayClient.connect(clients, own.port())) {
                for (int i = 0; i < 3; i++) {
                    String refusal = RelayClient.Raw.upgradeStatus(own.port());
                    assertTrue(refusal.startsWith("HTTP/1.1 503"), refusal);
                }
                assertEquals(3, openConnections(own));
                a.close();
                // The slot is free once the relay has seen the close: poll the upgrade with a deadline.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
                String status;
                do {
                    status = RelayClient.Raw.upgradeStatus(own.port());
                } while (!status.startsWith("HTTP/1.1 101") && System.nanoTime() < deadline);
                assertTrue(status.startsWith("HTTP/1.1 101"), status);
                stillUsable(b);
                stillUsable(c);
            } finally {
                a.close();
            }
        }
    }

    static int openConnections(TestRelay own) throws Exception {
        Http health = Http.get(clients, own.port(), "/health");
        assertEquals(200, health.status());
        return health.body().toJsonObject().getInteger("connections");
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedAndTheOthersKeepWorking() throws Exception {
        // One gateway, so /health counts every connection.
        Map<String, String> settings = Map.of("server.gateway_instances", "1",
                "websocket.max_write_queue_bytes", String.valueOf(64 << 10));
        try (TestRelay own = startOwn("slow", settings);
             RelayClient.Raw slow = RelayClient.Raw.open(own.port(), 4096);
             RelayClient watcher = RelayClient.connect(clients, own.port());
             RelayClient pub = RelayClient.connect(clients, own.port())) {
            String filter = "{\"#t\":[\"flood\"]}";
            slow.sendText("[\"REQ\",\"slow\"," + filter + "]");
            assertEquals(new RelayMessage.Eose("slow"), slow.nextMessage());
            assertEquals(List.of(), watcher.req("w", filter));
            assertEquals(3, openConnections(own));
            // From here on the slow client reads nothing. Each event is 60 kB; the relay may hold 64 KiB for a
            // client beyond what the kernel buffers take, so a few hundred events are far more than enough.
            String padding = "z".repeat(60_000);
            int published = 0;
            while (openConnections(own) == 3) {
                assertTrue(published < 500, "the slow client was not disconnected after " + published + " events");
                Event e = event(AUTHOR, now(), 1, List.of(List.of("t", "flood")), published + padding);
                pub.publishAccepted(e);
                RelayMessage.EventMatch m = watcher.next(RelayMessage.EventMatch.class);
                assertEquals(e.id(), Event.parse(m.eventJson()).id(), "the reading client gets every event");
                published++;
            }
            assertTrue(published > 0);
            stillUsable(pub);
            stillUsable(watcher);
            // The slow client finds, once it reads again, some of the events and then the end of the connection:
            // dropped, not closed with a handshake that could never get past what it had not read.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            IOException end = assertThrows(IOException.class, () -> {
                while (true) {
                    assertEquals(RelayClient.Raw.TEXT, slow.readFrame(deadline).opcode());
                }
            });
            assertFalse(end instanceof SocketTimeoutException, "the connection ends: " + end);
        }
    }

    @Test
    void aStoredResultMuchLargerThanTheWriteQueueIsNoSlowConsumer() throws Exception {
        // One chunk of 8 MB (more than a loopback socket's kernel buffers take) against a 64 KiB write queue: the
        // stored part waits for the socket, and the EOSE and a live event behind it must not count it as unread.
        Map<String, String> settings = Map.of("websocket.max_write_queue_bytes", String.valueOf(64 << 10),
                "query.page_bytes", String.valueOf(16 << 20));
        try (TestRelay own = startOwn("bulk", settings);
             RelayClient pub = RelayClient.connect(clients, own.port());
             RelayClient.Raw reader = RelayClient.Raw.open(own.port(), 4096)) {
            String padding = "b".repeat(20_000);
            Set<String> published = new HashSet<>();
            for (int i = 0; i < 400; i++) {
                Event e = event(AUTHOR, now() - i, 1, List.of(List.of("t", "bulk")), i + padding);
                pub.publishAccepted(e);
                published.add(e.id());
            }
            reader.sendText("[\"REQ\",\"bulk\",{\"#t\":[\"bulk\"]}]");
            Set<String> received = new HashSet<>();
            // The first stored event is here, so the whole page was read from the store: the next is live.
            received.add(Event.parse(assertInstanceOf(RelayMessage.EventMatch.class, reader.nextMessage())
                    .eventJson()).id());
            Event live = event(AUTHOR, now(), 1, List.of(List.of("t", "bulk")), "live after the stored ones");
            pub.publishAccepted(live);
            boolean eose = false;
            while (!received.contains(live.id())) {
                RelayMessage m = reader.nextMessage();
                if (m instanceof RelayMessage.Eose) {
                    eose = true;
                } else {
                    received.add(Event.parse(assertInstanceOf(RelayMessage.EventMatch.class, m).eventJson()).id());
                }
            }
            assertTrue(eose, "EOSE before the live event");
            received.remove(live.id());
            assertEquals(published, received);
        }
    }

    @Test
    void aClientThatSendsWithoutReadingItsAnswersIsDisconnected() throws Exception {
        // Every malformed message gets a NOTICE; a client that keeps sending and never reads must not make the
        // relay hold its answers without bound.
        Map<String, String> settings = Map.of("server.gateway_instances", "1",
                "websocket.max_write_queue_bytes", String.valueOf(64 << 10));
        try (TestRelay own = startOwn("deaf", settings);
             RelayClient.Raw deaf = RelayClient.Raw.open(own.port(), 4096);
             RelayClient other = RelayClient.connect(clients, own.port())) {
            assertEquals(2, openConnections(own));
            byte[] batch = new ByteArrayOutputStream() {
                {
                    for (int i = 0; i < 1000; i++) {
                        writeBytes(RelayClient.Raw.frame(RelayClient.Raw.TEXT, "[\"CLOSE\"]"));
                    }
                }
            }.toByteArray();
            int sent = 0;
            try {
                while (openConnections(own) == 2) {
                    assertTrue(sent < 200_000, "still connected after " + sent + " unread answers");
                    deaf.write(batch);
                    sent += 1000;
                }
            } catch (IOException e) {
                // the relay dropped the connection while we were still writing
            }
            assertTrue(sent > 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            while (openConnections(own) != 1) {
                assertTrue(System.nanoTime() < deadline, "the deaf client is still connected");
                TimeUnit.MILLISECONDS.sleep(20);
            }
            stillUsable(other);
        }
    }

    @Test
    void aStoredResultLargerThanTheWriteQueueReachesASlowReaderWhole() throws Exception {
        // 8 MB of stored events, more than the kernel buffers of a loopback socket take, against a 64 KiB write
        // queue: the query must pause whenever the socket is full and resume when the client has read, many times
        // over, losing nothing.
        Map<String, String> settings = Map.of("websocket.max_write_queue_bytes", String.valueOf(64 << 10),
                "query.page_size", "10");
        try (TestRelay own = startOwn("paced", settings);
             RelayClient pub = RelayClient.connect(clients, own.port());
             RelayClient.Raw reader = RelayClient.Raw.open(own.port(), 4096)) {
            String padding = "p".repeat(20_000);
            Set<String> published = new HashSet<>();
            for (int i = 0; i < 400; i++) {
                Event e = event(AUTHOR, now() - i, 1, List.of(List.of("t", "paced")), i + padding);
                pub.publishAccepted(e);
                published.add(e.id());
            }
            reader.sendText("[\"REQ\",\"paced\",{\"#t\":[\"paced\"]}]");
            Set<String> received = new HashSet<>();
            while (true) {
                RelayMessage m = reader.nextMessage();
                if (m instanceof RelayMessage.Eose) {
                    break;
                }
                RelayMessage.EventMatch match = assertInstanceOf(RelayMessage.EventMatch.class, m);
                assertTrue(received.add(Event.parse(match.eventJson()).id()), "an event came twice");
            }
            assertEquals(published, received);
        }
    }

    @Test
    void aClientThatNeverAnswersPingsIsClosed() throws Exception {
        try (TestRelay own = startOwn("ping", Map.of("websocket.ping_interval_seconds", "1"));
             RelayClient.Raw mute = RelayClient.Raw.open(own.port());
             RelayClient polite = RelayClient.connect(clients, own.port())) {
            // A subscription keeps the idle timeout out of the way: only the missing pong can close it.
            mute.sendText("[\"REQ\",\"mute\",{\"#t\":[\"ping\"]}]");
            assertEquals(new RelayMessage.Eose("mute"), mute.nextMessage());
            assertEquals(List.of(), polite.req("polite", "{\"#t\":[\"ping\"]}"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            RelayClient.Frame ping = mute.readFrame(deadline);
            assertEquals(RelayClient.Raw.PING, ping.opcode(), "the relay pings");
            RelayClient.Frame close = mute.readFrame(deadline);
            assertEquals(RelayClient.Raw.CLOSE, close.opcode(), "the unanswered ping is followed by a close");
            assertEquals(1001, close.closeCode());
            // The client that answers pings (Vert.x does it by itself) is still served.
            assertFalse(polite.closedWith.isDone());
            stillUsable(polite);
        }
    }

    @Test
    void aClientThatStopsAnsweringPingsIsDroppedEvenWhenItsCloseCannotReachIt() throws Exception {
        // A large write queue, so the slow-consumer limit stays out of the way: only the ping timeout acts.
        Map<String, String> settings = Map.of("server.gateway_instances", "1",
                "websocket.ping_interval_seconds", "1", "websocket.max_write_queue_bytes", String.valueOf(64 << 20));
        try (TestRelay own = startOwn("stuck", settings);
             RelayClient.Raw stuck = RelayClient.Raw.open(own.port(), 4096);
             RelayClient pub = RelayClient.connect(clients, own.port())) {
            stuck.sendText("[\"REQ\",\"stuck\",{\"#t\":[\"stuck\"]}]");
            assertEquals(new RelayMessage.Eose("stuck"), stuck.nextMessage());
            // 10 MB for a client that reads nothing: more than the kernel's socket buffers hold, so some of it
            // waits in the relay, and a close frame would wait behind it. Unsolicited pongs (RFC 6455 5.5.3)
            // keep the connection alive meanwhile.
            String padding = "s".repeat(100_000);
            for (int i = 0; i < 100; i++) {
                stuck.write(RelayClient.Raw.frame(RelayClient.Raw.PONG, new byte[0]));
                pub.publishAccepted(event(AUTHOR, now(), 1, List.of(List.of("t", "stuck")), i + padding));
            }
            assertEquals(2, openConnections(own));
            // No more pongs: the ping timeout must free the connection although its close frame cannot get out.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
            while (openConnections(own) == 2) {
                assertTrue(System.nanoTime() < deadline, "the connection that stopped answering pings is still open");
            }
            assertEquals(1, openConnections(own));
            stillUsable(pub);
        }
    }

    @Test
    void anIdleConnectionIsClosedButOneWithASubscriptionIsNot() throws Exception {
        Map<String, String> settings = Map.of("websocket.ping_interval_seconds", "1",
                "websocket.idle_timeout_seconds", "1", "server.gateway_instances", "1");
        try (TestRelay own = startOwn("idle", settings);
             RelayClient holder = RelayClient.connect(clients, own.port())) {
            assertEquals(List.of(), holder.req("keep", "{\"#t\":[\"idle\"]}"));
            // Two idle connections in turn: each is closed after at least a second of silence, so the holder
            // lives through at least two sweeps of the same gateway.
            for (int i = 0; i < 2; i++) {
                try (RelayClient idle = RelayClient.connect(clients, own.port())) {
                    assertEquals((short) 1000, idle.awaitClose());
                }
            }
            assertFalse(holder.closedWith.isDone(), "a connection with a subscription is not idle");
            try (RelayClient pub = RelayClient.connect(clients, own.port())) {
                Event e = event(AUTHOR, now(), 1, List.of(List.of("t", "idle")), "for the holder");
                pub.publishAccepted(e);
                assertEquals(e.id(), Event.parse(holder.next(RelayMessage.EventMatch.class).eventJson()).id());
            }
        }
    }

}
