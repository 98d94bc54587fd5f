package dev.strata.model;

import java.util.List;
import java.util.Map;

/** What a relay sends a client (NIP-01, NIP-42, NIP-45). */
public sealed interface RelayMessage {

    /**
     * {@code ["EVENT", <sub id>, <event>]}. Carries the event's JSON text rather than an {@link Event}, so a stored
     * event is sent as stored, never re-encoded per subscriber.
     */
    record EventMatch(String subscriptionId, String eventJson) implements RelayMessage {
    }

    /** {@code ["OK", <event id>, <accepted>, <message>]}; the message is "" or "prefix: text". */
    record Ok(String eventId, boolean accepted, String message) implements RelayMessage {
    }

    /** {@code ["EOSE", <sub id>]}: the stored part of a subscription is done. */
    record Eose(String subscriptionId) implements RelayMessage {
    }

    /** {@code ["CLOSED", <sub id>, <message>]}: the relay ended or refused a subscription. */
    record Closed(String subscriptionId, String message) implements RelayMessage {
    }

    /** {@code ["NOTICE", <message>]}: human-readable, for what has no better reply. */
    record Notice(String message) implements RelayMessage {
    }

    /** {@code ["AUTH", <challenge>]} (NIP-42). */
    record AuthChallenge(String challenge) implements RelayMessage {
    }

    /** {@code ["COUNT", <query id>, {"count": n, ...}]} (NIP-45); {@code hll} is null when not computed. */
    record CountResult(String subscriptionId, long count, boolean approximate, String hll) implements RelayMessage {
    }

    default String toJson() {
        StringBuilder sb = new StringBuilder(64);
        if (this instanceof EventMatch m) {
            sb.append("[\"EVENT\",");
            Json.writeString(sb, m.subscriptionId());
            sb.append(',').append(m.eventJson());
        } else if (this instanceof Ok ok) {
            sb.append("[\"OK\",\"").append(ok.eventId()).append("\",").append(ok.accepted()).append(',');
            Json.writeString(sb, ok.message());
        } else if (this instanceof Eose e) {
            sb.append("[\"EOSE\",");
            Json.writeString(sb, e.subscriptionId());
        } else if (this instanceof Closed c) {
            sb.append("[\"CLOSED\",");
            Json.writeString(sb, c.subscriptionId());
            sb.append(',');
            Json.writeString(sb, c.message());
        } else if (this instanceof Notice n) {
            sb.append("[\"NOTICE\",");
            Json.writeString(sb, n.message());
        } else if (this instanceof AuthChallenge a) {
            sb.append("[\"AUTH\",");
            Json.writeString(sb, a.challenge());
        } else if (this instanceof CountResult c) {
            sb.append("[\"COUNT\",");
            Json.writeString(sb, c.subscriptionId());
            sb.append(",{\"count\":").append(c.count());
            if (c.approximate()) {
                sb.append(",\"approximate\":true");
            }
            if (c.hll() != null) {
                sb.append(",\"hll\":\"").append(c.hll()).append('"');
            }
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    /** Parses a relay's message, as a client (tests, the load generator) reads it. */
    static RelayMessage parse(String text) throws Json.JsonException {
        Object tree = Json.parse(text);
        if (!(tree instanceof List<?> a) || a.isEmpty() || !(a.get(0) instanceof String verb)) {
            throw new Json.JsonException("not a relay message");
        }
        switch (verb) {
            case "EVENT":
                if (a.size() == 3 && a.get(1) instanceof String sub) {
                    try {
                        return new EventMatch(sub, Event.fromJson(a.get(2)).toJson());
                    } catch (InvalidEventException e) {
                        throw new Json.JsonException("EVENT carries a malformed event: " + e.getMessage());
                    }
                }
                break;
            case "OK":
                if (a.size() == 4 && a.get(1) instanceof String id && a.get(2) instanceof Boolean ok
                        && a.get(3) instanceof String msg) {
                    return new Ok(id, ok, msg);
                }
                break;
            case "EOSE":
                if (a.size() == 2 && a.get(1) instanceof String sub) {
                    return new Eose(sub);
                }
                break;
            case "CLOSED":
                if (a.size() == 3 && a.get(1) instanceof String sub && a.get(2) instanceof String msg) {
                    return new Closed(sub, msg);
                }
                break;
            case "NOTICE":
                if (a.size() == 2 && a.get(1) instanceof String msg) {
                    return new Notice(msg);
                }
                break;
            case "AUTH":
                if (a.size() == 2 && a.get(1) instanceof String challenge) {
                    return new AuthChallenge(challenge);
                }
                break;
            case "COUNT":
                if (a.size() == 3 && a.get(1) instanceof String sub && a.get(2) instanceof Map<?, ?> body
                        && body.get("count") instanceof Json.JsonNumber n && n.longValueOrNull() != null) {
                    return new CountResult(sub, n.longValueOrNull(), Boolean.TRUE.equals(body.get("approximate")),
                            body.get("hll") instanceof String hll ? hll : null);
                }
                break;
            default:
                break;
        }
        throw new Json.JsonException("malformed " + verb + " message");
    }
}
