package dev.strata.loadtest;

import io.vertx.core.buffer.Buffer;

/**
 * What a relay sent, read only as far as the harness needs: the verb, the subscription id, the event id, the OK
 * flag and message. An EVENT's body is scanned for its {@code id} field and never parsed further: at tens of
 * thousands of events a second, full parsing would make the client, not the relay, the bottleneck.
 *
 * @param subscriptionId EVENT, EOSE and CLOSED
 * @param eventId        EVENT and OK
 * @param message        OK, CLOSED and NOTICE
 */
record Inbound(Verb verb, String subscriptionId, String eventId, boolean accepted, String message) {
    enum Verb { EVENT, OK, EOSE, CLOSED, NOTICE, OTHER }

    private static final Inbound OTHER = new Inbound(Verb.OTHER, null, null, false, null);

    /** Reads a relay message; anything this reader does not understand is {@link Verb#OTHER}. */
    static Inbound parse(String text) {
        return parse(Buffer.buffer(text));
    }

    /**
     * Reads a relay message from its UTF-8 bytes, as the frame brought them: decoding every event to a String
     * (UTF-16 for any non-Latin-1 content) would cost the client more than the relay spends sending it.
     */
    static Inbound parse(Buffer utf8) {
        try {
            Reader r = new Reader(utf8);
            r.expect('[');
            String verb = r.string();
            switch (verb) {
                case "EVENT": {
                    r.expect(',');
                    String sub = r.string();
                    r.expect(',');
                    return new Inbound(Verb.EVENT, sub, r.eventId(), false, null);
                }
                case "OK": {
                    r.expect(',');
                    String id = r.string();
                    r.expect(',');
                    boolean ok = r.bool();
                    r.expect(',');
                    return new Inbound(Verb.OK, null, id, ok, r.string());
                }
                case "EOSE":
                    r.expect(',');
                    return new Inbound(Verb.EOSE, r.string(), null, false, null);
                case "CLOSED": {
                    r.expect(',');
                    String sub = r.string();
                    String msg = r.peekComma() ? r.string() : "";
                    return new Inbound(Verb.CLOSED, sub, null, false, msg);
                }
                case "NOTICE":
                    r.expect(',');
                    return new Inbound(Verb.NOTICE, null, null, false, r.string());
                default:
                    return OTHER;
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return OTHER;
        }
    }

    /** The part of a message before ':', as NIP-01 machine-readable prefixes go ("" when there is none). */
    static String prefix(String message) {
        if (message == null) {
            return "";
        }
        int colon = message.indexOf(':');
        return colon > 0 && colon <= 20 ? message.substring(0, colon) : "";
    }

    /** A cursor over JSON bytes that reads strings and skips values, nothing more. */
    private static final class Reader {
        private final Buffer s;
        private final int length;
        private int i;

        Reader(Buffer s) {
            this.s = s;
            this.length = s.length();
        }

        private byte charAt(int at) {
            if (at >= length) {
                throw new IndexOutOfBoundsException(at);
            }
            return s.getByte(at);
        }

        private boolean startsWith(String ascii, int at) {
            if (at + ascii.length() > length) {
                return false;
            }
            for (int k = 0; k < ascii.length(); k++) {
                if (s.getByte(at + k) != ascii.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private void space() {
            while (i < length && s.getByte(i) >= 0 && s.getByte(i) <= ' ') {
                i++;
            }
        }

        void expect(char c) {
            space();
            if (charAt(i) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
            i++;
        }

        boolean peekComma() {
            space();
            if (i < length && s.getByte(i) == ',') {
                i++;
                return true;
            }
            return false;
        }

        boolean bool() {
            space();
            if (startsWith("true", i)) {
                i += 4;
                return true;
            }
            if (startsWith("false", i)) {
                i += 5;
                return false;
            }
            throw new IllegalArgumentException("expected a boolean");
        }

        String string() {
            space();
            if (charAt(i) != '"') {
                throw new IllegalArgumentException("expected a string");
            }
            int start = ++i;
            boolean escaped = false;
            while (true) {
                byte c = charAt(i);
                if (c == '"') {
                    String raw = s.getString(start, i++, "UTF-8");
                    return escaped ? unescape(raw) : raw;
                }
                if (c == '\\') {
                    escaped = true;
                    i += 2;
                } else {
                    i++;
                }
            }
        }

        /** JSON escapes are ASCII, so they survive the UTF-8 decoding of the raw string unchanged. */
        private static String unescape(String raw) {
            StringBuilder sb = new StringBuilder(raw.length());
            for (int k = 0; k < raw.length(); k++) {
                char c = raw.charAt(k);
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = raw.charAt(++k);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(raw.substring(k + 1, k + 5), 16));
                        k += 4;
                    }
                    default -> sb.append(e);
                }
            }
            return sb.toString();
        }

        /** In an event object, the value of "id"; other members are skipped whatever their order. */
        String eventId() {
            expect('{');
            while (true) {
                String key = string();
                expect(':');
                if (key.equals("id")) {
                    return string();
                }
                skipValue();
                space();
                if (charAt(i) == '}') {
                    throw new IllegalArgumentException("event without id");
                }
                expect(',');
            }
        }

        private void skipValue() {
            space();
            byte c = charAt(i);
            if (c == '"') {
                skipString();
            } else if (c == '[' || c == '{') {
                int depth = 0;
                do {
                    c = charAt(i);
                    if (c == '"') {
                        skipString();
                        continue;
                    }
                    if (c == '[' || c == '{') {
                        depth++;
                    } else if (c == ']' || c == '}') {
                        depth--;
                    }
                    i++;
                } while (depth > 0);
            } else {
                while (i < length && ",}] \t\r\n".indexOf(s.getByte(i)) < 0) {
                    i++;
                }
            }
        }

        /** Past a string without decoding it: the content of a skipped value is never looked at. */
        private void skipString() {
            i++;
            while (true) {
                byte c = charAt(i);
                if (c == '"') {
                    i++;
                    return;
                }
                i += c == '\\' ? 2 : 1;
            }
        }
    }
}
