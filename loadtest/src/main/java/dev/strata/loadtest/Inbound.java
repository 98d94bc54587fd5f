package dev.strata.loadtest;

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
        try {
            Reader r = new Reader(text);
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

    /** A cursor over JSON text that reads strings and skips values, nothing more. */
    private static final class Reader {
        private final String s;
        private int i;

        Reader(String s) {
            this.s = s;
        }

        private void space() {
            while (i < s.length() && s.charAt(i) <= ' ') {
                i++;
            }
        }

        void expect(char c) {
            space();
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
            i++;
        }

        boolean peekComma() {
            space();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                return true;
            }
            return false;
        }

        boolean bool() {
            space();
            if (s.startsWith("true", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return false;
            }
            throw new IllegalArgumentException("expected a boolean");
        }

        String string() {
            space();
            if (s.charAt(i) != '"') {
                throw new IllegalArgumentException("expected a string");
            }
            int start = ++i;
            StringBuilder sb = null;
            while (true) {
                char c = s.charAt(i);
                if (c == '"') {
                    String plain = s.substring(start, i++);
                    return sb == null ? plain : sb.append(plain).toString();
                }
                if (c == '\\') {
                    if (sb == null) {
                        sb = new StringBuilder();
                    }
                    sb.append(s, start, i);
                    char e = s.charAt(i + 1);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                    i += 2;
                    start = i;
                } else {
                    i++;
                }
            }
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
                if (s.charAt(i) == '}') {
                    throw new IllegalArgumentException("event without id");
                }
                expect(',');
            }
        }

        private void skipValue() {
            space();
            char c = s.charAt(i);
            if (c == '"') {
                string();
            } else if (c == '[' || c == '{') {
                int depth = 0;
                do {
                    c = s.charAt(i);
                    if (c == '"') {
                        string();
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
                while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
                    i++;
                }
            }
        }
    }
}
