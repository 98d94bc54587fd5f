package dev.strata.ingest;

import java.util.List;

import dev.strata.model.Event;
import dev.strata.model.Expiration;
import dev.strata.model.ProofOfWork;
import dev.strata.model.ProtectedEvents;
import dev.strata.model.RelayUrl;
import io.vertx.core.json.JsonObject;

/**
 * The relay's rules for what it accepts beyond NIP-01 validity: size bounds, the created_at window, the NIP-13
 * proof of work, NIP-70's reposts, NIP-40 expirations and the shape of NIP-09 and NIP-62 requests. Cheap checks
 * only: they run on the event loop before any signature work, and refusing never has an effect (a request acts only
 * once stored, after its signature was checked). Rules that depend on who the client authenticated as are the
 * gateway's (it alone knows).
 *
 * @param maxEventTags        tags per event
 * @param maxContentLength    content length in Unicode code points (NIP-11 max_content_length)
 * @param createdAtPastLimit  seconds before now an event may be dated; 0 accepts any age
 * @param createdAtFutureLimit seconds after now an event may be dated
 * @param minPowDifficulty    NIP-13 leading zero bits of the id; 0 requires none
 * @param relay               this relay's URL, which a NIP-62 request must name (or ALL_RELAYS)
 */
record EventPolicy(int maxEventTags, int maxContentLength, long createdAtPastLimit, long createdAtFutureLimit,
                   int minPowDifficulty, RelayUrl relay) {
    static final int DELETION = 5;
    static final int VANISH = 62;

    static EventPolicy from(JsonObject c) {
        String url = c.getString("relay.url");
        return new EventPolicy(c.getInteger("limits.max_event_tags"), c.getInteger("limits.max_content_length"),
                c.getLong("limits.created_at_past_seconds"), c.getLong("limits.created_at_future_seconds"),
                c.getInteger("limits.min_pow_difficulty"),
                RelayUrl.parse(url.isEmpty() ? "ws://localhost:" + c.getInteger("server.port") + "/" : url));
    }

    /** Why the event is refused ("prefix: reason"), or null when it passes. */
    String refusal(Event e, long nowSeconds) {
        if (e.tags().size() > maxEventTags) {
            return "invalid: more than " + maxEventTags + " tags";
        }
        String content = e.content();
        // Code points, as NIP-11 counts; the char length bounds it from above, so count only when it could matter.
        if (content.length() > maxContentLength
                && content.codePointCount(0, content.length()) > maxContentLength) {
            return "invalid: content longer than " + maxContentLength + " characters";
        }
        if (e.createdAt() > nowSeconds + createdAtFutureLimit) {
            return "invalid: created_at is more than " + createdAtFutureLimit + " seconds in the future";
        }
        if (createdAtPastLimit > 0 && e.createdAt() < nowSeconds - createdAtPastLimit) {
            return "invalid: created_at is more than " + createdAtPastLimit + " seconds in the past";
        }
        if (minPowDifficulty > 0) {
            // On the claimed id: a false one is refused by the id check that follows, whatever its difficulty.
            String pow = ProofOfWork.refusal(e, minPowDifficulty);
            if (pow != null) {
                return pow;
            }
        }
        if (ProtectedEvents.embedsProtectedEvent(e)) {
            // NIP-70: reposts of a protected event must not carry it; the author alone may publish it.
            return "blocked: a repost must not embed a protected event";
        }
        if (e.kind() == 22242) {
            return "invalid: kind 22242 events are for AUTH only and are never stored"; // NIP-42
        }
        if (Expiration.isMalformed(e)) {
            return "invalid: the expiration tag must be a Unix time in seconds";
        }
        if (Expiration.isExpired(e, nowSeconds)) {
            return "invalid: this event has expired"; // NIP-40: relays drop events that arrive expired
        }
        if (e.kind() == DELETION && !hasTag(e, "e") && !hasTag(e, "a")) {
            return "invalid: a deletion request must name an event in an e or a tag";
        }
        if (e.kind() == VANISH) {
            return vanishRefusal(e);
        }
        return null;
    }

    /** NIP-62: at least one relay tag, and one of them this relay's URL or ALL_RELAYS. */
    private String vanishRefusal(Event e) {
        boolean anyRelay = false;
        for (List<String> tag : e.tags()) {
            if (tag.size() > 1 && tag.get(0).equals("relay")) {
                if (tag.get(1).equals("ALL_RELAYS") || relay.matches(tag.get(1))) {
                    return null;
                }
                anyRelay = true;
            }
        }
        return anyRelay ? "blocked: this request to vanish is for other relays"
                : "invalid: a request to vanish must name a relay in a relay tag";
    }

    private static boolean hasTag(Event e, String name) {
        for (List<String> tag : e.tags()) {
            if (tag.size() > 1 && tag.get(0).equals(name)) {
                return true;
            }
        }
        return false;
    }
}
