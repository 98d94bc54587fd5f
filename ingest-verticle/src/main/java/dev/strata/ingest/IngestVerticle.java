package dev.strata.ingest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.bus.AcceptedEvent;
import dev.strata.bus.Addresses;
import dev.strata.bus.Codecs;
import dev.strata.bus.IngestReply;
import dev.strata.bus.IngestRequest;
import dev.strata.bus.Membership;
import dev.strata.model.Bip340;
import dev.strata.model.Event;
import dev.strata.model.KindClass;
import dev.strata.store.EventStore;
import dev.strata.store.WriteResult;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Validates, persists and announces events. Requests that arrive together are handled as a batch: their
 * signatures are checked in parallel on worker threads. The valid ones wait for the store, which works on at most
 * {@link EventStore#writeConcurrency()} writes at once: whatever is waiting when a write completes goes to the store
 * as the next write, so batches grow with the load (group commit). OK true is sent only after the commit. Every
 * {@code store.expiry_purge_interval_seconds} it also has the store remove expired events (NIP-40), in
 * transactions of at most {@code store.expiry_purge_batch}, one after the other until none is left, and finish the
 * removals of requests to vanish (NIP-62) that a crash cut off.
 */
public final class IngestVerticle extends AbstractVerticle {
    static final IngestReply STORED = new IngestReply(true, "");
    static final IngestReply DUPLICATE = new IngestReply(true, "duplicate: already have this event");
    static final IngestReply STALE = new IngestReply(false, "duplicate: a newer version of this event is stored");
    private static final long FINISH_MILLIS = 10_000;
    static final IngestReply DELETED = new IngestReply(false, "blocked: this event was deleted by its author");
    static final IngestReply VANISHED = new IngestReply(false,
            "blocked: its author (or, for a gift wrap, its recipient) asked this relay to forget them");

    private static final System.Logger LOG = System.getLogger(IngestVerticle.class.getName());

    private final EventStore store;
    private final Bip340 signatures = Bip340.best();
    private EventPolicy policy;
    private int maxPending;
    private int verifyChunk;
    private int pending;
    private List<Message<IngestRequest>> batch = new ArrayList<>();
    /** Verified events waiting for a write, and their JSON; written together when a write completes. */
    private List<Message<IngestRequest>> unwritten = new ArrayList<>();
    private List<String> unwrittenJsons = new ArrayList<>();
    private int writing;
    private int maxWriting;
    private MessageConsumer<IngestRequest> consumer;
    private int purgeBatch;
    private long purgeTimer;
    /** Stopping: events still arriving are refused, the ones taken are finished. */
    private boolean draining;
    /** A tick that finds a purge running skips it, so purges never overlap. */
    private boolean purgeRunning;

    public IngestVerticle(EventStore store) {
        this.store = store;
    }

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        policy = EventPolicy.from(config());
        maxPending = config().getInteger("ingest.max_pending");
        verifyChunk = config().getInteger("ingest.verify_batch");
        maxWriting = store.writeConcurrency();
        // In a cluster gateways pick the ingest node, so they can answer at once when it dies (see Addresses).
        String node = config().getString(Membership.NODE_ID_CONFIG);
        consumer = vertx.eventBus().consumer(node == null ? Addresses.INGEST : Addresses.ingest(node),
                this::onRequest);
        purgeBatch = config().getInteger("store.expiry_purge_batch");
        purgeTimer = vertx.setPeriodic(1000L * config().getInteger("store.expiry_purge_interval_seconds"),
                id -> purgeExpired());
        consumer.completion().onComplete(started);
    }

    /**
     * Stop taking events; the ones in flight get their answer before the store closes (which commits what it
     * holds), waited for {@link #FINISH_MILLIS} at most. A purge in progress is left to the store's close: what it
     * did not remove, the next run's purge does.
     */
    @Override
    public void stop(Promise<Void> stopped) {
        vertx.cancelTimer(purgeTimer);
        purgeTimer = -1;
        // Still listening while it finishes: an event that arrives now is refused as DRAINING, which the gateway
        // sends to another node. Unregistered at once, the consumer would drop what sat in its queue unanswered,
        // and those clients would hear only when this node left the cluster.
        draining = true;
        long deadline = System.currentTimeMillis() + FINISH_MILLIS;
        if (pending == 0) {
            consumer.unregister().onComplete(v -> stopped.complete());
            return;
        }
        vertx.setPeriodic(20, timer -> {
            if (pending == 0 || System.currentTimeMillis() > deadline) {
                vertx.cancelTimer(timer);
                consumer.unregister().onComplete(v -> stopped.complete());
            }
        });
    }

    private void purgeExpired() {
        if (!purgeRunning) {
            // Set before the purge starts: it may complete before the call returns.
            purgeRunning = true;
            purgeFrom(0).onComplete(ar -> {
                purgeRunning = false;
                if (ar.failed() && purgeTimer >= 0) { // a purge the closing store cut off is no failure
                    LOG.log(System.Logger.Level.WARNING, "purging expired events failed, will retry: " + ar.cause());
                } else if (ar.result() > 0) {
                    LOG.log(System.Logger.Level.INFO, "purged " + ar.result() + " expired events (NIP-40)");
                }
            });
        }
    }

    /** Batches until one comes back short: each is its own transaction, so writes run between them. */
    private Future<Integer> purgeFrom(int purged) {
        return Future.fromCompletionStage(store.purge(purgeBatch), context).compose(n -> n < purgeBatch
                ? Future.succeededFuture(purged + n)
                : purgeFrom(purged + n));
    }

    private void onRequest(Message<IngestRequest> message) {
        if (draining) {
            message.fail(Addresses.DRAINING, "error: this ingest node is draining");
            return;
        }
        Event event = message.body().event();
        if (pending >= maxPending) {
            message.reply(new IngestReply(false, "rate-limited: the relay is busy, slow down"));
            return;
        }
        String refusal = policy.refusal(event, System.currentTimeMillis() / 1000);
        if (refusal != null) {
            message.reply(new IngestReply(false, refusal));
            return;
        }
        pending++;
        batch.add(message);
        if (batch.size() == 1) {
            // Everything that arrives before this loop turn ends joins the same batch.
            context.runOnContext(v -> flush());
        }
    }

    private void flush() {
        List<Message<IngestRequest>> requests = batch;
        batch = new ArrayList<>();
        // Split so every core verifies; each chunk is one worker task.
        List<Future<String[]>> checks = new ArrayList<>();
        for (int from = 0; from < requests.size(); from += verifyChunk) {
            List<Message<IngestRequest>> chunk = requests.subList(from, Math.min(requests.size(), from + verifyChunk));
            checks.add(vertx.executeBlocking(() -> verify(chunk), false));
        }
        Future.all(checks).onComplete(ar -> {
            if (ar.failed()) {
                replyAll(requests, new IngestReply(false, "error: could not verify the event"));
                return;
            }
            List<Message<IngestRequest>> toStore = new ArrayList<>(requests.size());
            List<String> jsons = new ArrayList<>(requests.size());
            List<Message<IngestRequest>> ephemeral = new ArrayList<>();
            List<String> ephemeralJsons = new ArrayList<>();
            int i = 0;
            for (Future<String[]> check : checks) {
                for (String json : check.result()) {
                    Message<IngestRequest> m = requests.get(i++);
                    if (json == null) {
                        done(m, new IngestReply(false, "invalid: bad id or signature"));
                    } else if (m.body().event().kindClass() == KindClass.EPHEMERAL) {
                        ephemeral.add(m);
                        ephemeralJsons.add(json);
                    } else {
                        toStore.add(m);
                        jsons.add(json);
                    }
                }
            }
            if (!ephemeral.isEmpty()) {
                forwardEphemeral(ephemeral, ephemeralJsons);
            }
            if (!toStore.isEmpty()) {
                unwritten.addAll(toStore);
                unwrittenJsons.addAll(jsons);
                writeWaiting();
            }
        });
    }

    /**
     * NIP-01: ephemeral events go to live subscriptions and are never stored. NIP-62: except those of an author who
     * asked this relay to forget them, up to the created_at of the request, which the store's writes never see.
     */
    private void forwardEphemeral(List<Message<IngestRequest>> requests, List<String> jsons) {
        Set<String> authors = new HashSet<>();
        for (Message<IngestRequest> m : requests) {
            authors.add(m.body().event().pubkey());
        }
        Future.fromCompletionStage(store.vanishCutoffs(authors), context).onComplete(ar -> {
            if (ar.failed()) {
                replyAll(requests, new IngestReply(false, storeFailure(ar.cause())));
                return;
            }
            Map<String, Long> cutoffs = ar.result();
            for (int i = 0; i < requests.size(); i++) {
                Message<IngestRequest> m = requests.get(i);
                Event event = m.body().event();
                Long cutoff = cutoffs.get(event.pubkey());
                if (cutoff != null && event.createdAt() <= cutoff) {
                    done(m, VANISHED);
                } else {
                    announce(event, jsons.get(i));
                    done(m, STORED);
                }
            }
        });
    }

    /**
     * Each event's JSON as stored and sent to subscribers, or null when its id or signature is wrong. Made here,
     * on a worker thread, so that neither the store's writer nor an event loop spends time on it.
     */
    private String[] verify(List<Message<IngestRequest>> chunk) {
        String[] jsons = new String[chunk.size()];
        for (int i = 0; i < jsons.length; i++) {
            Event e = chunk.get(i).body().event();
            if (e.hasValidId() && e.hasValidSignature(signatures)) {
                jsons[i] = e.toJson();
            }
        }
        return jsons;
    }

    /** Writes what waits, in arrival order, if the store has room for another write. */
    private void writeWaiting() {
        if (unwritten.isEmpty() || writing >= maxWriting) {
            return;
        }
        List<Message<IngestRequest>> requests = unwritten;
        List<String> jsons = unwrittenJsons;
        unwritten = new ArrayList<>();
        unwrittenJsons = new ArrayList<>();
        List<Event> events = new ArrayList<>(requests.size());
        for (Message<IngestRequest> m : requests) {
            events.add(m.body().event());
        }
        writing++;
        Future.fromCompletionStage(store.write(events, jsons), context).onComplete(ar -> {
            writing--;
            writeWaiting();
            if (ar.failed()) {
                replyAll(requests, new IngestReply(false, storeFailure(ar.cause())));
                return;
            }
            List<WriteResult> results = ar.result();
            for (int i = 0; i < requests.size(); i++) {
                Message<IngestRequest> m = requests.get(i);
                switch (results.get(i).status()) {
                    case STORED -> {
                        announce(m.body().event(), jsons.get(i));
                        done(m, STORED);
                    }
                    case DUPLICATE -> done(m, DUPLICATE);
                    case STALE -> done(m, STALE);
                    case DELETED -> done(m, DELETED);
                    case VANISHED -> done(m, VANISHED);
                    case EPHEMERAL -> done(m, STORED);
                }
            }
        });
    }

    /** The store's own refusals (e.g. "rate-limited: ...") reach the client as they are; anything else is error:. */
    private static String storeFailure(Throwable cause) {
        Throwable root = cause.getCause() != null && cause.getMessage() == null ? cause.getCause() : cause;
        String m = root.getMessage();
        return m != null && m.matches("^[a-z-]+: .*") ? m : "error: the event could not be stored, try again";
    }

    private void announce(Event event, String json) {
        vertx.eventBus().publish(Addresses.FANOUT_EVENTS, new AcceptedEvent(event, json));
    }

    private void replyAll(List<Message<IngestRequest>> requests, IngestReply reply) {
        for (Message<IngestRequest> m : requests) {
            done(m, reply);
        }
    }

    private void done(Message<IngestRequest> m, IngestReply reply) {
        pending--;
        m.reply(reply);
    }
}
