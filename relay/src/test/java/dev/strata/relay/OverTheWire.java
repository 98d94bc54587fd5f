package dev.strata.relay;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the protocol tests over a real WebSocket share: one relay per test class, on the store engine its subclass
 * names and with the settings the class needs, and one Vert.x for the class's clients.
 */
abstract class OverTheWire {
    @TempDir
    static Path dataDir;
    static TestRelay.Engine engine;
    static TestRelay relay;
    static Vertx clients;

    static void start(TestRelay.Engine e, Map<String, String> settings) throws Exception {
        engine = e;
        relay = TestRelay.start(e, dataDir, settings);
        clients = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        Http.await(clients.close());
        relay.close();
    }

    RelayClient connect() throws Exception {
        return RelayClient.connect(clients, relay.port());
    }

    static List<String> stored(String... filters) throws Exception {
        return RelayClient.stored(clients, relay.port(), filters);
    }
}
