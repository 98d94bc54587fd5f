package dev.strata.model;

import static dev.strata.model.MalformedCases.CASES;
import static dev.strata.model.MalformedCases.HEX64;
import static dev.strata.model.MalformedCases.ID;
import static dev.strata.model.MalformedCases.INVALID_UTF8;
import static dev.strata.model.MalformedCases.PUBKEY;
import static dev.strata.model.MalformedCases.checkReply;
import static dev.strata.model.MalformedCases.deep;
import static dev.strata.model.MalformedCases.ev;
import static dev.strata.model.MalformedCases.event;
import static dev.strata.model.MalformedCases.q;
import static dev.strata.model.MalformedCases.req;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.stream.Stream;

import dev.strata.model.MalformedCases.Case;
import dev.strata.model.MalformedCases.InvalidUtf8;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parser against the malformed-input table ({@link MalformedCases}): each bad message becomes the reply NIP-01
 * calls for, from text and from the bytes of a WebSocket frame alike. The relay's own test sends the same table over
 * a real WebSocket.
 */
class MalformedInputTest {
    static Stream<Case> cases() {
        return CASES.stream();
    }

    @Test
    void theTableIsLargeEnough() {
        assertTrue(CASES.size() >= 60, CASES.size() + " cases");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachMalformedMessageGetsItsReply(Case c) {
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> ClientMessage.parse(c.input(), FilterLimits.DEFAULT));
        checkReply(c, e.reply());
        // The same text as UTF-8 bytes, the way a WebSocket frame arrives, gets the same reply.
        MalformedMessageException fromBytes = assertThrows(MalformedMessageException.class,
                () -> ClientMessage.parse(c.input().getBytes(StandardCharsets.UTF_8), FilterLimits.DEFAULT));
        assertEquals(e.reply(), fromBytes.reply());
    }

    // Invalid UTF-8 in a frame: refused as a whole, never decoded with replacement characters.

    static Stream<InvalidUtf8> invalidUtf8() {
        return INVALID_UTF8.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void invalidUtf8IsRefusedWithANotice(InvalidUtf8 bad) {
        for (byte[] frame : bad.messages()) {
            MalformedMessageException e = assertThrows(MalformedMessageException.class,
                    () -> ClientMessage.parse(frame, FilterLimits.DEFAULT));
            checkReply(bad.expected(), e.reply());
        }
    }

    // Controls: the fixtures above are valid except for the one thing each case changes.

    static Stream<Arguments> validMessages() {
        String max = "9223372036854775807";
        return Stream.of(
                Arguments.of("the base event", event()),
                Arguments.of("the base event with spaces", "[ \"EVENT\" , " + ev() + " ]\n"),
                Arguments.of("created_at 2^63-1", event("created_at", max)),
                Arguments.of("created_at 0", event("created_at", "0")),
                Arguments.of("kind 0", event("kind", "0")),
                Arguments.of("kind 65535", event("kind", "65535")),
                Arguments.of("empty tags", event("tags", "[]")),
                Arguments.of("a tag with only a name", event("tags", "[[\"x\"]]")),
                Arguments.of("empty content", event("content", "\"\"")),
                Arguments.of("extra unknown field", event("extra", "{\"a\":[1,2]}")),
                Arguments.of("escaped surrogate pair", event("content", "\"\\ud83c\\udf89\"")),
                Arguments.of("raw emoji and DEL", event("content", "\"🎉\u007f\"")),
                Arguments.of("a 1 MiB content string", event("content", q("x".repeat(1 << 20)))),
                Arguments.of("AUTH with an event", "[\"AUTH\"," + ev("kind", "22242") + "]"),
                Arguments.of("REQ with a 64-character sub id", "[\"REQ\",\"" + "s".repeat(64) + "\",{}]"),
                Arguments.of("REQ with an emoji sub id", "[\"REQ\",\"🎉\",{}]"),
                Arguments.of("REQ with every field", req("{\"ids\":[\"" + ID + "\"],\"authors\":[\"" + PUBKEY
                        + "\"],\"kinds\":[0,65535],\"#e\":[\"" + HEX64 + "\"],\"#T\":[\"x\"],\"since\":0,\"until\":"
                        + max + ",\"limit\":0}")),
                Arguments.of("REQ with ten filters", req(String.join(",", Collections.nCopies(10, "{}")))),
                Arguments.of("REQ with 1000 values", req("{\"#t\":[" + String.join(",",
                        Collections.nCopies(1000, "\"a\"")) + "]}")),
                Arguments.of("REQ with empty lists", req("{\"ids\":[],\"kinds\":[],\"#p\":[]}")),
                Arguments.of("REQ with a huge limit", req("{\"limit\":99999999999}")),
                Arguments.of("nesting at the limit", event("extra", deep(Json.MAX_DEPTH - 2))),
                Arguments.of("COUNT", "[\"COUNT\",\"q1\",{\"kinds\":[7]},{\"#e\":[\"" + HEX64 + "\"]}]"),
                Arguments.of("CLOSE", "[\"CLOSE\",\"sub1\"]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validMessages")
    void validMessagesParse(String name, String input) throws MalformedMessageException {
        ClientMessage m = ClientMessage.parse(input, FilterLimits.DEFAULT);
        assertEquals(m, ClientMessage.parse(input.getBytes(StandardCharsets.UTF_8), FilterLimits.DEFAULT));
    }

    @Test
    void aOneMebibyteContentIsKeptWhole() throws MalformedMessageException {
        String content = "é".repeat(1 << 19) + "🎉".repeat(1 << 17);
        ClientMessage m = ClientMessage.parse(event("content", q(content)), FilterLimits.DEFAULT);
        assertEquals(content, ((ClientMessage.Publish) m).event().content());
    }

    @Test
    void nestingIsBoundedAtExactlyMaxDepth() throws Json.JsonException {
        Json.parse(deep(Json.MAX_DEPTH));
        assertThrows(Json.JsonException.class, () -> Json.parse(deep(Json.MAX_DEPTH + 1)));
        assertThrows(Json.JsonException.class, () -> Json.parse(deep(100_000)), "no stack overflow");
        String objects = "{\"a\":".repeat(Json.MAX_DEPTH) + "1" + "}".repeat(Json.MAX_DEPTH);
        Json.parse(objects);
        assertThrows(Json.JsonException.class, () -> Json.parse("[" + objects + "]"));
    }
}
