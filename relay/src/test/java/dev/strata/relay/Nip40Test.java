package dev.strata.relay;

import static dev.strata.relay.TestRelay.event;
import static dev.strata.relay.TestRelay.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import dev.strata.model.Event;
import dev.strata.model.RelayMessage;
import dev.strata.store.EventStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NIP-40 expiration over a real WebSocket against the real relay: refused when it arrives expired, served until it
 * expires and never after, stored or live, and purged in the background. One subclass per store engine.
 */
abstract class Nip40Test extends OverTheWire {
    static final int AUTHOR = 120;

    static void startOn(TestRelay.Engine e) throws Exception {
        // This relay never purges while the tests run, so every purge reported is the purge test's own relay's.
        start(e, Map.of("store.expiry_purge_interval_seconds", "86400"));
    }

    static List<String> expiration(long at) {
        return List.of("expiration", Long.toString(at));
    }

    static String ids(Event e) {
        return "{\"ids\":[\"" + e.id() + "\"]}";
    }

    static void assertInvalid(RelayMessage.Ok ok) {
        assertFalse(ok.accepted(), ok.toString());
        assertTrue(ok.message().startsWith("invalid:"), ok.message());
    }

    @Test
    void anEventThatArrivesExpiredIsRefusedAndReachesNoSubscriber() throws Exception {
        try (RelayClient sub = connect(); RelayClient pub = connect()) {
            assertEquals(List.of(), sub.req("live", "{\"#t\":[\"nip40-live\"]}"));
            Event expired = event(AUTHOR, now() - 60, 1, List.of(List.of("t", "nip40-live"), expiration(now() - 1)),
                    "too late");
            assertInvalid(pub.publish(expired));
            Event probe = event(AUTHOR, now(), 1, List.of(List.of("t", "nip40-live")), "probe");
            pub.publishAccepted(probe);
            assertEquals(probe.id(), Event.parse(sub.next(RelayMessage.EventMatch.class).eventJson()).id(),
                    "the expired event never went out");
            assertEquals(List.of(), RelayClient.stored(clients, relay.port(), ids(expired)));
        }
    }

    @Test
    void aMalformedExpirationIsRefusedAsInvalid() throws Exception {
        try (RelayClient c = connect()) {
            for (List<String> tag : List.of(List.of("expiration", "soon"), List.of("expiration", "-1"),
                    List.of("expiration", ""), List.of("expiration"))) {
                assertInvalid(c.publish(event(AUTHOR, now(), 1, List.of(tag), "malformed " + tag)));
            }
        }
    }

    @Test
    void anEventIsServedUntilItExpiresAndNeverAfter() throws Exception {
        long expiresAt = now() + 5;
        Event soon = event(AUTHOR, now(), 1, List.of(expiration(expiresAt)), "soon gone");
        try (RelayClient c = connect()) {
            c.publishAccepted(soon);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<String> found = RelayClient.stored(clients, relay.port(), ids(soon));
            if (found.isEmpty()) {
                break;
            }
            assertEquals(List.of(soon.id()), found);
            assertTrue(System.nanoTime() < deadline, "still served long after its expiration");
            Thread.sleep(100); // polling for the expiration, with the deadline above
        }
        assertTrue(now() >= expiresAt, "hidden only once expired");
        assertEquals(0, RelayClient.count(clients, relay.port(), ids(soon)), "nor counted (NIP-45)");
        try (RelayClient c = connect()) {
            assertInvalid(c.publish(soon));
        }
    }

    @Test
    void expiredEventsArePurgedInTheBackground(@TempDir Path ownDir) throws Exception {
        BlockingQueue<String> purges = new LinkedBlockingQueue<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage().startsWith("purged ")) {
                    purges.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger ingestLog = Logger.getLogger("dev.strata.ingest.IngestVerticle");
        ingestLog.addHandler(handler);
        String schema = TestRelay.newSchema();
        TestRelay own = TestRelay.start(engine, ownDir, Map.of("store.pg_schema", schema,
                "store.expiry_purge_interval_seconds", "1"));
        try {
            // Far enough ahead to be accepted on a busy machine, near enough to be purged soon after.
            Event soon = event(AUTHOR, now(), 1, List.of(expiration(now() + 5)), "purged soon");
            try (RelayClient c = RelayClient.connect(clients, own.port())) {
                c.publishAccepted(soon);
            }
            String purged = purges.poll(30, TimeUnit.SECONDS);
            assertNotNull(purged, "no purge reported within 30 s");
            assertEquals("purged 1 expired events (NIP-40)", purged);
        } finally {
            ingestLog.removeHandler(handler);
            own.stop();
        }
        // What the relay left on disk: nothing expired is left to purge.
        try (EventStore store = own.openStoppedStore(clients)) {
            assertEquals(0, store.purge(100).toCompletableFuture().get(30, TimeUnit.SECONDS));
        } finally {
            if (engine == TestRelay.Engine.POSTGRESQL) {
                TestRelay.dropSchema(schema);
            }
        }
    }
}
