package dev.strata.ingest;

import dev.strata.model.Event;
import dev.strata.model.ProofOfWork;
import dev.strata.model.ProtectedEvents;
import io.vertx.core.json.JsonObject;

/**
 * The relay's rules for what it accepts beyond NIP-01 validity: size bounds, the created_at window, the NIP-13
 * proof of work and NIP-70's reposts. Cheap checks only: they run on the event loop before any signature work. Rules
 * that depend on who the client authenticated as are the gateway's (it alone knows).
 *
 * @param maxEventTags        tags per event
 * @param maxContentLength    content length in Unicode code points (NIP-11 max_content_length)
 * @param createdAtPastLimit  seconds before now an event may be dated; 0 accepts any age
 * @param createdAtFutureLimit seconds after now an event may be dated
 * @param minPowDifficulty    NIP-13 leading zero bits of the id; 0 requires none
 */
record EventPolicy(int maxEventTags, int maxContentLength, long createdAtPastLimit, long createdAtFutureLimit,
                   int minPowDifficulty) {

    static EventPolicy from(JsonObject c) {
        return new EventPolicy(c.getInteger("limits.max_event_tags"), c.getInteger("limits.max_content_length"),
                c.getLong("limits.created_at_past_seconds"), c.getLong("limits.created_at_future_seconds"),
                c.getInteger("limits.min_pow_difficulty"));
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
        return null;
    }
}
