package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The wire messages both ways: what we write is what the other side reads back. */
class MessagesTest {
    static final String ID = "fef2a50f7d9d3d5a5f38ee761bc087ec16198d3f0140df6d1e8193abf7c2b146";
    static final String HEX = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d";

    static Event sample(int line) throws IOException, InvalidEventException {
        return Event.parse(SharedFiles.lines("nostr-events-sample.jsonl").get(line - 1));
    }

    static Filter filter(String json) throws Exception {
        return Filter.fromJson(Json.parse(json), FilterLimits.DEFAULT);
    }

    static Stream<ClientMessage> clientMessages() throws Exception {
        Map<Character, Set<String>> tags = new LinkedHashMap<>();
        tags.put('e', Set.of(ID, HEX));
        tags.put('T', Set.of("Nostr", "é 🎉 \"q\"\n"));
        Filter everything = new Filter(Set.of(ID), Set.of(HEX, ID), Set.of(0, 1, 65535), tags, 0L, Long.MAX_VALUE,
                Integer.MAX_VALUE);
        return Stream.of(
                new ClientMessage.Publish(sample(1)),
                new ClientMessage.Publish(sample(4)),
                new ClientMessage.Auth(sample(3)),
                new ClientMessage.Req("sub1", List.of(Filter.ALL)),
                new ClientMessage.Req("🎉 \"x\"", List.of(everything, filter("{\"kinds\":[]}"),
                        filter("{\"limit\":0}"))),
                new ClientMessage.Close("sub1"),
                new ClientMessage.Close("a\\b"),
                new ClientMessage.Req("s", List.of(filter("{\"kinds\":[1],\"search\":\"best \\\"nostr\\\" apps\"}"))),
                new ClientMessage.Count("q1", List.of(filter("{\"#e\":[\"" + ID + "\"],\"kinds\":[7]}"))));
    }

    @ParameterizedTest
    @MethodSource("clientMessages")
    void clientMessagesRoundTrip(ClientMessage m) throws MalformedMessageException {
        assertEquals(m, ClientMessage.parse(m.toJson(), FilterLimits.DEFAULT));
    }

    static Stream<RelayMessage> relayMessages() throws Exception {
        return Stream.of(
                new RelayMessage.EventMatch("sub1", sample(2).toJson()),
                new RelayMessage.EventMatch("é\n", sample(5).toJson()),
                new RelayMessage.Ok(ID, true, ""),
                new RelayMessage.Ok(ID, true, "duplicate: already have this event"),
                new RelayMessage.Ok(ID, false, "invalid: bad signature"),
                new RelayMessage.Eose("sub1"),
                new RelayMessage.Closed("sub1", "unsupported: filter field \"search\" is not supported"),
                new RelayMessage.Notice("invalid: message is not valid JSON\n\u0001"),
                new RelayMessage.AuthChallenge("challenge-🎉"),
                new RelayMessage.CountResult("q1", 42, false, null),
                new RelayMessage.CountResult("q1", 93412452, true, null),
                new RelayMessage.CountResult("q1", 0, false, "0".repeat(512)),
                new RelayMessage.CountResult("q1", Long.MAX_VALUE, true, "ab".repeat(256)));
    }

    @ParameterizedTest
    @MethodSource("relayMessages")
    void relayMessagesRoundTrip(RelayMessage m) throws Json.JsonException {
        assertEquals(m, RelayMessage.parse(m.toJson()));
    }

    @ParameterizedTest
    @MethodSource("relayMessages")
    void okAlwaysHasFourElements(RelayMessage m) throws Json.JsonException {
        if (m instanceof RelayMessage.Ok) {
            List<?> array = (List<?>) Json.parse(m.toJson());
            assertEquals(4, array.size(), m.toJson());
            assertInstanceOf(Boolean.class, array.get(2));
            assertInstanceOf(String.class, array.get(3));
        }
    }

