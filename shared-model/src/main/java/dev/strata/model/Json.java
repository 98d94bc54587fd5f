package dev.strata.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and the NIP-01 string writer.
 *
 * <p>We own the parser rather than use a general library because the protocol needs things they hide: the raw
 * text of numbers (to refuse {@code 1.0} or {@code 1e3} as a kind), duplicate-key detection, unpaired surrogates
 * (which have no UTF-8 form, so no id can be computed over them) and a hard nesting bound against hostile input.
 *
 * <p>Values are: {@link String}, {@link Number} ({@link JsonNumber}), {@link List}, {@link Map},
 * {@link Boolean} and {@link #NULL}.
 */
public final class Json {
    /** The JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Deep enough for every Nostr message (an EVENT is 4 levels), shallow enough to refuse nested junk. */
    public static final int MAX_DEPTH = 16;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that must span the whole text. */
    public static Object parse(String text) throws JsonException {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.readValue(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected data after the JSON value");
        }
        return value;
    }

    /** A number kept as its source text, so callers decide what a valid integer is. */
    public record JsonNumber(String raw) {
        public boolean isIntegral() {
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') {
                    return false;
                }
            }
            return true;
        }

        /** The value as a long, or null when it is not an integer or does not fit in 64 bits. */
        public Long longValueOrNull() {
            if (!isIntegral()) {
                return null;
            }
            try {
                return Long.parseLong(raw);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return raw;
        }
    }

    /** Why a text is not JSON; the message is readable by a client. */
    public static final class JsonException extends Exception {
        public JsonException(String message) {
            super(message, null, false, false);
        }
    }

    private JsonException error(String what) {
        return new JsonException(what + " at offset " + pos);
    }

    private Object readValue(int depth) throws JsonException {
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject(depth + 1);
            case '[':
                return readArray(depth + 1);
            case '"':
                return readString();
            case 't':
                expectLiteral("true");
                return Boolean.TRUE;
            case 'f':
                expectLiteral("false");
                return Boolean.FALSE;
            case 'n':
                expectLiteral("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("unexpected character '" + printable(c) + "'");
        }
    }

    private Map<String, Object> readObject(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>(); // document order: NIP-45 reads "the first tag attribute"
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            String key = readString();
            skipWhitespace();
            if (peek() != ':') {
                throw error("expected ':'");
            }
            pos++;
            skipWhitespace();
            Object value = readValue(depth);
            if (map.put(key, value) != null) {
                throw error("duplicate key \"" + abbreviate(key, 32) + "\"");
            }
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> readArray(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.emptyList();
        }
        List<Object> list = new ArrayList<>();
        while (true) {
            skipWhitespace();
            list.add(readValue(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String readString() throws JsonException {
        int start = ++pos; // after the opening quote
        // Fast path: no escapes, no surrogates.
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                return text.substring(start, pos++);
            }
            if (c == '\\' || c < 0x20 || Character.isSurrogate(c)) {
                break;
            }
            pos++;
        }
        StringBuilder sb = new StringBuilder(pos - start + 16);
        sb.append(text, start, pos);
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character in string");
            }
            if (c == '\\') {
                c = readEscape();
            }
            if (Character.isHighSurrogate(c)) {
                char low = nextLowSurrogate();
                sb.append(c).append(low);
            } else if (Character.isLowSurrogate(c)) {
                throw error("unpaired surrogate in string");
            } else {
                sb.append(c);
            }
        }
    }

    private char readEscape() throws JsonException {
        if (pos >= text.length()) {
            throw error("unterminated string");
        }
        char e = text.charAt(pos++);
        switch (e) {
            case '"':
                return '"';
            case '\\':
                return '\\';
            case '/':
                return '/';
            case 'b':
                return '\b';
            case 'f':
                return '\f';
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case 'u':
                if (pos + 4 > text.length()) {
                    throw error("truncated \\u escape");
                }
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    // ASCII digits only: Character.digit would also take full-width and other scripts' digits.
                    int d = Hex.digit(text.charAt(pos++));
                    if (d < 0) {
                        throw error("bad \\u escape");
                    }
                    v = (v << 4) | d;
                }
                return (char) v;
            default:
                pos--;
                throw error("bad escape '\\" + printable(e) + "'");
        }
    }

    /** A high surrogate must be followed by a low one, raw or escaped; otherwise the text has no UTF-8 form. */
    private char nextLowSurrogate() throws JsonException {
        if (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isLowSurrogate(c)) {
                pos++;
                return c;
            }
            if (c == '\\' && pos + 1 < text.length() && text.charAt(pos + 1) == 'u') {
                pos++;
                char low = readEscape();
                if (Character.isLowSurrogate(low)) {
                    return low;
                }
            }
        }
        throw error("unpaired surrogate in string");
    }

    private JsonNumber readNumber() throws JsonException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("bad number");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("bad number");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        return new JsonNumber(text.substring(start, pos));
    }

    private void expectLiteral(String literal) throws JsonException {
        if (!text.startsWith(literal, pos)) {
            throw error("unexpected token");
        }
        pos += literal.length();
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(char c) {
        return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    /**
     * {@code s} cut to at most {@code max} chars plus "...", for quoting client input in a reply. Never cuts a
     * surrogate pair in half: a lone surrogate has no UTF-8 form, so the reply could not be sent as written.
     */
    static String abbreviate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + "...";
    }

    /**
     * Appends {@code s} as a JSON string the way NIP-01 serializes for the id: exactly seven characters get short
     * escapes, other control characters {@code \\u00xx} (lowercase, as JS and Go write them), everything else
     * verbatim (no escaping of '/', non-ASCII or HTML characters).
     */
    public static void writeString(StringBuilder out, String s) {
        out.append('"');
        int runStart = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.append(s, runStart, i);
            runStart = i + 1;
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        out.append(s, runStart, n);
        out.append('"');
    }

    /** A JSON string literal for {@code s}. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        writeString(sb, s);
        return sb.toString();
    }
}
