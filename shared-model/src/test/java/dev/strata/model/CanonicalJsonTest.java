package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * NIP-01 1.2: the id is SHA-256 over one exact serialization. A relay that escapes one character differently from
 * the client computes another id and refuses a valid event, so every rule is pinned to an exact expected string.
 * The expected ids below were computed outside this code base (Python's {@code json.dumps(ensure_ascii=False,
 * separators=(",", ":"))}, which escapes exactly like JS and Go, then {@code hashlib.sha256}).
 */
class CanonicalJsonTest {
    /** The x-only public key of secret key 1 (the secp256k1 generator's x). */
    static final String G = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    static final String SIG = "0".repeat(128);

    static final char NUL = 0x00;
    static final char SOH = 0x01;
    static final char US = 0x1f;
    static final char DEL = 0x7f;

    private static Event event(long createdAt, int kind, List<List<String>> tags, String content) {
        return new Event("0".repeat(64), G, createdAt, kind, tags, content, SIG);
    }

    @Test
    void theNipExampleHasTheExpectedCanonicalFormAndId() {
        Event e = event(1700000000, 1, List.of(List.of("t", "nostr")), "hello\nworld");
        assertEquals("[0,\"" + G + "\",1700000000,1,[[\"t\",\"nostr\"]],\"hello\\nworld\"]", e.canonicalJson());
        assertEquals("ea54c1a8d3644b721b157204ef99296c5d3ede78d74312f68d08422bf7999c6d", e.computeId());
    }

    @Test
    void emptyTagsAndEmptyContent() {
        Event e = event(1, 0, List.of(), "");
        assertEquals("[0,\"" + G + "\",1,0,[],\"\"]", e.canonicalJson());
        assertEquals("de7e00aafebd4fe676b4c664fd57ee5e1f7431dcd92c0490fd5f47d9460f9380", e.computeId());
    }

    @Test
    void sevenShortEscapesControlCharactersAndVerbatimText() {
        String content = "a\nb\"c\\d\re\tf\bg\fh" + NUL + "i" + SOH + "j" + US + "k" + DEL + "l/m é 日本 🎉 <>&'=";
        List<List<String>> tags = List.of(
                List.of("e", "x\ny", "\"q\"", "back\\slash"),
                List.of("t", "\r\t\b\f"),
                List.of("c", "" + NUL + SOH + US + DEL),
                List.of("u", "https://ex.com/a?b=1&c=<2>", "日本🎉é"));
        Event e = event(0, 30000, tags, content);
        String expected = "[0,\"" + G + "\",0,30000,"
                + "[[\"e\",\"x\\ny\",\"\\\"q\\\"\",\"back\\\\slash\"],"
                + "[\"t\",\"\\r\\t\\b\\f\"],"
                + "[\"c\",\"\\u0000\\u0001\\u001f" + DEL + "\"],"
                + "[\"u\",\"https://ex.com/a?b=1&c=<2>\",\"日本🎉é\"]],"
                + "\"a\\nb\\\"c\\\\d\\re\\tf\\bg\\fh\\u0000i\\u0001j\\u001fk" + DEL + "l/m é 日本 🎉 <>&'=\"]";
        assertEquals(expected, e.canonicalJson());
        assertEquals("a9926f909807b456079c0e01315fdec9b3ed7136d929e4575af040cf4a274866", e.computeId());
    }

    @Test
    void everyControlCharacterHasItsExactEscape() {
        for (char c = 0; c < 0x20; c++) {
            String expected;
            switch (c) {
                case '\n':
                    expected = "\\n";
                    break;
                case '\r':
                    expected = "\\r";
                    break;
                case '\t':
                    expected = "\\t";
                    break;
                case '\b':
                    expected = "\\b";
                    break;
                case '\f':
                    expected = "\\f";
                    break;
                default:
                    expected = String.format("\\u%04x", (int) c);
            }
            assertEquals("\"" + expected + "\"", Json.quote(String.valueOf(c)), "char 0x" + Integer.toHexString(c));
        }
        assertEquals("\"" + DEL + "\"", Json.quote(String.valueOf(DEL)), "DEL is not escaped");
        assertEquals("\"\\u001a\"", Json.quote("\u001a"), "hex digits are lowercase");
    }

