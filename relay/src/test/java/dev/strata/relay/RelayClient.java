package dev.strata.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.strata.model.Event;
import dev.strata.model.Json;
import dev.strata.model.RelayMessage;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * A real WebSocket client for end-to-end tests: what the relay sends is queued, and the test takes it with a
 * deadline (never a sleep).
 */
final class RelayClient implements AutoCloseable {
    static final long WAIT_SECONDS = 10;

    private final WebSocketClient client;
    final WebSocket ws;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Short> closedWith = new CompletableFuture<>();

    private RelayClient(WebSocketClient client, WebSocket ws) {
        this.client = client;
        this.ws = ws;
        ws.textMessageHandler(received::add);
        ws.closeHandler(v -> closedWith.complete(ws.closeStatusCode()));
    }

    static RelayClient connect(Vertx vertx, int port) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20));
        WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/"))
                .toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return new RelayClient(client, ws);
    }

    void send(String text) {
        ws.writeTextMessage(text);
    }

    /** The next message from the relay, as text. */
    String nextText() throws InterruptedException {
        String m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(m, "no message from the relay within " + WAIT_SECONDS + " s");
        return m;
    }

    RelayMessage next() throws Exception {
        String text = nextText();
        try {
            return RelayMessage.parse(text);
        } catch (Json.JsonException e) {
            throw new AssertionError("relay sent an unreadable message: " + text, e);
        }
    }

    <T extends RelayMessage> T next(Class<T> type) throws Exception {
        RelayMessage m = next();
        return assertInstanceOf(type, m, "expected " + type.getSimpleName() + ", got " + m);
    }

    /** Publishes and returns the OK for it. */
    RelayMessage.Ok publish(Event e) throws Exception {
        send("[\"EVENT\"," + e.toJson() + "]");
        RelayMessage.Ok ok = next(RelayMessage.Ok.class);
        assertEquals(e.id(), ok.eventId());
        return ok;
    }

    void publishAccepted(Event e) throws Exception {
        RelayMessage.Ok ok = publish(e);
        assertTrue(ok.accepted(), "expected OK true for " + e + ", got " + ok);
    }

    /** Sends a REQ and returns the ids of the stored events, in order, up to its EOSE. */
    List<String> req(String subId, String... filters) throws Exception {
        send("[\"REQ\"," + Json.quote(subId) + "," + String.join(",", filters) + "]");
        return storedUntilEose(subId);
    }

    List<String> storedUntilEose(String subId) throws Exception {
        List<String> ids = new ArrayList<>();
        while (true) {
            RelayMessage m = next();
            if (m instanceof RelayMessage.Eose e && e.subscriptionId().equals(subId)) {
                return ids;
            }
            if (m instanceof RelayMessage.EventMatch em && em.subscriptionId().equals(subId)) {
                ids.add(Event.parse(em.eventJson()).id());
            } else {
                fail("expected EVENT or EOSE for " + subId + ", got " + m);
            }
        }
    }

    /** Waits for the relay to close the connection and returns its close code. */
    short awaitClose() throws Exception {
        return closedWith.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    boolean nothingQueued() {
        return received.isEmpty();
    }

    @Override
    public void close() {
        ws.close();
        client.close();
    }
}
