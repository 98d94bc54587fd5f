package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a client sees for each kind of bad message, as a table shared by {@code MalformedInputTest} (the parser) and
 * the relay's over-the-wire test (through this module's test-jar). NIP-01: every EVENT (and NIP-42: every AUTH)
 * gets an OK, so an event whose id can be read is answered {@code OK false} with that id; a refused REQ or COUNT gets
 * a CLOSED with its sub id; everything else a NOTICE. Each case pins the reply type, the target and the message
 * prefix. The rows assume {@link FilterLimits#DEFAULT}.
 */
public final class MalformedCases {
    /** Sample line 3 (the NIP-13 example), field by field as raw JSON. */
    public static final String ID = "000006d8c378af1779d2feebc7603a125d99eca0ccf1085959b307f64e5dd358";
    public static final String PUBKEY = "a48380f4cfcc1ad5378294fcac36439770f9c878dd880ffa94bb74ea54a6f243";
    public static final String SIG = "284622fc0a3f4f1303455d5175f7ba962a3300d136085b9566801bc2e0699de0"
            + "c7e31e44c81fb40ad9049173742e904713c3594a1da0fc5d2382a25c11aba977";
    public static final String HEX64 = "a".repeat(64);

    private MalformedCases() {
    }

    static Map<String, String> baseFields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("id", q(ID));
        m.put("pubkey", q(PUBKEY));
        m.put("created_at", "1651794653");
        m.put("kind", "1");
        m.put("tags", "[[\"nonce\",\"776797\",\"20\"]]");
        m.put("content", q("It's just me mining my own business"));
        m.put("sig", q(SIG));
        return m;
    }

    static String q(String s) {
        return "\"" + s + "\"";
    }

    /** The event object with some fields replaced by raw JSON; a null value removes the field. */
    public static String ev(String... keyRawPairs) {
        Map<String, String> m = baseFields();
        for (int i = 0; i < keyRawPairs.length; i += 2) {
            if (keyRawPairs[i + 1] == null) {
                m.remove(keyRawPairs[i]);
            } else {
                m.put(keyRawPairs[i], keyRawPairs[i + 1]);
            }
        }
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(q(k)).append(':').append(v));
        return sb.append('}').toString();
    }

    public static String event(String... keyRawPairs) {
        return "[\"EVENT\"," + ev(keyRawPairs) + "]";
    }

    static String req(String filtersRaw) {
        return "[\"REQ\",\"sub1\"," + filtersRaw + "]";
    }

    static String deep(int levels) {
        return "[".repeat(levels) + "]".repeat(levels);
    }

    /** One row: the input, the reply type, its message prefix and, for OK/CLOSED, the id it must carry. */
    public record Case(String name, String input, Class<? extends RelayMessage> type, String prefix, String target) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Case> ROWS = new ArrayList<>();

    private static void notice(String name, String input) {
        ROWS.add(new Case(name, input, RelayMessage.Notice.class, "invalid: ", null));
    }

    private static void okFalse(String name, String input) {
        ROWS.add(new Case(name, input, RelayMessage.Ok.class, "invalid: ", ID));
    }

    private static void closed(String name, String input, String subId, String prefix) {
        ROWS.add(new Case(name, input, RelayMessage.Closed.class, prefix, subId));
    }

    private static void reqClosed(String name, String filtersRaw) {
        closed(name, req(filtersRaw), "sub1", "invalid: ");
    }

    static {
        // Not a message at all.
        notice("empty text", "");
        notice("whitespace only", "  \n ");
        notice("not JSON", "hello");
        notice("truncated JSON", "[\"EVENT\",");
        notice("trailing garbage", "[\"CLOSE\",\"sub1\"] x");
        notice("trailing second value", "[\"CLOSE\",\"sub1\"][]");
        notice("trailing comma in array", "[\"CLOSE\",\"sub1\",]");
        notice("single quotes", "['CLOSE','sub1']");
        notice("empty array", "[]");
        notice("object instead of array", "{\"EVENT\":{}}");
        notice("string instead of array", "\"EVENT\"");
        notice("number instead of array", "42");
        notice("null instead of array", "null");
        notice("verb is a number", "[1,\"sub1\"]");
        notice("verb is null", "[null]");
        notice("verb is an array", "[[\"EVENT\"]]");
        notice("unknown verb", "[\"PUBLISH\",{}]");
        notice("verb in lower case", "[\"event\"," + ev() + "]");
        notice("long unknown verb cut inside an emoji", "[\"ABCDEFGHIJKLMNO🎉🎉\",1]");
        notice("byte order mark before the array", "\uFEFF[\"CLOSE\",\"sub1\"]");

        // EVENT shape.
        notice("EVENT without the event", "[\"EVENT\"]");
        okFalse("EVENT with an extra element", "[\"EVENT\"," + ev() + ",\"extra\"]");
        notice("EVENT with an extra element and no readable id", "[\"EVENT\"," + ev("id", "1") + ",1]");
        notice("event is a string", "[\"EVENT\",\"{}\"]");
        notice("event is an array", "[\"EVENT\",[]]");
        notice("event is null", "[\"EVENT\",null]");
        notice("event is an empty object", "[\"EVENT\",{}]");

        // Missing fields: without the id only a NOTICE is possible.
        notice("missing id", event("id", null));
        okFalse("missing pubkey", event("pubkey", null));
        okFalse("missing created_at", event("created_at", null));
        okFalse("missing kind", event("kind", null));
        okFalse("missing tags", event("tags", null));
        okFalse("missing content", event("content", null));
        okFalse("missing sig", event("sig", null));

        // id, pubkey, sig: 64/64/128 lowercase hex strings.
        notice("id is a number", event("id", "1"));
        notice("id is null", event("id", "null"));
        notice("id is an array", event("id", "[" + q(ID) + "]"));
        notice("id in upper case", event("id", q(ID.toUpperCase())));
        notice("id of 63 characters", event("id", q(ID.substring(1))));
        notice("id of 65 characters", event("id", q(ID + "0")));
        notice("id with a non-hex character", event("id", q("g" + ID.substring(1))));
        okFalse("pubkey is a number", event("pubkey", "12"));
        okFalse("pubkey is null", event("pubkey", "null"));
        okFalse("pubkey is an object", event("pubkey", "{}"));
        okFalse("pubkey in upper case", event("pubkey", q(PUBKEY.toUpperCase())));
        okFalse("pubkey with one upper-case digit", event("pubkey", q("A" + PUBKEY.substring(1))));
        okFalse("pubkey of 63 characters", event("pubkey", q(PUBKEY.substring(1))));
        okFalse("pubkey with 0x prefix", event("pubkey", q("0x" + PUBKEY.substring(2))));
        okFalse("sig in upper case", event("sig", q(SIG.toUpperCase())));
        okFalse("sig of 127 characters", event("sig", q(SIG.substring(1))));
        okFalse("sig of 129 characters", event("sig", q(SIG + "0")));
        okFalse("sig is true", event("sig", "true"));
        okFalse("sig is an array", event("sig", "[]"));

        // created_at: a non-negative integer of at most 64 bits.
        okFalse("created_at as a string", event("created_at", "\"1651794653\""));
        okFalse("created_at is null", event("created_at", "null"));
        okFalse("created_at is false", event("created_at", "false"));
        okFalse("created_at negative", event("created_at", "-1"));
        okFalse("created_at with a fraction", event("created_at", "1651794653.5"));
        okFalse("created_at with .0", event("created_at", "1651794653.0"));
        okFalse("created_at with an exponent", event("created_at", "1.651794653e9"));
        okFalse("created_at above 2^63-1", event("created_at", "9223372036854775808"));
        notice("created_at with a leading zero (not JSON)", event("created_at", "01651794653"));
        notice("created_at with a plus sign (not JSON)", event("created_at", "+1651794653"));

        // kind: an integer from 0 to 65535.
        okFalse("kind as a string", event("kind", "\"1\""));
        okFalse("kind is null", event("kind", "null"));
        okFalse("kind is an array", event("kind", "[1]"));
        okFalse("kind is an object", event("kind", "{}"));
        okFalse("kind -1", event("kind", "-1"));
        okFalse("kind 65536", event("kind", "65536"));
        okFalse("kind 1.5", event("kind", "1.5"));
        okFalse("kind 1.0", event("kind", "1.0"));
        okFalse("kind 1e3", event("kind", "1e3"));
        okFalse("kind huge", event("kind", "99999999999999999999999"));

        // tags: an array of non-empty arrays of strings.
        okFalse("tags is a string", event("tags", "\"[]\""));
        okFalse("tags is an object", event("tags", "{}"));
        okFalse("tags is null", event("tags", "null"));
        okFalse("a tag is not an array", event("tags", "[[\"t\",\"a\"],\"t\"]"));
        okFalse("a tag holds a number", event("tags", "[[\"e\",1]]"));
        okFalse("a tag holds null", event("tags", "[[\"e\",null]]"));
        okFalse("a tag name is a number", event("tags", "[[1,\"a\"]]"));
        okFalse("a tag holds an array", event("tags", "[[\"e\",[\"a\"]]]"));
        okFalse("an empty tag", event("tags", "[[]]"));

        // content: a string.
        okFalse("content is a number", event("content", "1"));
        okFalse("content is null", event("content", "null"));
        okFalse("content is an array", event("content", "[]"));
        okFalse("content is false", event("content", "false"));

        // Text the strict JSON reader refuses, so the event never gets an id.
        notice("duplicate key in the event", event("kind", "1,\"kind\":2"));
        notice("duplicate id key", event("kind", "1,\"id\":" + q(ID)));
        // The message array and the event object are two levels; these reach MAX_DEPTH + 1.
        notice("nesting deeper than the limit in tags", event("tags", deep(Json.MAX_DEPTH - 1)));
        notice("nesting deeper than the limit in a filter", req("{\"#t\":" + deep(Json.MAX_DEPTH - 1) + "}"));
        notice("unpaired high surrogate escape", event("content", "\"a\\ud800b\""));
        notice("unpaired low surrogate escape", event("content", "\"a\\udc00\""));
        notice("high surrogate escape followed by a non-surrogate", event("content", "\"\\ud83c\\u0041\""));
        notice("high surrogate escape at the end of the string", event("content", "\"\\ud83c\""));
        notice("bad escape \\x", event("content", "\"\\x41\""));
        notice("bad escape \\'", event("content", "\"\\'\""));
        notice("truncated \\u escape", event("content", "\"\\u12\""));
        notice("non-hex \\u escape", event("content", "\"\\uZZZZ\""));
        notice("\\u escape with full-width digits", event("content", "\"\\u００４１\""));
        notice("\\u escape with Arabic-Indic digits", event("content", "\"\\u٠٠٤١\""));
        notice("raw control character in a string", event("content", "\"a\u0001b\""));
        notice("raw newline in a string", event("content", "\"a\nb\""));
        notice("raw tab in a string", event("content", "\"a\tb\""));
        notice("unterminated string", "[\"EVENT\",{\"id\":\"abc");
        notice("NaN is not JSON", event("kind", "NaN"));
        notice("bare minus is not a number", event("kind", "-"));

        // REQ.
        notice("REQ without a sub id", "[\"REQ\"]");
        notice("REQ with a numeric sub id", "[\"REQ\",1,{}]");
        notice("REQ with a null sub id", "[\"REQ\",null,{}]");
        notice("REQ with an empty sub id", "[\"REQ\",\"\",{}]");
        notice("REQ with a 65-character sub id", "[\"REQ\",\"" + "s".repeat(65) + "\",{}]");
        notice("REQ with a 1 MiB sub id", "[\"REQ\",\"" + "s".repeat(1 << 20) + "\",{}]");
        closed("REQ without filters", "[\"REQ\",\"sub1\"]", "sub1", "invalid: ");
        reqClosed("filter is a number", "1");
        reqClosed("filter is a string", "\"{}\"");
        reqClosed("filter is an array", "[]");
        reqClosed("filter is null", "null");
        reqClosed("second filter is not an object", "{},1");
        closed("unknown filter key", req("{\"serach\":\"nostr\"}"), "sub1", "unsupported: ");
        reqClosed("search is a number", "{\"search\":1}");
        reqClosed("search is an array", "{\"search\":[\"nostr\"]}");
        reqClosed("search longer than the limit", "{\"search\":\"" + "a".repeat(257) + "\"}");
        closed("two-letter tag filter", req("{\"#tt\":[\"a\"]}"), "sub1", "unsupported: ");
        closed("digit tag filter", req("{\"#1\":[\"a\"]}"), "sub1", "unsupported: ");
        closed("bare # filter key", req("{\"#\":[\"a\"]}"), "sub1", "unsupported: ");
        closed("long unknown key cut inside an emoji", req("{\"" + "k".repeat(31) + "🎉🎉\":1}"), "sub1",
                "unsupported: ");
        reqClosed("id prefix", "{\"ids\":[\"abcd\"]}");
        reqClosed("author prefix", "{\"authors\":[\"" + PUBKEY.substring(0, 8) + "\"]}");
        reqClosed("upper-case author", "{\"authors\":[\"" + PUBKEY.toUpperCase() + "\"]}");
        reqClosed("ids not an array", "{\"ids\":\"" + ID + "\"}");
        reqClosed("author is a number", "{\"authors\":[1]}");
        reqClosed("kind -1", "{\"kinds\":[-1]}");
        reqClosed("kind 65536", "{\"kinds\":[65536]}");
        reqClosed("kind 1.5", "{\"kinds\":[1.5]}");
        reqClosed("kind as a string", "{\"kinds\":[\"1\"]}");
        reqClosed("kinds not an array", "{\"kinds\":1}");
        reqClosed("tag value is a number", "{\"#t\":[1]}");
        reqClosed("tag values not an array", "{\"#t\":\"nostr\"}");
        reqClosed("negative limit", "{\"limit\":-1}");
        reqClosed("fractional limit", "{\"limit\":1.5}");
        reqClosed("limit as a string", "{\"limit\":\"10\"}");
        reqClosed("negative since", "{\"since\":-1}");
        reqClosed("until as a string", "{\"until\":\"1700000000\"}");
        reqClosed("since with an exponent", "{\"since\":1.7e9}");
        reqClosed("since is null", "{\"since\":null}");
        reqClosed("too many filters", String.join(",", Collections.nCopies(11, "{}")));
        reqClosed("too many values", "{\"#t\":[" + String.join(",", Collections.nCopies(1001, "\"a\""))
                + "]}");

        // CLOSE.
        notice("CLOSE without an id", "[\"CLOSE\"]");
        notice("CLOSE with an extra element", "[\"CLOSE\",\"sub1\",{}]");
        notice("CLOSE with a numeric id", "[\"CLOSE\",1]");
        notice("CLOSE with an empty id", "[\"CLOSE\",\"\"]");

        // COUNT (NIP-45).
        notice("COUNT without a query id", "[\"COUNT\"]");
        notice("COUNT with a numeric query id", "[\"COUNT\",7,{}]");
        closed("COUNT without filters", "[\"COUNT\",\"q1\"]", "q1", "invalid: ");
        closed("COUNT with a bad author", "[\"COUNT\",\"q1\",{\"authors\":[\"x\"]}]", "q1", "invalid: ");
        closed("COUNT with an unknown key", "[\"COUNT\",\"q1\",{\"serach\":\"x\"}]", "q1", "unsupported: ");

        // AUTH (NIP-42): the client sends an event, which gets an OK like any other.
        notice("AUTH without the event", "[\"AUTH\"]");
        notice("AUTH with the challenge string", "[\"AUTH\",\"challenge\"]");
        notice("AUTH with an empty object", "[\"AUTH\",{}]");
        okFalse("AUTH event without kind", "[\"AUTH\"," + ev("kind", null) + "]");
        okFalse("AUTH with an extra element", "[\"AUTH\"," + ev() + ",\"x\"]");
    }

    /** Every malformed text message, each a valid Unicode string (so each can travel as a WebSocket text frame). */
    public static final List<Case> CASES = Collections.unmodifiableList(ROWS);

    /**
     * A byte sequence that is not UTF-8. It cannot be written as a Java string, so it is not a {@link Case}; over
     * the wire it travels in a text frame written byte by byte. Every such message is refused as a whole with a
     * NOTICE, never decoded with replacement characters.
     */
    public record InvalidUtf8(String name, byte[] bytes) {
        /** The bytes inside a sub id, inside an event's content, before and after a whole message. */
        public List<byte[]> messages() {
            String evt = event();
            int inContent = evt.indexOf("mining");
            return List.of(frame("[\"REQ\",\"sub", bytes, "\",{}]"),
                    frame(evt.substring(0, inContent), bytes, evt.substring(inContent)),
                    frame("", bytes, "[\"CLOSE\",\"sub1\"]"),
                    frame("[\"CLOSE\",\"sub1\"]", bytes, ""));
        }

        /** What a client must see for each of {@link #messages()}. */
        public Case expected() {
            return new Case(name, "", RelayMessage.Notice.class, "invalid: ", null);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public static final List<InvalidUtf8> INVALID_UTF8 = List.of(
            new InvalidUtf8("lone continuation byte", new byte[] {(byte) 0x80}),
            new InvalidUtf8("overlong '/' (C0 AF)", new byte[] {(byte) 0xc0, (byte) 0xaf}),
            new InvalidUtf8("overlong NUL (C0 80)", new byte[] {(byte) 0xc0, (byte) 0x80}),
            new InvalidUtf8("overlong 3-byte '/' (E0 80 AF)", new byte[] {(byte) 0xe0, (byte) 0x80, (byte) 0xaf}),
            new InvalidUtf8("truncated 3-byte sequence", new byte[] {(byte) 0xe6, (byte) 0x97}),
            new InvalidUtf8("truncated 4-byte sequence", new byte[] {(byte) 0xf0, (byte) 0x9f, (byte) 0x8e}),
            new InvalidUtf8("encoded surrogate (ED A0 80)", new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}),
            new InvalidUtf8("encoded surrogate pair (CESU-8)", new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0xbc,
                    (byte) 0xed, (byte) 0xbe, (byte) 0x89}),
            new InvalidUtf8("above U+10FFFF (F4 90 80 80)", new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80,
                    (byte) 0x80}),
            new InvalidUtf8("byte FF", new byte[] {(byte) 0xff}),
            new InvalidUtf8("byte F8 (5-byte form)", new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80,
                    (byte) 0x80}));

    static byte[] frame(String before, byte[] middle, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(middle);
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Checks a reply against its row: type, target, prefix, a short reason, and that it is itself valid JSON. */
    public static void checkReply(Case c, RelayMessage reply) {
        assertInstanceOf(c.type(), reply, () -> c.name() + ": reply " + reply);
        String message;
        if (reply instanceof RelayMessage.Ok ok) {
            assertEquals(c.target(), ok.eventId(), c.name());
            assertFalse(ok.accepted(), c.name());
            message = ok.message();
        } else if (reply instanceof RelayMessage.Closed closed) {
            assertEquals(c.target(), closed.subscriptionId(), c.name());
            message = closed.message();
        } else {
            message = ((RelayMessage.Notice) reply).message();
        }
        assertTrue(message.startsWith(c.prefix()), () -> c.name() + ": message " + Json.quote(message));
        assertTrue(message.length() > c.prefix().length() + 5, () -> c.name() + ": says what was wrong");
        assertTrue(message.length() < 200, () -> "a short reply, not an echo of the input: " + message.length());
        // The reply must itself be a well-formed relay message (e.g. no half of a surrogate pair).
        try {
            assertEquals(reply, RelayMessage.parse(reply.toJson()));
        } catch (Json.JsonException ex) {
            fail("the reply " + reply + " does not survive its own JSON: " + ex.getMessage());
        }
    }
}
