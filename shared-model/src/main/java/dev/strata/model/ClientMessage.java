package dev.strata.model;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a client sends a relay (NIP-01, NIP-42, NIP-45). */
public sealed interface ClientMessage {

    /** {@code ["EVENT", <event>]}: publish. */
    record Publish(Event event) implements ClientMessage {
    }

    /** {@code ["REQ", <sub id>, <filter>...]}: query stored events, then stream live ones. */
    record Req(String subscriptionId, List<Filter> filters) implements ClientMessage {
        public Req {
            filters = List.copyOf(filters);
        }
    }

    /** {@code ["CLOSE", <sub id>]}. */
    record Close(String subscriptionId) implements ClientMessage {
    }

    /** {@code ["AUTH", <kind 22242 event>]} (NIP-42). */
    record Auth(Event event) implements ClientMessage {
    }

    /**
     * {@code ["COUNT", <query id>, <filter>...]} (NIP-45).
     *
     * @param hllOffset the NIP-45 HyperLogLog offset of the filters ({@link Hll#offsetOf(List)}), -1 for none
     */
    record Count(String subscriptionId, List<Filter> filters, int hllOffset) implements ClientMessage {
        public Count {
            filters = List.copyOf(filters);
        }

        /** A COUNT as a client writes it: the offset is that of the filters' JSON. */
        public Count(String subscriptionId, List<Filter> filters) {
            this(subscriptionId, filters, offsetOfJson(filters));
        }

        private static int offsetOfJson(List<Filter> filters) {
            List<Map<?, ?>> json = new ArrayList<>(filters.size());
            for (Filter f : filters) {
                try {
                    json.add((Map<?, ?>) Json.parse(f.toJson()));
                } catch (Json.JsonException e) {
                    throw new IllegalStateException("a filter wrote malformed JSON: " + f, e);
                }
            }
            return Hll.offsetOf(json);
        }
    }

    /** Parses a WebSocket frame's bytes, refusing invalid UTF-8 rather than guessing at it. */
    static ClientMessage parse(byte[] utf8, FilterLimits limits) throws MalformedMessageException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            throw MalformedMessageException.notice("invalid: message is not valid UTF-8");
        }
        return parse(text, limits);
    }

    /** Parses one client message; a malformed one becomes an exception that knows its reply. */
    static ClientMessage parse(String text, FilterLimits limits) throws MalformedMessageException {
        Object tree;
        try {
            tree = Json.parse(text);
        } catch (Json.JsonException e) {
            throw MalformedMessageException.notice("invalid: message is not valid JSON: " + e.getMessage());
        }
        if (!(tree instanceof List<?> array) || array.isEmpty()) {
            throw MalformedMessageException.notice("invalid: a message must be a non-empty JSON array");
        }
        if (!(array.get(0) instanceof String verb)) {
            throw MalformedMessageException.notice("invalid: a message must start with its type as a string");
        }
        return switch (verb) {
            case "EVENT" -> new Publish(event(array, "EVENT"));
            case "AUTH" -> new Auth(event(array, "AUTH"));
            case "REQ" -> {
                String subId = subscriptionId(array, "REQ", limits);
                yield new Req(subId, filters(array, subId, limits));
            }
            case "COUNT" -> {
                String subId = subscriptionId(array, "COUNT", limits);
                List<Filter> filters = filters(array, subId, limits);
                // The filters parsed, so every element is an object; the offset follows their document order.
                List<Map<?, ?>> json = new ArrayList<>(filters.size());
                for (Object f : array.subList(2, array.size())) {
                    json.add((Map<?, ?>) f);
                }
                yield new Count(subId, filters, Hll.offsetOf(json));
            }
            case "CLOSE" -> {
                String subId = subscriptionId(array, "CLOSE", limits);
                if (array.size() != 2) {
                    throw MalformedMessageException.notice("invalid: CLOSE takes exactly one subscription id");
                }
                yield new Close(subId);
            }
            default -> throw MalformedMessageException.notice("invalid: unknown message type \""
                    + Json.abbreviate(verb, 16) + "\"");
        };
    }

    private static Event event(List<?> array, String verb) throws MalformedMessageException {
        Object value = array.size() > 1 ? array.get(1) : null;
        String reason;
        if (array.size() != 2) {
            reason = "invalid: " + verb + " takes exactly one event object";
        } else {
            try {
                return Event.fromJson(value);
            } catch (InvalidEventException e) {
                reason = e.getMessage();
            }
        }
        // NIP-01 (and NIP-42 for AUTH): every event gets an OK, so answer with the id whenever it is readable.
        String id = Event.idOf(value);
        throw id == null ? MalformedMessageException.notice(reason) : MalformedMessageException.ok(id, reason);
    }

    private static String subscriptionId(List<?> array, String verb, FilterLimits limits)
            throws MalformedMessageException {
        if (array.size() < 2 || !(array.get(1) instanceof String subId)) {
            throw MalformedMessageException.notice("invalid: " + verb + " needs a subscription id string");
        }
        if (subId.isEmpty() || subId.length() > limits.maxSubIdLength()) {
            // Not echoed back in a CLOSED: the client could not have a subscription by that id.
            throw MalformedMessageException.notice("invalid: subscription id must be 1 to "
                    + limits.maxSubIdLength() + " characters");
        }
        return subId;
    }

    private static List<Filter> filters(List<?> array, String subId, FilterLimits limits)
            throws MalformedMessageException {
        try {
            return Filter.listFromJson(array.subList(2, array.size()), limits);
        } catch (InvalidFilterException e) {
            throw MalformedMessageException.closed(subId, e.getMessage());
        }
    }

    /** The message as JSON text, as a client sends it. */
    default String toJson() {
        StringBuilder sb = new StringBuilder(256);
        // Java 17: no pattern matching in switch yet, so an instanceof chain over the sealed family.
        if (this instanceof Publish p) {
            sb.append("[\"EVENT\",").append(p.event().toJson());
        } else if (this instanceof Auth a) {
            sb.append("[\"AUTH\",").append(a.event().toJson());
        } else if (this instanceof Close c) {
            sb.append("[\"CLOSE\",");
            Json.writeString(sb, c.subscriptionId());
        } else if (this instanceof Req r) {
            appendQuery(sb, "REQ", r.subscriptionId(), r.filters());
        } else if (this instanceof Count c) {
            appendQuery(sb, "COUNT", c.subscriptionId(), c.filters());
        }
        return sb.append(']').toString();
    }

    private static void appendQuery(StringBuilder sb, String verb, String subId, List<Filter> filters) {
        sb.append("[\"").append(verb).append("\",");
        Json.writeString(sb, subId);
        for (Filter f : filters) {
            sb.append(',').append(f.toJson());
        }
    }
}