    @Test
    void relayMessagesHaveTheExactNipText() throws Exception {
        assertEquals("[\"OK\",\"" + ID + "\",true,\"\"]", new RelayMessage.Ok(ID, true, "").toJson());
        assertEquals("[\"OK\",\"" + ID + "\",false,\"invalid: bad signature\"]",
                new RelayMessage.Ok(ID, false, "invalid: bad signature").toJson());
        assertEquals("[\"EOSE\",\"sub1\"]", new RelayMessage.Eose("sub1").toJson());
        assertEquals("[\"CLOSED\",\"sub1\",\"unsupported: filter field \\\"search\\\" is not supported\"]",
                new RelayMessage.Closed("sub1", "unsupported: filter field \"search\" is not supported").toJson());
        assertEquals("[\"NOTICE\",\"a\\nb/é\"]", new RelayMessage.Notice("a\nb/é").toJson());
        assertEquals("[\"AUTH\",\"c1\"]", new RelayMessage.AuthChallenge("c1").toJson());
        assertEquals("[\"COUNT\",\"q1\",{\"count\":42}]", new RelayMessage.CountResult("q1", 42, false, null).toJson());
        assertEquals("[\"COUNT\",\"q1\",{\"count\":93412452,\"approximate\":true}]",
                new RelayMessage.CountResult("q1", 93412452, true, null).toJson());
        assertEquals("[\"COUNT\",\"q1\",{\"count\":16578,\"hll\":\"" + "0f".repeat(256) + "\"}]",
                new RelayMessage.CountResult("q1", 16578, false, "0f".repeat(256)).toJson());
        String event = sample(1).toJson();
        assertEquals("[\"EVENT\",\"sub1\"," + event + "]", new RelayMessage.EventMatch("sub1", event).toJson());
    }

    @Test
    void clientMessagesHaveTheExactNipText() throws Exception {
        assertEquals("[\"CLOSE\",\"sub1\"]", new ClientMessage.Close("sub1").toJson());
        assertEquals("[\"REQ\",\"sub1\",{}]", new ClientMessage.Req("sub1", List.of(Filter.ALL)).toJson());
        assertEquals("[\"REQ\",\"s\",{\"ids\":[\"" + ID + "\"],\"authors\":[\"" + HEX
                        + "\"],\"kinds\":[1],\"#t\":[\"nostr\"],\"since\":1,\"until\":2,\"limit\":3},{\"kinds\":[7]}]",
                new ClientMessage.Req("s", List.of(new Filter(Set.of(ID), Set.of(HEX), Set.of(1),
                        Map.of('t', Set.of("nostr")), 1L, 2L, 3), filter("{\"kinds\":[7]}"))).toJson());
        assertEquals("[\"COUNT\",\"q\",{\"#e\":[\"" + ID + "\"]}]",
                new ClientMessage.Count("q", List.of(filter("{\"#e\":[\"" + ID + "\"]}"))).toJson());
        Event e = sample(3);
        assertEquals("[\"EVENT\"," + e.toJson() + "]", new ClientMessage.Publish(e).toJson());
        assertEquals("[\"AUTH\"," + e.toJson() + "]", new ClientMessage.Auth(e).toJson());
    }

    @Test
    void aClientRefusesMalformedRelayMessages() {
        for (String bad : List.of("[\"OK\",\"" + ID + "\",true]", "[\"OK\",\"" + ID + "\",\"true\",\"\"]",
                "[\"EOSE\"]", "[\"CLOSED\",\"s\"]", "[\"NOTICE\",1]", "[\"COUNT\",\"q\",{}]",
                "[\"COUNT\",\"q\",{\"count\":1.5}]", "[\"EVENT\",\"s\",{}]", "[\"WHAT\"]", "[]", "{}")) {
            assertThrows(Json.JsonException.class, () -> RelayMessage.parse(bad), bad);
        }
    }

    @Test
    void limitIsKeptAndClampedOnlyWhenApplied() throws Exception {
        assertEquals(500, filter("{}").effectiveLimit(500, 5000));
        assertEquals(0, filter("{\"limit\":0}").effectiveLimit(500, 5000));
        assertEquals(20, filter("{\"limit\":20}").effectiveLimit(500, 5000));
        assertEquals(5000, filter("{\"limit\":99999999999}").effectiveLimit(500, 5000));
    }
}
