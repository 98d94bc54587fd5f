package dev.strata.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InboundTest {
    private static final String ID = "a".repeat(64);

    @Test
    void readsOk() {
        Inbound m = Inbound.parse("[\"OK\",\"" + ID + "\",false,\"rate-limited: slow down\"]");
        assertEquals(Inbound.Verb.OK, m.verb());
        assertEquals(ID, m.eventId());
        assertFalse(m.accepted());
        assertEquals("rate-limited", Inbound.prefix(m.message()));
        assertTrue(Inbound.parse("[ \"OK\" , \"" + ID + "\" , true , \"\" ]").accepted());
    }

    @Test
    void findsTheEventIdWhateverTheFieldOrder() {
        String event = "{\"content\":\"say \\\"id\\\":\\\"x\\\" [{\",\"tags\":[[\"e\",\"{\"],[\"id\",\"]\"]],"
                + "\"kind\":1, \"id\" : \"" + ID + "\",\"sig\":\"00\"}";
        Inbound m = Inbound.parse("[\"EVENT\",\"sub \\\"1\\\"\"," + event + "]");
        assertEquals(Inbound.Verb.EVENT, m.verb());
        assertEquals("sub \"1\"", m.subscriptionId());
        assertEquals(ID, m.eventId());
    }

    @Test
    void readsTheUtf8BytesOfNonAsciiContentAndIds() {
        String event = "{\"content\":\"caf\u00e9 \u2615 \\\" \uD83E\uDD19\",\"id\":\"" + ID + "\"}";
        Inbound m = Inbound.parse("[\"EVENT\",\"s\u00e9\u2615\"," + event + "]");
        assertEquals("s\u00e9\u2615", m.subscriptionId());
        assertEquals(ID, m.eventId());
        assertEquals("\u2615 refus\u00e9", Inbound.parse("[\"NOTICE\",\"\u2615 refus\u00e9\"]").message());
    }

    @Test
    void readsEoseClosedNoticeAndRefusesGarbage() {
        assertEquals("s1", Inbound.parse("[\"EOSE\",\"s1\"]").subscriptionId());
        Inbound closed = Inbound.parse("[\"CLOSED\",\"s1\",\"blocked: too broad\"]");
        assertEquals(Inbound.Verb.CLOSED, closed.verb());
        assertEquals("blocked", Inbound.prefix(closed.message()));
        assertEquals("caf\u00e9", Inbound.parse("[\"NOTICE\",\"caf\\u00e9\"]").message());
        assertEquals(Inbound.Verb.OTHER, Inbound.parse("[\"EVENT\",\"s\",{\"kind\":1}]").verb());
        assertEquals(Inbound.Verb.OTHER, Inbound.parse("not json").verb());
        assertEquals(Inbound.Verb.OTHER, Inbound.parse("[\"AUTH\",\"challenge\"]").verb());
    }
}
