package dev.strata.loadtest;

import java.util.function.Consumer;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;

/**
 * One WebSocket to the relay, bound to one context: messages reach the handler on that context's event loop, in
 * order. Vert.x answers the relay's pings by itself.
 */
final class RelaySocket {
    final Context context;
    private final WebSocket ws;
    private final Promise<Void> closed = Promise.promise();
    private boolean closing;
    /** The frames so far of a text message that came in several. */
    private Buffer fragments;

    private RelaySocket(Context context, WebSocket ws, Consumer<Inbound> handler) {
        this.context = context;
        this.ws = ws;
        // Frames rather than text messages: Inbound reads the UTF-8 bytes, and a whole String per event would
        // make the client, not the relay, the bottleneck. A message split over frames is put together here.
        ws.frameHandler(frame -> {
            if (frame.isText() && frame.isFinal()) {
                handler.accept(Inbound.parse(frame.binaryData()));
            } else if (frame.isText()) {
                fragments = frame.binaryData().copy();
            } else if (frame.isContinuation() && fragments != null) {
                fragments.appendBuffer(frame.binaryData());
                if (frame.isFinal()) {
                    Buffer message = fragments;
                    fragments = null;
                    handler.accept(Inbound.parse(message));
                }
            }
        });
        ws.closeHandler(v -> closed.tryComplete());
        ws.exceptionHandler(e -> {
            // A reset connection ends with its close handler; nothing else to do here.
        });
    }

    /** Connects on {@code context}; the handler is installed before any message can arrive. */
    static Future<RelaySocket> connect(WebSocketClient client, Target target, Context context,
                                       Consumer<Inbound> handler) {
        Promise<RelaySocket> opened = Promise.promise();
        context.runOnContext(v -> client.connect(target.connectOptions()).onComplete(ar -> {
            if (ar.succeeded()) {
                opened.complete(new RelaySocket(context, ar.result(), handler));
            } else {
                opened.fail(ar.cause());
            }
        }));
        return opened.future();
    }

    void send(String text) {
        ws.writeTextMessage(text);
    }

    /** Closes from our side (1000); completes when the socket is closed. */
    Future<Void> close() {
        closing = true;
        if (!ws.isClosed()) {
            ws.close();
        }
        return closed.future();
    }

    /** Completes when the socket closes, from either side. */
    Future<Void> closed() {
        return closed.future();
    }

    /** True when the relay (or the network) closed the socket before we asked to. */
    boolean closedByRelay() {
        return closed.future().isComplete() && !closing;
    }

    /** "1001 relay shutting down", or "no close frame" for a dropped connection. */
    String closeDescription() {
        Short code = ws.closeStatusCode();
        if (code == null) {
            return "no close frame";
        }
        String reason = ws.closeReason();
        return code + (reason == null || reason.isEmpty() ? "" : " " + reason);
    }
}
