package dev.strata.store.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Start-up refuses a configuration it cannot run with, naming what is wrong, and never logs a password. */
class PgConfigTest {
    private static final String URL = "postgresql://relay:s3cret@db.example:5432/nostr";

    @Test
    void defaultsAreValid() {
        PgConfig config = PgConfig.defaults(URL);
        assertEquals(PgConfig.DEFAULT_SCHEMA, config.schema());
        assertEquals(null, config.replicaUrl());
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        Duration timeout = Duration.ofSeconds(1);
        assertMessage("url", () -> new PgConfig("jdbc:postgresql://x/y", 1, timeout, 0, "s", null));
        assertMessage("replicaUrl", () -> new PgConfig(URL, 1, timeout, 0, "s", "mysql://x"));
        assertMessage("poolSize", () -> new PgConfig(URL, 0, timeout, 0, "s", null));
        assertMessage("statementTimeout", () -> new PgConfig(URL, 1, Duration.ZERO, 0, "s", null));
        assertMessage("maxWaiting", () -> new PgConfig(URL, 1, timeout, -1, "s", null));
        assertMessage("schema", () -> new PgConfig(URL, 1, timeout, 0, "Strata", null));
        assertMessage("schema", () -> new PgConfig(URL, 1, timeout, 0, "x; DROP TABLE y", null));
        assertMessage("schema", () -> new PgConfig(URL, 1, timeout, 0, "1st", null));
    }

    @Test
    void passwordsStayOutOfTheText() {
        String text = new PgConfig(URL, 1, Duration.ofSeconds(1), 0, "s", "postgres://ro:other@replica/nostr")
                .toString();
        assertFalse(text.contains("s3cret") || text.contains("other"), text);
        assertTrue(text.contains("postgresql://relay:***@db.example:5432/nostr"), text);
        assertEquals("postgresql://postgres@127.0.0.1:5432/test",
                PgConfig.redact("postgresql://postgres@127.0.0.1:5432/test"));
    }

    private static void assertMessage(String name, org.junit.jupiter.api.function.Executable make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make);
        assertTrue(e.getMessage().startsWith(name + " "), e.getMessage());
    }
}
