package dev.strata.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.bus.CountReply;
import dev.strata.bus.CountRequest;
import dev.strata.bus.IngestReply;
import dev.strata.bus.QueryChunk;
import dev.strata.model.ClientMessage;
import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.MalformedMessageException;
import dev.strata.model.PrivateKinds;
import dev.strata.model.RelayMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * One client's WebSocket: parses what it sends, answers protocol errors itself, forwards the rest to the tiers and
 * writes their answers back. Lives on its gateway's event loop.
 */
final class Connection {
    private static final Buffer PING = Buffer.buffer("strata");
    /** Messages written with one system call at most, so a long burst still streams out as it is made. */
    private static final int FLUSHES_PER_WRITE = 64;
    private static final short GOING_AWAY = 1001;
    private static final String SHUTTING_DOWN = "relay shutting down";

    final long id;
    private final GatewayVerticle gateway;
    private final GatewaySettings settings;
    private final ServerWebSocket ws;
    /**
     * The socket's place in Netty's pipeline: our frames are written here, straight to the WebSocket encoder, and
     * not through Vert.x's write queue, which would cost a queued task, a promise and its listener per frame.
     */
    private final ChannelHandlerContext channel;
    private final TextFrames frames;
    /** NIP-01: subscription ids are scoped to the connection. */
    private final Map<String, Subscription> subscriptions = new HashMap<>(4);
    /** Stored-query chunks waiting for the socket to drain before the query may send more. */
    private final List<Message<Object>> waitingForDrain = new ArrayList<>(0);
    /** Bytes of stored events handed to the socket and not yet written out: paced by drain, not a slow reader. */
    private long storedUnwritten;
    private int eventsInFlight;
    private int countsInFlight;
    private long lastMessageNanos = System.nanoTime();
    private boolean awaitingPong;
    /** The message being received, when it comes in several frames; null between messages. */
    private Buffer fragments;
    private boolean fragmentsAreText;
    private long messageBytes;
    /** We have started closing, or the socket is gone: nothing more is read or sent. */
    private boolean closing;
    /** Set by a SIGTERM drain: completed once the socket is gone. */
    private Promise<Void> drained;
    /** NIP-42: who this connection has proven to be. */
    private final Authentication auth = new Authentication();
    /** In a cluster, the fanout node this connection's new subscriptions go to (see {@link ClusterTiers}). */
    String fanoutNode;

