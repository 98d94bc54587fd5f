package dev.strata.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.strata.bus.Addresses;
import dev.strata.bus.IngestReply;
import dev.strata.bus.IngestRequest;
import dev.strata.bus.QueryChunk;
import dev.strata.bus.QueryRequest;
import dev.strata.bus.SubscriptionChange;
import dev.strata.model.ClientMessage;
import dev.strata.model.Event;
import dev.strata.model.MalformedMessageException;
import dev.strata.model.RelayMessage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;

/**
 * One client's WebSocket: parses what it sends, answers protocol errors itself, forwards the rest to the tiers and
 * writes their answers back. Lives on its gateway's event loop.
 */
final class Connection {
    private static final Buffer PING = Buffer.buffer("strata");

    final long id;
    private final GatewayVerticle gateway;
    private final GatewaySettings settings;
    private final ServerWebSocket ws;
    /** NIP-01: subscription ids are scoped to the connection. */
    private final Map<String, Subscription> subscriptions = new HashMap<>(4);
    /** Stored-query chunks waiting for the socket to drain before the query may send more. */
    private final List<Message<Object>> waitingForDrain = new ArrayList<>(0);
    private int eventsInFlight;
    /** Bytes handed to the socket and not yet written out: our bound on what a slow reader can make us hold. */
    private long unwrittenBytes;
    private long lastMessageNanos = System.nanoTime();
    private boolean awaitingPong;
    private boolean closed;

