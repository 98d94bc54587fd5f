package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** permessage-deflate (RFC 7692): offered by default, used for the clients that ask for it, never for others. */
class CompressionTest extends OverTheWire {
    private static final int AUTHOR = 61;

    @BeforeAll
    static void startRelay() throws Exception {
        start(TestRelay.Engine.LMDB, Map.of());
    }

    /** Reads the next text frame (skipping pings) and says whether it came compressed. */
    private static RelayClient.Frame nextText(RelayClient.Raw ws) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RelayClient.WAIT_SECONDS);
        while (true) {
            RelayClient.Frame f = ws.readFrame(deadline);
            if (f.opcode() == RelayClient.Raw.TEXT) {
                return f;
            }
        }
    }

    @Test
    void aClientThatAsksForDeflateGetsEveryMessageCompressed() throws Exception {
        try (RelayClient.Raw ws = RelayClient.Raw.open(relay.port(), 0, "permessage-deflate");
             RelayClient publisher = connect()) {
            assertTrue(ws.upgradeResponse.toLowerCase(Locale.ROOT)
                    .contains("sec-websocket-extensions: permessage-deflate"), ws.upgradeResponse);
            ws.sendText("[\"REQ\",\"z\",{\"#t\":[\"squeeze\"]}]");
            RelayClient.Frame eose = nextText(ws);
            assertTrue(eose.compressed(), "EOSE compressed");
            assertEquals(new RelayMessage.Eose("z"), RelayMessage.parse(eose.text()));
            // Several live events, each inflated with the context the ones before left (the client keeps it); the
            // last one barely compresses, so its frame is larger than 64 KiB even compressed.
            Random random = new Random(7);
            byte[] noise = new byte[72_000]; // 96,000 characters: under the content limit
            random.nextBytes(noise);
            List<String> contents = List.of("squeeze me 0" + "z".repeat(500), "squeeze me 1" + "z".repeat(500),
                    Base64.getEncoder().encodeToString(noise));
            for (String content : contents) {
                Event e = event(AUTHOR, now(), 1, List.of(List.of("t", "squeeze")), content);
                publisher.publishAccepted(e);
                RelayClient.Frame live = nextText(ws);
                assertTrue(live.compressed(), "live event compressed");
                assertTrue(live.payload().length > content.length(), "inflated to the whole message");
                assertEquals(new RelayMessage.EventMatch("z", e.toJson()), RelayMessage.parse(live.text()));
            }
        }
    }

    @Test
    void aClientThatDoesNotAskGetsPlainFrames() throws Exception {
        try (RelayClient.Raw ws = RelayClient.Raw.open(relay.port(), 0, null);
             RelayClient publisher = connect()) {
            assertFalse(ws.upgradeResponse.toLowerCase(Locale.ROOT).contains("sec-websocket-extensions"),
                    ws.upgradeResponse);
            ws.sendText("[\"REQ\",\"p\",{\"#t\":[\"plain\"]}]");
            RelayClient.Frame eose = nextText(ws);
            assertFalse(eose.compressed());
            assertEquals(new RelayMessage.Eose("p"), RelayMessage.parse(eose.text()));
            Event e = event(AUTHOR, now(), 1, List.of(List.of("t", "plain")), "as it is " + "p".repeat(70_000));
            publisher.publishAccepted(e);
            RelayClient.Frame live = nextText(ws);
            assertFalse(live.compressed());
            assertEquals(new RelayMessage.EventMatch("p", e.toJson()), RelayMessage.parse(live.text()));
        }
    }
}
