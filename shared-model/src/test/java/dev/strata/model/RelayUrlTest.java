package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** NIP-42's lenient relay URL match, as a relay tag from a real client meets it. */
class RelayUrlTest {
    @Test
    void schemeHostCaseTrailingSlashAndDefaultPortsDoNotMatter() {
        RelayUrl url = RelayUrl.parse("wss://relay.example.com/");
        for (String same : new String[] {"wss://relay.example.com/", "wss://relay.example.com",
                "ws://relay.example.com/", "WSS://Relay.Example.COM", "wss://relay.example.com:443/",
                "ws://relay.example.com:80", "wss://relay.example.com//", "wss://relay.example.com/?x=1"}) {
            assertTrue(url.matches(same), same);
        }
        for (String other : new String[] {"wss://other.example.com/", "wss://relay.example.com.evil/",
                "wss://relay.example.com/inbox", "https://relay.example.com/", "relay.example.com", "", "wss://",
                "wss://relay.example.com:bad/", "not a url"}) {
            assertFalse(url.matches(other), other);
        }
    }

    @Test
    void portsAreComparedOnlyWhenBothNameOne() {
        RelayUrl url = RelayUrl.parse("ws://localhost:7777/");
        assertTrue(url.matches("ws://localhost:7777"));
        assertTrue(url.matches("ws://localhost/"));
        assertFalse(url.matches("ws://localhost:7778/"));
        assertTrue(RelayUrl.parse("wss://relay.example.com/").matches("wss://relay.example.com:8443/"));
    }

    @Test
    void pathsAreComparedWithoutTheirTrailingSlash() {
        RelayUrl url = RelayUrl.parse("wss://example.com/nostr/");
        assertTrue(url.matches("wss://example.com/nostr"));
        assertFalse(url.matches("wss://example.com/"));
        assertFalse(url.matches("wss://example.com/Nostr"));
    }

    @Test
    void onlyWebSocketUrlsWithAHostParse() {
        assertNull(RelayUrl.parse("https://relay.example.com/"));
        assertNull(RelayUrl.parse("wss:///path"));
        assertNull(RelayUrl.parse("wss://exa mple.com/"));
        assertEquals("ws://localhost:7001/", RelayUrl.orDefault("", 7001).toString());
        assertTrue(RelayUrl.orDefault("", 7001).matches("ws://LOCALHOST:7001"));
        assertThrows(IllegalArgumentException.class, () -> RelayUrl.orDefault("http://x/", 7001));
    }
}