    Connection(GatewayVerticle gateway, long id, ServerWebSocket ws) {
        this.gateway = gateway;
        this.settings = gateway.settings();
        this.id = id;
        this.ws = ws;
        // Stored results pause at half the budget; live events find the other half before the client is dropped.
        ws.setWriteQueueMaxSize(settings.maxWriteQueueBytes() / 2);
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> write(new RelayMessage.Notice("invalid: binary messages are not supported")));
        ws.pongHandler(b -> awaitingPong = false);
        ws.drainHandler(v -> drained());
    }

    private void onText(String text) {
        lastMessageNanos = System.nanoTime();
        ClientMessage message;
        try {
            message = ClientMessage.parse(text, settings.filterLimits());
        } catch (MalformedMessageException e) {
            write(e.reply());
            return;
        }
        if (utf8Length(text) > settings.maxMessageLength()) {
            refuseTooLarge(message);
            return;
        }
        if (message instanceof ClientMessage.Publish p) {
            publish(p.event());
        } else if (message instanceof ClientMessage.Req r) {
            subscribe(r);
        } else if (message instanceof ClientMessage.Close c) {
            Subscription sub = subscriptions.get(c.subscriptionId());
            if (sub != null) {
                end(sub);
            }
        } else if (message instanceof ClientMessage.Auth a) {
            // NIP-42: every AUTH gets an OK.
            write(new RelayMessage.Ok(a.event().id(), false, "restricted: this relay does not support AUTH"));
        } else if (message instanceof ClientMessage.Count c) {
            // NIP-45: a refused COUNT gets CLOSED.
            write(new RelayMessage.Closed(c.subscriptionId(), "unsupported: COUNT is not supported"));
        }
    }

    private int utf8Length(String text) {
        // Most messages are far below the limit even at 3 bytes a char; only count when it could matter.
        if ((long) text.length() * 3 <= settings.maxMessageLength()) {
            return text.length();
        }
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private void refuseTooLarge(ClientMessage message) {
        String reason = "invalid: message is larger than " + settings.maxMessageLength() + " bytes";
        if (message instanceof ClientMessage.Publish p) {
            write(new RelayMessage.Ok(p.event().id(), false, reason));
        } else if (message instanceof ClientMessage.Req r) {
            write(new RelayMessage.Closed(r.subscriptionId(), reason));
        } else {
            write(new RelayMessage.Notice(reason));
        }
    }

    private void publish(Event event) {
        if (eventsInFlight >= settings.maxEventsInFlight()) {
            write(new RelayMessage.Ok(event.id(), false, "rate-limited: more than " + settings.maxEventsInFlight()
                    + " events awaiting OK on this connection"));
            return;
        }
        eventsInFlight++;
        gateway.<IngestReply>request(Addresses.INGEST, new IngestRequest(event)).onComplete(ar -> {
            eventsInFlight--;
            if (ar.succeeded()) {
                IngestReply reply = ar.result().body();
                write(new RelayMessage.Ok(event.id(), reply.accepted(), reply.message()));
            } else {
                // Never a false OK: the client may resend, and a resend is idempotent.
                write(new RelayMessage.Ok(event.id(), false, "error: the event could not be processed, try again"));
            }
        });
    }

    private void subscribe(ClientMessage.Req req) {
        Subscription old = subscriptions.get(req.subscriptionId());
        if (old != null) {
            end(old); // NIP-01: a REQ with an open id replaces it
        } else if (subscriptions.size() >= settings.maxSubscriptions()) {
            write(new RelayMessage.Closed(req.subscriptionId(), "rate-limited: at most "
                    + settings.maxSubscriptions() + " open subscriptions per connection"));
            return;
        }
        Subscription sub = new Subscription(this, req.subscriptionId(), gateway.newSerial(), req.filters());
        subscriptions.put(sub.id, sub);
        gateway.register(sub);
        // Live first, then the stored query: nothing published in between is missed, and duplicates are dropped
        // by id until EOSE.
        gateway.request(Addresses.FANOUT_SUBSCRIPTIONS,
                new SubscriptionChange.Open(gateway.gatewayId(), id, sub.serial, sub.filters)).onComplete(ar -> {
            if (subscriptions.get(sub.id) != sub) {
                return; // closed or replaced meanwhile; end() told fanout
            }
            if (ar.succeeded()) {
                gateway.send(Addresses.QUERY, new QueryRequest(gateway.gatewayId(), sub.serial, sub.filters));
            } else {
                end(sub);
                write(new RelayMessage.Closed(sub.id, failureReason(ar.cause())));
            }
        });
    }

    private static String failureReason(Throwable cause) {
        String m = cause.getMessage();
        return m != null && m.matches("^[a-z-]+: .*") ? m : "error: live subscriptions are unavailable, try again";
    }

    /** Ends a subscription on the relay's side; its stored query stops at its next chunk. */
    private void end(Subscription sub) {
        subscriptions.remove(sub.id, sub);
        gateway.unregister(sub);
        gateway.send(Addresses.FANOUT_SUBSCRIPTIONS,
                new SubscriptionChange.Close(gateway.gatewayId(), id, sub.serial));
    }

    void deliverLive(Subscription sub, String eventId, String eventJson) {
        if (closed || !sub.firstSending(eventId)) {
            return;
        }
        if (unwrittenBytes > settings.maxWriteQueueBytes()) {
            // A client that does not read is dropped; it must never grow our heap.
            close((short) 1008, "slow consumer: not reading fast enough");
            return;
        }
        write(new RelayMessage.EventMatch(sub.id, eventJson));
    }

    void deliverStored(Subscription sub, QueryChunk chunk, Message<Object> ack) {
        if (closed) {
            ack.reply(false);
            return;
        }
        List<String> ids = chunk.ids();
        for (int i = 0; i < ids.size(); i++) {
            if (sub.firstSending(ids.get(i))) {
                write(new RelayMessage.EventMatch(sub.id, chunk.eventJsons().get(i)));
            }
        }
        if (chunk.last()) {
            if (chunk.closedReason() != null) {
                end(sub);
                write(new RelayMessage.Closed(sub.id, chunk.closedReason()));
            } else {
                sub.storedPartDone();
                write(new RelayMessage.Eose(sub.id));
            }
            ack.reply(true);
        } else if (ws.writeQueueFull()) {
            waitingForDrain.add(ack);
        } else {
            ack.reply(true);
        }
    }

    private void drained() {
        for (Message<Object> ack : waitingForDrain) {
            ack.reply(!closed);
        }
        waitingForDrain.clear();
    }

    private void write(RelayMessage message) {
        if (closed) {
            return;
        }
        String text = message.toJson();
        long size = text.length();
        unwrittenBytes += size;
        ws.writeTextMessage(text).onComplete(ar -> unwrittenBytes -= size);
    }

    void sweep(long now, long idleNanos) {
        if (awaitingPong) {
            close((short) 1001, "ping timeout");
        } else if (subscriptions.isEmpty() && eventsInFlight == 0 && now - lastMessageNanos > idleNanos) {
            close((short) 1000, "idle timeout");
        } else {
            awaitingPong = true;
            ws.writePing(PING);
        }
    }

    void close(short code, String reason) {
        if (!closed) {
            ws.close(code, reason);
        }
    }

    /** The socket is gone: drop every subscription here and at fanout. */
    void released() {
        closed = true;
        for (Subscription sub : subscriptions.values()) {
            gateway.unregister(sub);
        }
        subscriptions.clear();
        drained();
        gateway.send(Addresses.FANOUT_SUBSCRIPTIONS, new SubscriptionChange.ConnectionGone(gateway.gatewayId(), id));
    }
}
