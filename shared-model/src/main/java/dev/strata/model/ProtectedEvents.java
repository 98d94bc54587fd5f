package dev.strata.model;

import java.util.List;
import java.util.Map;

/** NIP-70: an event carrying the tag {@code ["-"]} may be published only by its author. */
public final class ProtectedEvents {
    private ProtectedEvents() {
    }

    /**
     * True when the event has a tag named {@code "-"}. The NIP's tag is exactly {@code ["-"]}; one with more
     * elements is taken as protected too, since honouring an author's wish costs less than guessing it away.
     */
    public static boolean isProtected(Event e) {
        for (List<String> tag : e.tags()) {
            if (!tag.isEmpty() && tag.get(0).equals("-")) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the event is a repost (NIP-18 kind 6 or 16) whose content carries a protected event: NIP-70 says
     * such reposts must not embed it, and relays should refuse those that do. Content without a quoted dash is
     * never parsed, so ordinary reposts cost one scan.
     */
    public static boolean embedsProtectedEvent(Event e) {
        if ((e.kind() != 6 && e.kind() != 16) || !e.content().contains("\"-\"")) {
            return false;
        }
        Object embedded;
        try {
            embedded = Json.parse(e.content());
        } catch (Json.JsonException notJson) {
            return false;
        }
        if (embedded instanceof Map<?, ?> event && event.get("tags") instanceof List<?> tags) {
            for (Object tag : tags) {
                if (tag instanceof List<?> t && !t.isEmpty() && "-".equals(t.get(0))) {
                    return true;
                }
            }
        }
        return false;
    }
}
