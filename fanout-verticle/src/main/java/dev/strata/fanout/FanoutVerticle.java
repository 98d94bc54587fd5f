package dev.strata.fanout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.strata.bus.AcceptedEvent;
import dev.strata.bus.Addresses;
import dev.strata.bus.Codecs;
import dev.strata.bus.Delivery;
import dev.strata.bus.SubscriptionChange;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Mirrors the gateways' live subscriptions in a {@link SubscriptionIndex} and sends each accepted event, once per
 * gateway, to the gateways owning subscriptions it matches. Runs on one event loop: the index needs no locks.
 */
public final class FanoutVerticle extends AbstractVerticle {
    /** A subscription as fanout knows it: which gateway, which of its connections, which REQ. */
    record SubscriptionKey(String gatewayId, long connectionId, long serial) {
    }

    /** A connection's subscriptions, so a disconnect removes exactly those without scanning the index. */
    record ConnectionKey(String gatewayId, long connectionId) {
    }

    private final SubscriptionIndex<SubscriptionKey> index = new SubscriptionIndex<>();
    private final Map<ConnectionKey, List<SubscriptionKey>> byConnection = new HashMap<>();
    private final List<MessageConsumer<?>> consumers = new ArrayList<>();
    private int maxSubscriptions;

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        maxSubscriptions = config().getInteger("fanout.max_subscriptions");
        consumers.add(vertx.eventBus().<SubscriptionChange>consumer(Addresses.FANOUT_SUBSCRIPTIONS, this::onChange));
        consumers.add(vertx.eventBus().<AcceptedEvent>consumer(Addresses.FANOUT_EVENTS, m -> fanOut(m.body())));
        Future.all(consumers.stream().map(MessageConsumer::completion).toList())
                .<Void>mapEmpty().onComplete(started);
    }

    private void onChange(Message<SubscriptionChange> message) {
        SubscriptionChange change = message.body();
        if (change instanceof SubscriptionChange.Open open) {
            if (index.size() >= maxSubscriptions) {
                message.fail(429, "rate-limited: the relay holds too many live subscriptions, try later");
                return;
            }
            SubscriptionKey key = new SubscriptionKey(open.gatewayId(), open.connectionId(), open.serial());
            index.add(key, open.filters());
            byConnection.computeIfAbsent(new ConnectionKey(open.gatewayId(), open.connectionId()),
                    k -> new ArrayList<>(2)).add(key);
            message.reply(true);
        } else if (change instanceof SubscriptionChange.Close close) {
            SubscriptionKey key = new SubscriptionKey(close.gatewayId(), close.connectionId(), close.serial());
            index.remove(key);
            ConnectionKey connection = new ConnectionKey(close.gatewayId(), close.connectionId());
            List<SubscriptionKey> keys = byConnection.get(connection);
            if (keys != null && keys.remove(key) && keys.isEmpty()) {
                byConnection.remove(connection);
            }
        } else if (change instanceof SubscriptionChange.ConnectionGone gone) {
            List<SubscriptionKey> keys = byConnection.remove(new ConnectionKey(gone.gatewayId(), gone.connectionId()));
            if (keys != null) {
                keys.forEach(index::remove);
            }
        }
    }

    private void fanOut(AcceptedEvent accepted) {
        Map<String, Serials> byGateway = new HashMap<>(4);
        index.forEachMatch(accepted.event(),
                key -> byGateway.computeIfAbsent(key.gatewayId(), g -> new Serials()).add(key.serial()));
        String id = accepted.event().id();
        byGateway.forEach((gateway, serials) -> vertx.eventBus().send(Addresses.gateway(gateway),
                new Delivery(id, accepted.json(), serials.toArray())));
    }

    /** The matched subscriptions of one gateway, collected without boxing. */
    private static final class Serials {
        private long[] values = new long[4];
        private int size;

        void add(long serial) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = serial;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
