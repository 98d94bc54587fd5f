package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class ExpirationTest {
    private static Event withTags(List<List<String>> tags) {
        return new Event("00".repeat(32), "11".repeat(32), 1000, 1, tags, "", "22".repeat(64));
    }

    private static Event expiring(String value) {
        return withTags(List.of(List.of("t", "x"), List.of("expiration", value)));
    }

    @Test
    void theFirstExpirationTagCounts() {
        assertEquals(OptionalLong.of(1600000000L), Expiration.of(expiring("1600000000")));
        Event twice = withTags(List.of(List.of("expiration", "5"), List.of("expiration", "9")));
        assertEquals(OptionalLong.of(5), Expiration.of(twice));
        assertEquals(OptionalLong.empty(), Expiration.of(withTags(List.of(List.of("t", "expiration")))));
        assertFalse(Expiration.isMalformed(withTags(List.of())));
    }

    @Test
    void anEventIsExpiredFromItsExpirationSecondOn() {
        Event e = expiring("2000");
        assertFalse(Expiration.isExpired(e, 1999));
        assertTrue(Expiration.isExpired(e, 2000));
        assertTrue(Expiration.isExpired(e, 2001));
        assertFalse(Expiration.isExpired(withTags(List.of()), Long.MAX_VALUE));
    }

    @Test
    void valuesThatAreNotPlainDecimalSecondsAreMalformed() {
        for (String bad : List.of("", "-5", "+5", " 5", "5.0", "1e9", "0x10", "9999999999999999999", "soon")) {
            Event e = expiring(bad);
            assertTrue(Expiration.isMalformed(e), bad);
            assertEquals(OptionalLong.empty(), Expiration.of(e), bad);
            assertFalse(Expiration.isExpired(e, Long.MAX_VALUE), bad);
        }
        assertTrue(Expiration.isMalformed(withTags(List.of(List.of("expiration")))));
        assertFalse(Expiration.isMalformed(expiring("0")));
        assertEquals(OptionalLong.of(999_999_999_999_999_999L), Expiration.of(expiring("999999999999999999")));
    }
}
