package dev.strata.gateway;

import java.util.List;

import dev.strata.bus.Addresses;
import dev.strata.bus.CountReply;
import dev.strata.bus.CountRequest;
import dev.strata.bus.IngestReply;
import dev.strata.bus.IngestRequest;
import dev.strata.bus.QueryRequest;
import dev.strata.bus.SubscriptionChange;
import dev.strata.model.Event;
import dev.strata.model.Filter;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;

/** The one-JVM relay: every tier is in this process, reached by its shared address; nothing to watch. */
final class LocalTiers implements Tiers {
    private final GatewayVerticle gateway;
    private final EventBus bus;
    private final DeliveryOptions requestOptions;

    LocalTiers(GatewayVerticle gateway, EventBus bus, long requestTimeoutMillis) {
        this.gateway = gateway;
        this.bus = bus;
        this.requestOptions = new DeliveryOptions().setSendTimeout(requestTimeoutMillis);
    }

    @Override
    public Future<Message<IngestReply>> ingest(Event event) {
        return bus.request(Addresses.INGEST, new IngestRequest(event), requestOptions);
    }

    @Override
    public Future<Message<CountReply>> count(CountRequest request) {
        return bus.request(Addresses.COUNT, request, requestOptions);
    }

    @Override
    public Future<Void> openLive(Subscription sub) {
        return bus.request(Addresses.FANOUT_SUBSCRIPTIONS, new SubscriptionChange.Open(gateway.gatewayId(),
                sub.connection.id, sub.serial, sub.liveFilters), requestOptions).mapEmpty();
    }

    @Override
    public void closeLive(Subscription sub) {
        bus.send(Addresses.FANOUT_SUBSCRIPTIONS,
                new SubscriptionChange.Close(gateway.gatewayId(), sub.connection.id, sub.serial));
    }

    @Override
    public void connectionGone(Connection connection) {
        bus.send(Addresses.FANOUT_SUBSCRIPTIONS,
                new SubscriptionChange.ConnectionGone(gateway.gatewayId(), connection.id));
    }

    @Override
    public void queryStored(Subscription sub, List<Filter> filters, List<String> readers) {
        bus.send(Addresses.QUERY, new QueryRequest(gateway.gatewayId(), sub.serial, filters, readers));
    }

    @Override
    public void storedPartEnded(Subscription sub) {
    }

    // One fanout holds every subscription from start to end: no second route exists.

    @Override
    public long[][] deliveredBefore(String eventId, long[] serials) {
        return null;
    }

    @Override
    public boolean firstDelivery(String eventId, Subscription sub) {
        return true;
    }
}
