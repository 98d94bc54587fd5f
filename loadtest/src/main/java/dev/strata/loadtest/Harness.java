package dev.strata.loadtest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;

/**
 * The client side of a run: one Vert.x instance, its event loops, and WebSocket clients to the target (and, for a
 * cluster, the further gateways that connections are spread over).
 */
final class Harness implements AutoCloseable {
    /** Relays send events up to their max_message_length (Strata: 1 MiB by default); leave ample room. */
    private static final int MAX_MESSAGE_BYTES = 16 << 20;

    final Vertx vertx;
    final EventLoops loops;
    final Target target;
    /** The target first, then each --spread-urls gateway: connection i goes to gateway i modulo their number. */
    private final List<Target> gateways;
    private final Map<String, WebSocketClient> clients = new HashMap<>();

    /** Whether connections offer permessage-deflate (RFC 7692), as browsers do. */
    private final boolean deflate;

    Harness(Target target, List<Target> spread, int eventLoops, boolean deflate) {
        this.target = target;
        this.deflate = deflate;
        this.gateways = new java.util.ArrayList<>(List.of(target));
        this.gateways.addAll(spread);
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
        this.loops = EventLoops.deploy(vertx, eventLoops);
    }

    /** Where connection {@code i} of a scenario's many goes (its publisher or reader connections, subscribers). */
    Target gateway(int i) {
        return gateways.get(Math.floorMod(i, gateways.size()));
    }

    /** The client for connections from the system's choice of local address. */
    WebSocketClient client() {
        return client(null);
    }

    /** The client whose connections leave from {@code localAddress} (e.g. 127.0.0.2), to spread source ports. */
    synchronized WebSocketClient client(String localAddress) {
        return clients.computeIfAbsent(localAddress == null ? "" : localAddress, a -> {
            WebSocketClientOptions options = new WebSocketClientOptions()
                    .setMaxFrameSize(MAX_MESSAGE_BYTES)
                    .setMaxMessageSize(MAX_MESSAGE_BYTES)
                    // Vert.x queues connections past this per endpoint; the harness bounds them itself.
                    .setMaxConnections(1_000_000)
                    .setConnectTimeout(20_000)
                    .setTryUsePerMessageCompression(deflate);
            if (!a.isEmpty()) {
                options.setLocalAddress(a);
            }
            return vertx.createWebSocketClient(options);
        });
    }

    @Override
    public void close() {
        Main.await(vertx.close(), 30, "closing the client");
    }
}
