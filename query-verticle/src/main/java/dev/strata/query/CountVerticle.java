package dev.strata.query;

import dev.strata.bus.Addresses;
import dev.strata.bus.Codecs;
import dev.strata.bus.CountReply;
import dev.strata.bus.CountRequest;
import dev.strata.bus.Membership;
import dev.strata.model.PrivateKinds;
import dev.strata.store.EventStore;
import dev.strata.store.Visibility;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Answers NIP-45 COUNTs: one bounded store count per request, one reply, nothing live. The store counts from its
 * indexes within {@code query.count_budget} index entries, else the COUNT is refused with {@code blocked:}; at most
 * {@code query.max_active} counts run at once, further ones are refused with {@code rate-limited:}.
 */
public final class CountVerticle extends AbstractVerticle {
    private final EventStore store;
    private long budget;
    private int maxActive;
    /** NIP-42: kinds counted only for their parties, as the query tier serves them. */
    private PrivateKinds privateKinds;
    private int active;
    private MessageConsumer<CountRequest> consumer;

    public CountVerticle(EventStore store) {
        this.store = store;
    }

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        budget = config().getLong("query.count_budget");
        maxActive = config().getInteger("query.max_active");
        privateKinds = PrivateKinds.parse(config().getString("auth.private_kinds"));
        // In a cluster gateways pick the query node (see Addresses).
        String node = config().getString(Membership.NODE_ID_CONFIG);
        consumer = vertx.eventBus().consumer(node == null ? Addresses.COUNT : Addresses.count(node), this::count);
        consumer.completion().onComplete(started);
    }

    private void count(Message<CountRequest> message) {
        if (active >= maxActive) {
            message.reply(CountReply.refused("rate-limited: too many counts in progress, try again"));
            return;
        }
        active++;
        CountRequest request = message.body();
        Visibility visibility = Visibility.of(privateKinds, request.readers());
        Future.fromCompletionStage(store.count(request.filters(), request.hllOffset(), budget, visibility), context)
                .onComplete(ar -> {
                    active--;
                    message.reply(ar.succeeded()
                            ? new CountReply(ar.result().count(), ar.result().hll(), null)
                            : CountReply.refused(StoreFailures.reason(ar.cause(),
                                    "error: the count failed, try again")));
                });
    }

    @Override
    public void stop() {
        consumer.unregister();
    }
}
