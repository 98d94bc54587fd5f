package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** NIP-70: what counts as a protected event, and as a repost that carries one. */
class ProtectedEventsTest {
    private static final byte[] KEY = new byte[32];

    static {
        KEY[31] = 9;
    }

    private static Event event(int kind, List<List<String>> tags, String content) {
        return Event.sign(KEY, 1_700_000_000L, kind, tags, content, Bip340.best());
    }

    @Test
    void theDashTagMarksAnEventProtected() {
        assertTrue(ProtectedEvents.isProtected(event(1, List.of(List.of("t", "x"), List.of("-")), "")));
        assertTrue(ProtectedEvents.isProtected(event(1, List.of(List.of("-", "extra")), "")));
        assertFalse(ProtectedEvents.isProtected(event(1, List.of(List.of("t", "-")), "")));
        assertFalse(ProtectedEvents.isProtected(event(1, List.of(), "[\"-\"]")));
    }

    @Test
    void aRepostCarryingAProtectedEventIsRecognised() {
        Event secret = event(1, List.of(List.of("-")), "members only");
        Event open = event(1, List.of(List.of("t", "-")), "for everyone \"-\"");
        for (int kind : new int[] {6, 16}) {
            assertTrue(ProtectedEvents.embedsProtectedEvent(event(kind, List.of(), secret.toJson())));
            assertFalse(ProtectedEvents.embedsProtectedEvent(event(kind, List.of(), open.toJson())));
            assertFalse(ProtectedEvents.embedsProtectedEvent(event(kind, List.of(), "")));
            assertFalse(ProtectedEvents.embedsProtectedEvent(event(kind, List.of(), "\"-\" not json")));
        }
        // Only reposts: a note quoting the JSON is no repost.
        assertFalse(ProtectedEvents.embedsProtectedEvent(event(1, List.of(), secret.toJson())));
    }
}