    Connection(GatewayVerticle gateway, long id, ServerWebSocket ws) {
        this.gateway = gateway;
        this.settings = gateway.settings();
        this.id = id;
        this.ws = ws;
        // Stored results pause at half the budget; live events find the other half before the client is dropped.
        ws.setWriteQueueMaxSize(settings.maxWriteQueueBytes() / 2);
        // Frames rather than Vert.x's text messages: those are decoded with replacement characters (never the
        // client's bytes refused) and a fragmented one past the size limit is dropped without a word.
        ws.frameHandler(this::onFrame);
        ws.pongHandler(b -> awaitingPong = false);
        channel = ((WebSocketInternal) ws).channelHandlerContext();
        frames = new TextFrames(channel.pipeline(), gateway.deflater());
        // Every flush would be a write system call of its own (each OK, each live event). Flushes are instead
        // gathered until the loop has run what it has queued (the replies of one ingest batch, the deliveries of
        // one fanout burst) and sent together.
        channel.pipeline().addFirst(new FlushConsolidationHandler(FLUSHES_PER_WRITE, true));
        // Our frames bypass Vert.x's queue, so its drain handler does not see them: the stored part of a query
        // resumes when Netty says the socket can take more. Vert.x is told too, for its own pings and closes.
        channel.pipeline().addBefore(channel.name(), "strata-writability", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) {
                    drained();
                }
                ctx.fireChannelWritabilityChanged();
            }
        });
        if (settings.access().challengeOnConnect()) {
            sendChallenge();
        }
    }

    private void onFrame(WebSocketFrame frame) {
        if (closing || !(frame.isText() || frame.isBinary() || frame.isContinuation())) {
            return; // pings, pongs and closes are answered by Vert.x
        }
        Buffer data = frame.binaryData();
        if (!frame.isContinuation()) {
            fragmentsAreText = frame.isText();
            fragments = null;
            messageBytes = 0;
        }
        messageBytes += data.length();
        if (messageBytes > 2L * settings.maxMessageLength()) {
            // Twice the limit is the hard stop (the server's frame limit catches single frames the same way).
            fragments = null;
            close((short) 1009, "message too big");
            return;
        }
        if (!frame.isFinal()) {
            if (fragmentsAreText) {
                fragments = fragments == null ? data.copy() : fragments.appendBuffer(data);
            }
            return;
        }
        if (!fragmentsAreText) {
            write(new RelayMessage.Notice("invalid: binary messages are not supported"));
        } else if (fragments == null) {
            onMessage(data.getBytes());
        } else {
            onMessage(fragments.appendBuffer(data).getBytes());
        }
        fragments = null;
    }

    /** What Netty refuses to read (a frame over the size limit) fails the connection with its RFC 6455 code. */
    void onException(Throwable e) {
        if (e instanceof CorruptedWebSocketFrameException corrupt) {
            // Vert.x closes the socket right after this handler; the close frame tells the client why.
            close((short) corrupt.closeStatus().code(), corrupt.closeStatus().reasonText());
        }
    }

    private void onMessage(byte[] utf8) {
        lastMessageNanos = System.nanoTime();
        ClientMessage message;
        try {
            // Parsed from the bytes: invalid UTF-8 is refused, never guessed at.
            message = ClientMessage.parse(utf8, settings.filterLimits());
        } catch (MalformedMessageException e) {
            write(e.reply());
            return;
        }
        if (utf8.length > settings.maxMessageLength()) {
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
            authenticate(a.event());
        } else if (message instanceof ClientMessage.Count c) {
            count(c);
        }
    }

    private void refuseTooLarge(ClientMessage message) {
        String reason = "invalid: message is larger than " + settings.maxMessageLength() + " bytes";
        if (message instanceof ClientMessage.Publish p) {
            write(new RelayMessage.Ok(p.event().id(), false, reason));
        } else if (message instanceof ClientMessage.Req r) {
            write(new RelayMessage.Closed(r.subscriptionId(), reason));
        } else if (message instanceof ClientMessage.Count c) {
            write(new RelayMessage.Closed(c.subscriptionId(), reason));
        } else {
            write(new RelayMessage.Notice(reason));
        }
    }

    private void publish(Event event) {
        String refusal = settings.access().refusePublish(event, auth.pubkeys());
        if (refusal != null) {
            refuse(new RelayMessage.Ok(event.id(), false, refusal), refusal);
            return;
        }
        if (eventsInFlight >= settings.maxEventsInFlight()) {
            write(new RelayMessage.Ok(event.id(), false, "rate-limited: more than " + settings.maxEventsInFlight()
                    + " events awaiting OK on this connection"));
            return;
        }
        eventsInFlight++;
        gateway.tiers().ingest(event).onComplete(ar -> {
            eventsInFlight--;
            if (ar.succeeded()) {
                IngestReply reply = ar.result().body();
                write(new RelayMessage.Ok(event.id(), reply.accepted(), reply.message()));
            } else {
                // Never a false OK: the client may resend, and a resend is idempotent.
                write(new RelayMessage.Ok(event.id(), false, "error: the event could not be processed, try again"));
            }
            if (drained != null && owedOks() == 0) {
                closeDrained();
            }
        });
    }

    /** NIP-42: sends this connection's challenge, once; it stays valid for as long as the connection lasts. */
    private void sendChallenge() {
        if (auth.challenge() == null) {
            auth.challengeSent(gateway.newChallenge());
            write(new RelayMessage.AuthChallenge(auth.challenge()));
        }
    }

    /** NIP-42: an auth-required answer comes after the challenge that lets the client authenticate. */
    private void refuse(RelayMessage answer, String reason) {
        if (reason.startsWith("auth-required:")) {
            sendChallenge();
        }
        write(answer);
    }

    /**
     * NIP-42 AUTH: every one gets an OK. The cheap checks come first, on the loop; the signature is checked on a
     * worker thread, and only then is the pubkey authenticated.
     */
    private void authenticate(Event event) {
        AccessRules rules = settings.access();
        if (auth.challenge() == null) {
            sendChallenge();
            write(new RelayMessage.Ok(event.id(), false,
                    "invalid: no challenge had been sent on this connection; answer the one just sent"));
            return;
        }
        String refusal = rules.refuseAuth(event, auth.challenge(), System.currentTimeMillis() / 1000);
        if (refusal == null && !auth.hasRoomFor(event.pubkey(), rules.maxPubkeys())) {
            refusal = "restricted: at most " + rules.maxPubkeys() + " pubkeys may authenticate on one connection";
        }
        if (refusal != null) {
            write(new RelayMessage.Ok(event.id(), false, refusal));
            return;
        }
        auth.verifying();
        gateway.verifySignature(event).onComplete(ar -> {
            boolean valid = ar.succeeded() && ar.result();
            auth.verified(valid ? event.pubkey() : null);
            write(new RelayMessage.Ok(event.id(), valid, valid ? ""
                    : ar.succeeded() ? "invalid: bad id or signature" : "error: the AUTH event could not be checked"));
            if (drained != null && owedOks() == 0) {
                closeDrained();
            }
        });
    }

    /** EVENTs and AUTHs read from this client and not yet answered with their OK. */
    private int owedOks() {
        return eventsInFlight + auth.pendingVerifications();
    }

    private void subscribe(ClientMessage.Req req) {
        Subscription old = subscriptions.get(req.subscriptionId());
        String refusal = settings.access().refuseRead(req.filters(), auth.pubkeys());
        if (refusal != null) {
            if (old != null) {
                end(old); // the REQ replaced it, even though it is refused
            }
            refuse(new RelayMessage.Closed(req.subscriptionId(), refusal), refusal);
            return;
        }
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
        gateway.tiers().openLive(sub).onComplete(ar -> {
            if (!holds(sub)) {
                return; // closed or replaced meanwhile; end() told fanout
            }
            if (ar.succeeded()) {
                gateway.tiers().queryStored(sub, sub.filters, auth.readers());
            } else {
                endByRelay(sub, failureReason(ar.cause()));
            }
        });
    }

    /**
     * NIP-45: one answer, COUNT or CLOSED, and no subscription. At most {@code limits.max_subscriptions} counts
     * wait for their answer per connection.
     */
    private void count(ClientMessage.Count c) {
        if (c.filters().stream().anyMatch(f -> f.search() != null)) {
            write(new RelayMessage.Closed(c.subscriptionId(), "unsupported: COUNT does not take search filters"));
            return;
        }
        // NIP-45: the same rules as REQ (NIP-42 auth-required reads and private kinds).
        String refusal = settings.access().refuseRead(c.filters(), auth.pubkeys());
        if (refusal != null) {
            refuse(new RelayMessage.Closed(c.subscriptionId(), refusal), refusal);
            return;
        }
        if (countsInFlight >= settings.maxSubscriptions()) {
            write(new RelayMessage.Closed(c.subscriptionId(), "rate-limited: at most " + settings.maxSubscriptions()
                    + " COUNTs in progress per connection"));
            return;
        }
        countsInFlight++;
        gateway.tiers().count(new CountRequest(c.filters(), c.hllOffset(), auth.readers())).onComplete(ar -> {
            countsInFlight--;
            if (ar.failed()) {
                write(new RelayMessage.Closed(c.subscriptionId(), "error: the count could not be made, try again"));
            } else if (ar.result().body().closedReason() != null) {
                write(new RelayMessage.Closed(c.subscriptionId(), ar.result().body().closedReason()));
            } else {
                write(new RelayMessage.CountResult(c.subscriptionId(), ar.result().body().count(), false,
                        ar.result().body().hll()));
            }
        });
    }

    boolean holds(Subscription sub) {
        return !closing && subscriptions.get(sub.id) == sub;
    }

    /** NIP-42: the pubkeys this connection authenticated, for the stored events of private kinds. */
    List<String> readers() {
        return auth.readers();
    }

    Collection<Subscription> subscriptions() {
        return subscriptions.values();
    }

    /** The relay ends a subscription: the client gets CLOSED with the reason ("prefix: text"). */
    void endByRelay(Subscription sub, String reason) {
        end(sub);
        write(new RelayMessage.Closed(sub.id, reason));
    }

    static String failureReason(Throwable cause) {
        String m = cause.getMessage();
        return m != null && m.matches("^[a-z-]+: .*") ? m : "error: live subscriptions are unavailable, try again";
    }

    /** Ends a subscription on the relay's side; its stored query stops at its next chunk. */
    private void end(Subscription sub) {
        subscriptions.remove(sub.id, sub);
        gateway.unregister(sub);
        gateway.tiers().closeLive(sub);
    }

    /** NIP-42: whether this connection may see an event with these parties (null: a public event). */
    boolean mayRead(Set<String> parties) {
        return PrivateKinds.mayRead(parties, auth.pubkeys());
    }

    /** @param eventJson the event's JSON in UTF-8, encoded once for every subscriber on this gateway */
    void deliverLive(Subscription sub, String eventId, byte[] eventJson) {
        if (closing || !sub.firstSending(eventId) || !keepsReading()) {
            return;
        }
        writeEvent(sub, eventJson);
    }

    void deliverStored(Subscription sub, QueryChunk chunk, Message<Object> ack) {
        if (closing) {
            ack.reply(false);
            return;
        }
        List<String> ids = chunk.ids();
        long bytes = 0;
        for (int i = 0; i < ids.size(); i++) {
            String eventId = ids.get(i);
            if (sub.firstSending(eventId) && gateway.tiers().firstDelivery(eventId, sub)) {
                bytes += writeEvent(sub, chunk.eventJsons().get(i));
            }
        }
        if (bytes > 0 && !closing) {
            // Writes complete in order: an empty write behind the chunk says when all of it is out. Flushed, or a
            // chunk that nothing follows (the end of a backfill has no EOSE) would never say so.
            long written = bytes;
            storedUnwritten += written;
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER,
                    channel.newPromise().addListener(f -> storedUnwritten -= written));
        }
        if (chunk.last()) {
            boolean backfill = sub.isBackfilling();
            sub.storedPartDone();
            if (chunk.closedReason() != null) {
                // A failed backfill ends the subscription too: the client must not believe it has every event.
                endByRelay(sub, chunk.closedReason());
            } else if (!backfill) {
                write(new RelayMessage.Eose(sub.id)); // a backfill after a re-homing sends no second EOSE
            }
            ack.reply(true);
            if (holds(sub)) {
                gateway.tiers().storedPartEnded(sub);
            }
        } else if (!channel.channel().isWritable()) {
            waitingForDrain.add(ack);
        } else {
            ack.reply(true);
        }
    }

    private void drained() {
        for (Message<Object> ack : waitingForDrain) {
            ack.reply(!closing);
        }
        waitingForDrain.clear();
    }

    private void write(RelayMessage message) {
        if (!closing && keepsReading()) {
            send(frames.text(message.toJson()));
        }
    }

    /**
     * A client that does not read what it is sent (live events, or the answers to what it keeps sending) is
     * dropped once {@code websocket.max_write_queue_bytes} of them wait for it: it must never grow our memory. The
     * stored part of a query is not counted ({@link #storedUnwritten}); it waits for the socket to drain instead.
     */
    private boolean keepsReading() {
        if (unwrittenBytes() - storedUnwritten > settings.maxWriteQueueBytes()) {
            close((short) 1008, "slow consumer: not reading fast enough");
            return false;
        }
        return true;
    }

    /** {@code ["EVENT",<sub id>,<event>]} put together from bytes: the hot path of every delivery. */
    private int writeEvent(Subscription sub, byte[] eventJson) {
        if (closing) {
            return 0;
        }
        byte[] prefix = sub.eventPrefix();
        send(frames.event(prefix, eventJson));
        return prefix.length + eventJson.length + 1;
    }

    /** One message; the flush is gathered with the others of this loop turn (see the constructor). */
    private void send(Object message) {
        channel.write(message, channel.voidPromise());
        channel.flush();
    }

    /** Bytes handed to the socket and not yet written out: our bound on what a slow reader can make us hold. */
    private long unwrittenBytes() {
        ChannelOutboundBuffer out = channel.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    void sweep(long now, long idleNanos) {
        if (closing) {
            // Still here a ping interval after we began to close: the close frame is stuck behind what the client
            // does not read (Vert.x would wait for it forever), so drop the connection.
            drop();
        } else if (awaitingPong) {
            close(GOING_AWAY, "ping timeout");
        } else if (subscriptions.isEmpty() && eventsInFlight == 0 && now - lastMessageNanos > idleNanos) {
            close((short) 1000, "idle timeout");
        } else {
            awaitingPong = true;
            ws.writePing(PING);
        }
    }

    void close(short code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        if (unwrittenBytes() > settings.maxWriteQueueBytes() / 2) {
            drop(); // the close frame would wait behind what the client has not read
        } else {
            ws.close(code, reason);
        }
    }

    /**
     * Closes the TCP connection without the WebSocket closing handshake, for a client that does not read: Vert.x
     * starts its closing timeout only once the close frame is written, so such a client would keep the connection,
     * and all that is queued for it, forever. The context's own close goes past Vert.x's graceful one, as Vert.x
     * itself does on an idle timeout.
     */
    private void drop() {
        ((WebSocketInternal) ws).channelHandlerContext().close();
    }

    /**
     * SIGTERM: read nothing more, let the events already read get their OK, then close with a reason. Completes
     * when the socket is gone.
     */
    Future<Void> drain() {
        drained = Promise.promise();
        ws.pause();
        if (owedOks() == 0) {
            closeDrained();
        }
        return drained.future();
    }

    private void closeDrained() {
        close(GOING_AWAY, SHUTTING_DOWN);
        // Read again, or the client's answering close frame is never seen and the socket lingers until Vert.x's
        // closing timeout; frames after our close are ignored (onFrame).
        ws.resume();
    }

    /** The socket is gone: drop every subscription here and at fanout. */
    void released() {
        closing = true;
        if (drained != null) {
            drained.complete();
        }
        gateway.tiers().connectionGone(this);
        for (Subscription sub : subscriptions.values()) {
            gateway.unregister(sub);
        }
        subscriptions.clear();
        drained();
    }
}
