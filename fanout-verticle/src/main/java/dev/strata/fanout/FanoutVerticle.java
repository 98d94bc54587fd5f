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
import dev.strata.bus.Membership;
import dev.strata.bus.SubscriptionChange;
import dev.strata.model.Expiration;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Mirrors the gateways' live subscriptions in a {@link SubscriptionIndex} and sends each accepted event, once per
 * gateway, to the gateways owning subscriptions it matches. Runs on one event loop: the index needs no locks.
 *
 * <p>In a cluster every fanout node receives every accepted event (a publish) but holds only the subscriptions the
 * gateways homed on it, taken on an address of its own. It drops the subscriptions of a gateway node that left the
 * cluster; when it drains, it keeps delivering until the gateways have moved their subscriptions elsewhere.
 */
public final class FanoutVerticle extends AbstractVerticle {
    /** A subscription as fanout knows it: which gateway, which of its connections, which REQ. */
    record SubscriptionKey(String gatewayId, long connectionId, long serial) {
    }

    /** A connection's subscriptions, so a disconnect removes exactly those without scanning the index. */
    record ConnectionKey(String gatewayId, long connectionId) {
    }

    /** How long a draining node waits for the gateways to move their subscriptions away. */
    private static final long MOVE_AWAY_MILLIS = 10_000;

    private final Membership membership;
    private final SubscriptionIndex<SubscriptionKey> index = new SubscriptionIndex<>();
    private final Map<ConnectionKey, List<SubscriptionKey>> byConnection = new HashMap<>();
    private final List<MessageConsumer<?>> consumers = new ArrayList<>();
    private int maxSubscriptions;
    /** The index's size for health checks, which read it from another thread. */
    private volatile int liveSubscriptions;
    private boolean draining;

    /** @param membership the cluster's, or null in the one-JVM relay */
    public FanoutVerticle(Membership membership) {
        this.membership = membership;
    }

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        maxSubscriptions = config().getInteger("fanout.max_subscriptions");
        String subscriptions = Addresses.FANOUT_SUBSCRIPTIONS;
        if (membership != null) {
            subscriptions = Addresses.fanoutSubscriptions(membership.self());
            membership.onChange(() -> context.runOnContext(v -> dropDepartedGateways()));
        }
        consumers.add(vertx.eventBus().<SubscriptionChange>consumer(subscriptions, this::onChange));
        consumers.add(vertx.eventBus().<AcceptedEvent>consumer(Addresses.FANOUT_EVENTS, m -> fanOut(m.body())));
        Future.all(consumers.stream().map(MessageConsumer::completion).toList())
                .<Void>mapEmpty().onComplete(started);
    }

    /**
     * In a cluster, drain: the node has already withdrawn, so gateways re-home its subscriptions (opening them on
     * another node, then closing them here); deliver until they are gone, or for {@link #MOVE_AWAY_MILLIS} at most.
     */
    @Override
    public void stop(Promise<Void> stopped) {
        draining = true;
        if (membership == null || index.size() == 0) {
            stopped.complete();
            return;
        }
        long deadline = System.currentTimeMillis() + MOVE_AWAY_MILLIS;
        vertx.setPeriodic(50, timer -> {
            if (index.size() == 0 || System.currentTimeMillis() > deadline) {
                vertx.cancelTimer(timer);
                stopped.complete();
            }
        });
    }

    /** A gateway node that left the cluster took its connections with it: its subscriptions go everywhere. */
    private void dropDepartedGateways() {
        List<ConnectionKey> gone = new ArrayList<>();
        for (ConnectionKey connection : byConnection.keySet()) {
            String node = Addresses.nodeOfGateway(connection.gatewayId());
            if (node != null && membership.hasLeft(node)) {
                gone.add(connection);
            }
        }
        for (ConnectionKey connection : gone) {
            byConnection.remove(connection).forEach(index::remove);
        }
        liveSubscriptions = index.size();
    }

    /** Live subscriptions held here now (for {@code /health}). */
    public int liveSubscriptions() {
        return liveSubscriptions;
    }

    private void onChange(Message<SubscriptionChange> message) {
        apply(message);
        liveSubscriptions = index.size();
    }

    private void apply(Message<SubscriptionChange> message) {
        SubscriptionChange change = message.body();
        if (change instanceof SubscriptionChange.Open open) {
            if (draining && membership != null) {
                message.fail(Addresses.DRAINING, "error: this fanout node is draining"); // the gateway opens it elsewhere
                return;
            }
            if (index.size() >= maxSubscriptions) {
                message.fail(429, "rate-limited: the relay holds too many live subscriptions, try later");
                return;
            }
            String node = Addresses.nodeOfGateway(open.gatewayId());
            if (membership != null && node != null && membership.hasLeft(node)) {
                message.fail(410, "error: the gateway left the cluster"); // it raced its own departure
                return;
            }
            SubscriptionKey key = new SubscriptionKey(open.gatewayId(), open.connectionId(), open.serial());
            index.add(key, open.filters());
            List<SubscriptionKey> keys = byConnection.computeIfAbsent(
                    new ConnectionKey(open.gatewayId(), open.connectionId()), k -> new ArrayList<>(2));
            if (!keys.contains(key)) { // a re-homing gateway may open the same subscription again
                keys.add(key);
            }
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
        // NIP-40: ingest refuses what arrives expired; this catches one that expired while it was being stored.
        if (Expiration.isExpired(accepted.event(), System.currentTimeMillis() / 1000)) {
            return;
        }
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