    @Test
    void nonAsciiIsWrittenAsUtf8NotEscaped() {
        Event e = event(5, 1, List.of(), "é日本🎉");
        byte[] utf8 = e.canonicalJson().getBytes(StandardCharsets.UTF_8);
        byte[] expectedTail = {'"', (byte) 0xc3, (byte) 0xa9, (byte) 0xe6, (byte) 0x97, (byte) 0xa5, (byte) 0xe6,
                (byte) 0x9c, (byte) 0xac, (byte) 0xf0, (byte) 0x9f, (byte) 0x8e, (byte) 0x89, '"', ']'};
        byte[] tail = new byte[expectedTail.length];
        System.arraycopy(utf8, utf8.length - tail.length, tail, 0, tail.length);
        assertArrayEquals(expectedTail, tail);
    }

    @Test
    void largeCreatedAtAndKindBoundsArePlainIntegers() {
        Event e = event(Long.MAX_VALUE, 65535, List.of(List.of("x")), "");
        assertEquals("[0,\"" + G + "\",9223372036854775807,65535,[[\"x\"]],\"\"]", e.canonicalJson());
    }

    @Test
    void toJsonIsCompactInNipOrderAndParsesBackToTheSameEvent() throws InvalidEventException {
        Event e = event(1700000000, 1, List.of(List.of("t", "a/b"), List.of("p", G, "wss://r.example/")),
                "line1\nline2 \"q\" \\ é 🎉 " + NUL + DEL);
        String json = e.toJson();
        assertEquals("{\"id\":\"" + "0".repeat(64) + "\",\"pubkey\":\"" + G
                + "\",\"created_at\":1700000000,\"kind\":1,\"tags\":[[\"t\",\"a/b\"],[\"p\",\"" + G
                + "\",\"wss://r.example/\"]],\"content\":\"line1\\nline2 \\\"q\\\" \\\\ é 🎉 \\u0000" + DEL
                + "\",\"sig\":\"" + SIG + "\"}", json);
        assertEquals(e, Event.parse(json));
    }

    @Test
    void parsingUnescapesWhatTheWriterEscapedAndAcceptsEquivalentSpellings() throws InvalidEventException {
        // A client may send "\/", "\u00e9" or spaces between tokens; the id is over the canonical form.
        String json = "{ \"id\" : \"" + "0".repeat(64) + "\", \"pubkey\":\"" + G + "\", \"created_at\": 1,"
                + " \"kind\": 1, \"tags\": [ [\"t\", \"a\\/b\"] ], \"content\": \"\\u00e9\\ud83c\\udf89\\u0041\","
                + " \"sig\": \"" + SIG + "\" }";
        Event e = Event.parse(json);
        assertEquals("é🎉A", e.content());
        assertEquals("a/b", e.tags().get(0).get(1));
        assertEquals("[0,\"" + G + "\",1,1,[[\"t\",\"a/b\"]],\"é🎉A\"]", e.canonicalJson());
    }

    @Test
    void everySampleLineIsReproducedByteForByte() throws IOException, InvalidEventException {
        List<String> lines = SharedFiles.lines("nostr-events-sample.jsonl");
        assertEquals(8, lines.size());
        for (String line : lines) {
            Event e = Event.parse(line);
            assertArrayEquals(line.getBytes(StandardCharsets.UTF_8), e.toJson().getBytes(StandardCharsets.UTF_8),
                    line);
            assertEquals(e, Event.parse(e.toJson()));
        }
    }

    @Test
    void idIsSha256OfTheUtf8CanonicalForm() throws Exception {
        Event e = event(1700000000, 1, List.of(List.of("t", "日本")), "🎉");
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest(e.canonicalJson().getBytes(StandardCharsets.UTF_8));
        assertEquals(Hex.encode(digest), e.computeId());
        Event withId = new Event(e.computeId(), G, 1700000000, 1, e.tags(), e.content(), SIG);
        assertTrue(withId.hasValidId());
        assertFalse(event(1700000000, 1, e.tags(), "🎉").hasValidId(), "an all-zero id is not the hash");
    }
}
