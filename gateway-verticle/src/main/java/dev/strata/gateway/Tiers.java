package dev.strata.gateway;

import java.util.List;

import dev.strata.bus.CountReply;
import dev.strata.bus.CountRequest;
import dev.strata.bus.IngestReply;
import dev.strata.model.Event;
import dev.strata.model.Filter;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;

/**
 * How a gateway reaches the other tiers: in one JVM by their shared addresses ({@link LocalTiers}), in a cluster by
 * picking the node for each piece of work and watching it ({@link ClusterTiers}). Called on the gateway's loop.
 */
interface Tiers {
    /** Validates and stores the event; the reply is the client's OK. */
    Future<Message<IngestReply>> ingest(Event event);

    /** NIP-45: one count from a query node; the reply carries the number or why it was refused. */
    Future<Message<CountReply>> count(CountRequest request);

    /** Registers the live part of a subscription; completes once fanout applied it. */
    Future<Void> openLive(Subscription sub);

    /** Ends the live part of a subscription. */
    void closeLive(Subscription sub);

    /** The connection is gone, with all its subscriptions. */
    void connectionGone(Connection connection);

    /**
     * Starts the stored part of a subscription; its chunks arrive in the gateway's inbox.
     *
     * @param readers the pubkeys the connection authenticated (NIP-42), for events of private kinds
     */
    void queryStored(Subscription sub, List<Filter> filters, List<String> readers);

    /** The last chunk of a stored part was handled. */
    void storedPartEnded(Subscription sub);

    /**
     * A live delivery of the event to these subscriptions: returns the serials an earlier route (cluster re-homing)
     * already sent it to, which must not get it again, or null (always in one JVM).
     */
    long[][] deliveredBefore(String eventId, long[] serials);

    /** A stored event for one subscription: whether no earlier route sent it there yet. */
    boolean firstDelivery(String eventId, Subscription sub);
}
