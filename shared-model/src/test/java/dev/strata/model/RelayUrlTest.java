package dev.strata.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class RelayUrlTest {
    @Test
    void schemeHostCaseDefaultPortsAndTrailingSlashesDoNotMatter() {
        RelayUrl relay = RelayUrl.parse("wss://relay.example.com/");
        for (String same : List.of("wss://relay.example.com/", "wss://relay.example.com", "ws://relay.example.com",
                "WSS://Relay.Example.COM/", "wss://relay.example.com:443/", "ws://relay.example.com:80",
                " wss://relay.example.com// ", "wss://relay.example.com/?x=1", "wss://user@relay.example.com/")) {
            assertTrue(relay.matches(same), same);
        }
    }

    @Test
    void anotherHostPortOrPathIsAnotherRelay() {
        RelayUrl relay = RelayUrl.parse("ws://localhost:7777/");
        for (String other : List.of("ws://localhost/", "ws://localhost:7778/", "ws://127.0.0.1:7777/",
                "ws://localhost:7777/nostr", "https://localhost:7777/", "localhost:7777", "ALL_RELAYS", "",
                "ws://", "ws://local host:7777/")) {
            assertFalse(relay.matches(other), other);
        }
        RelayUrl withPath = RelayUrl.parse("wss://example.com/nostr/");
        assertTrue(withPath.matches("wss://example.com/nostr"));
        assertFalse(withPath.matches("wss://example.com/Nostr"));
        assertFalse(withPath.matches("wss://example.com/"));
    }

    @Test
    void onlyWebSocketUrlsParse() {
        for (String bad : List.of("http://relay.example.com/", "relay.example.com", "wss:///path", "wss://%zz/", "")) {
            assertNull(RelayUrl.parse(bad), bad);
        }
    }
}
