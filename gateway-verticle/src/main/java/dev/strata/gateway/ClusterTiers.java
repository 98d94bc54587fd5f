package dev.strata.gateway;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.bus.Addresses;
import dev.strata.bus.CountReply;
import dev.strata.bus.CountRequest;
import dev.strata.bus.IngestReply;
import dev.strata.bus.IngestRequest;
import dev.strata.bus.Membership;
import dev.strata.bus.Membership.Role;
import dev.strata.bus.QueryChunk;
import dev.strata.bus.QueryRequest;
import dev.strata.bus.SubscriptionChange;
import dev.strata.model.Event;
import dev.strata.model.Filter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * A clustered gateway's routes. The gateway picks the node for every piece of work and remembers it, because the
 * clustered event bus never fails a request whose receiver died (it waits for the timeout): when a node leaves the
 * cluster, what was sent to it is failed or moved at once.
 *
 * <ul>
 *   <li><b>Ingest</b>: events go round-robin to the ready ingest nodes. An event whose node leaves before it
 *       answered gets {@code OK false "error:"}: it may or may not be stored, and a resend is idempotent (a stored
 *       one is a duplicate, answered OK true).</li>
 *   <li><b>Fanout</b>: each connection is homed on one fanout node, chosen by rendezvous hashing of the gateway and
 *       connection over the ready fanout nodes, so subscriptions spread evenly and a departing node moves only its
 *       own. The gateway owns the truth: when a subscription's node withdraws or leaves, the gateway opens it on
 *       another node, and once that node applied it (register, then query), runs a backfill: the subscription's
 *       filters from {@code cluster.backfill_seconds} (plus the failure-detection time when the node died) before
 *       now, but not before the subscription began, de-duplicated by id against what it already sent
 *       ({@link RecentDeliveries}). A withdrawn node that is
 *       still a member is told to close the subscription once the new one holds it.</li>
 *   <li><b>Query</b>: stored parts go round-robin to the ready query nodes; one whose node leaves runs again on
 *       another, its events de-duplicated against those already sent.</li>
 * </ul>
 */
final class ClusterTiers implements Tiers {
    static final String NO_INGEST = "error: no ingest node is available, try again";
    static final String NO_FANOUT = "error: live subscriptions are unavailable, try again";
    static final String NO_QUERY = "error: no query node is available, try again";

    /** Where a subscription's parts run now. */
    static final class Route {
        /** When the client opened it (seconds): older events were its stored part's to send. */
        final long openedAt = System.currentTimeMillis() / 1000;
        /** The fanout node its last Open went to. */
        String fanoutNode;
        /** That node acknowledged the Open: the subscription is live there. */
        boolean live;
        /** The query node running its stored part, and the filters it runs, while one runs. */
        String queryNode;
        List<Filter> storedFilters;
        List<String> storedReaders;
        /** The created_at from which a backfill waits for the running stored part to end; null for none. */
        Long pendingBackfillSince;
    }

    /** A request's receiver left the cluster before it answered. */
    static final class NodeLeft extends RuntimeException {
        NodeLeft(String node) {
            super("node " + node + " left the cluster", null, false, false);
        }
    }

    private final GatewayVerticle gateway;
    private final Membership membership;
    private final EventBus bus;
    private final DeliveryOptions requestOptions;
    private final long backfillSeconds;
    private final long failureDetectionSeconds;
    private final int maxLimit;
    private final RecentDeliveries recent;
    /** Requests awaiting an answer, by the node they went to. */
    private final Map<String, Set<Promise<?>>> pending = new HashMap<>();
    private int nextIngest;
    private int nextQuery;

    ClusterTiers(GatewayVerticle gateway, Membership membership, EventBus bus, ClusterSettings cluster,
                 long requestTimeoutMillis, int maxLimit) {
        this.gateway = gateway;
        this.membership = membership;
        this.bus = bus;
        this.requestOptions = new DeliveryOptions().setSendTimeout(requestTimeoutMillis);
        this.backfillSeconds = cluster.backfillSeconds();
        this.failureDetectionSeconds = cluster.failureDetectionSeconds();
        this.maxLimit = maxLimit;
        this.recent = new RecentDeliveries(cluster.recentDeliveries());
    }

    // ---- ingest --------------------------------------------------------------------------------------------------

    @Override
    public Future<Message<IngestReply>> ingest(Event event) {
        Promise<Message<IngestReply>> answered = Promise.promise();
        ingest(new IngestRequest(event), null, answered);
        return answered.future();
    }

    /** @param refused nodes that had no handler for it (draining), or null */
    private void ingest(IngestRequest request, Set<String> refused, Promise<Message<IngestReply>> answered) {
        String node = pick(membership.ready(Role.INGEST), refused, nextIngest++);
        if (node == null) {
            answered.fail(NO_INGEST);
            return;
        }
        this.<IngestReply>request(node, Addresses.ingest(node), request).onComplete(ar -> {
            if (ar.succeeded()) {
                answered.complete(ar.result());
            } else if (noHandler(ar.cause()) || drainedBefore(ar.cause())) {
                // It never reached the node's ingest tier (which stopped taking events): safe to send elsewhere.
                Set<String> more = refused == null ? new HashSet<>(2) : refused;
                more.add(node);
                ingest(request, more, answered);
            } else {
                answered.fail(ar.cause()); // a node that left may or may not have stored it: the client resends
            }
        });
    }

    @Override
    public Future<Message<CountReply>> count(CountRequest request) {
        Promise<Message<CountReply>> answered = Promise.promise();
        count(request, null, answered);
        return answered.future();
    }

    /** NIP-45 counts go round-robin to the ready query nodes, like stored parts; a count reads only, so one that
     * did not reach its node's count tier (draining) goes to another. */
    private void count(CountRequest request, Set<String> refused, Promise<Message<CountReply>> answered) {
        String node = pick(membership.ready(Role.QUERY), refused, nextQuery++);
        if (node == null) {
            answered.fail(NO_QUERY);
            return;
        }
        this.<CountReply>request(node, Addresses.count(node), request).onComplete(ar -> {
            if (ar.succeeded()) {
                answered.complete(ar.result());
            } else if (noHandler(ar.cause())) {
                Set<String> more = refused == null ? new HashSet<>(2) : refused;
                more.add(node);
                count(request, more, answered);
            } else {
                answered.fail(ar.cause());
            }
        });
    }

    /** Round-robin over the ready nodes, skipping those that refused this piece of work; null when none is left. */
    private static String pick(List<String> ready, Set<String> refused, int turn) {
        List<String> nodes = ready;
        if (refused != null) {
            nodes = new ArrayList<>(ready);
            nodes.removeAll(refused);
        }
        return nodes.isEmpty() ? null : nodes.get(Math.floorMod(turn, nodes.size()));
    }

    /** The receiving node had no consumer for the address: the message was never handled. */
    private static boolean noHandler(Throwable cause) {
        return cause instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS;
    }

    /** A draining node received it just as it stopped listening, and did not handle it. */
    private static boolean drainedBefore(Throwable cause) {
        return cause instanceof ReplyException r && r.failureCode() == Addresses.DRAINING;
    }

    /** The fanout node did not take the subscription: it left, stopped listening, or is draining. */
    private static boolean notTaken(Throwable cause) {
        return cause instanceof NodeLeft || noHandler(cause)
                || drainedBefore(cause);
    }

    // ---- fanout --------------------------------------------------------------------------------------------------

    @Override
    public Future<Void> openLive(Subscription sub) {
        sub.route = new Route();
        Promise<Void> opened = Promise.promise();
        open(sub, null, opened);
        return opened.future();
    }

    /**
     * Sends the Open to the connection's home; if that node does not take it (it left, or is draining), to the next
     * home. A node that withdrew while the Open was on its way holds it only until it is re-homed.
     *
     * @param refused nodes that did not take it, or null
     */
    private void open(Subscription sub, Set<String> refused, Promise<Void> opened) {
        String home = home(sub.connection, refused);
        if (home == null) {
            opened.fail(NO_FANOUT);
            return;
        }
        sub.route.fanoutNode = home;
        sub.route.live = false;
        request(home, Addresses.fanoutSubscriptions(home),
                new SubscriptionChange.Open(gateway.gatewayId(), sub.connection.id, sub.serial, sub.liveFilters))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        sub.route.live = true;
                        opened.complete();
                        if (sub.isOpen() && !membership.ready(Role.FANOUT).contains(home)) {
                            rehome(sub, home);
                        }
                    } else if (notTaken(ar.cause()) && sub.isOpen()) {
                        Set<String> more = refused == null ? new HashSet<>(2) : refused;
                        more.add(home);
                        open(sub, more, opened);
                    } else {
                        opened.fail(ar.cause());
                    }
                });
    }

    /** The connection's fanout node: kept while it is ready, else chosen again among the ready ones. */
    private String home(Connection connection, Set<String> refused) {
        List<String> nodes = membership.ready(Role.FANOUT);
        String home = connection.fanoutNode;
        if (home == null || !nodes.contains(home) || refused != null && refused.contains(home)) {
            List<String> candidates = nodes;
            if (refused != null) {
                candidates = new ArrayList<>(nodes);
                candidates.removeAll(refused);
            }
            connection.fanoutNode = rendezvous(gateway.gatewayId() + "/" + connection.id, candidates);
        }
        return connection.fanoutNode;
    }

    /** Highest random weight: the same key picks the same node, and a node's departure moves only its keys. */
    static String rendezvous(String key, List<String> nodes) {
        String best = null;
        long bestWeight = Long.MIN_VALUE;
        for (String node : nodes) {
            long weight = mix(((long) key.hashCode() << 32) ^ node.hashCode());
            if (best == null || weight > bestWeight) {
                best = node;
                bestWeight = weight;
            }
        }
        return best;
    }

    /** SplitMix64's finalizer: spreads similar keys over the whole range. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public void closeLive(Subscription sub) {
        Route route = sub.route;
        if (route != null && route.fanoutNode != null) {
            bus.send(Addresses.fanoutSubscriptions(route.fanoutNode),
                    new SubscriptionChange.Close(gateway.gatewayId(), sub.connection.id, sub.serial));
        }
    }

    @Override
    public void connectionGone(Connection connection) {
        Set<String> nodes = new HashSet<>();
        if (connection.fanoutNode != null) {
            nodes.add(connection.fanoutNode);
        }
        for (Subscription sub : connection.subscriptions()) {
            if (sub.route != null && sub.route.fanoutNode != null) {
                nodes.add(sub.route.fanoutNode);
            }
        }
        for (String node : nodes) {
            bus.send(Addresses.fanoutSubscriptions(node),
                    new SubscriptionChange.ConnectionGone(gateway.gatewayId(), connection.id));
        }
    }

    // ---- query ---------------------------------------------------------------------------------------------------

    @Override
    public void queryStored(Subscription sub, List<Filter> filters, List<String> readers) {
        query(sub, filters, readers, null);
    }

    /**
     * Sends the stored part to a query node, which acknowledges it at once (the chunks follow as requests of their
     * own); a node that stopped listening (draining) did not take it, so it goes to another.
     */
    private void query(Subscription sub, List<Filter> filters, List<String> readers, Set<String> refused) {
        Route route = sub.route;
        route.storedFilters = filters;
        route.storedReaders = readers;
        String node = pick(membership.ready(Role.QUERY), refused, nextQuery++);
        route.queryNode = node;
        if (node == null) {
            failStored(sub, NO_QUERY);
            return;
        }
        request(node, Addresses.query(node), new QueryRequest(gateway.gatewayId(), sub.serial, filters, readers))
                .onComplete(ar -> {
                    if (ar.succeeded() || ar.cause() instanceof NodeLeft || !node.equals(route.queryNode)
                            || !sub.isOpen()) {
                        return; // taken; or its node left, and membershipChanged sent it elsewhere
                    }
                    if (noHandler(ar.cause())) {
                        Set<String> more = refused == null ? new HashSet<>(2) : refused;
                        more.add(node);
                        query(sub, filters, readers, more);
                    } else {
                        failStored(sub, "error: the query failed, try again");
                    }
                });
    }

    /** Through the inbox, as any chunk, so the subscription ends the way a failed query ends it. */
    private void failStored(Subscription sub, String reason) {
        sub.route.queryNode = null;
        bus.send(Addresses.gateway(gateway.gatewayId()), new QueryChunk(sub.serial, List.of(), List.of(), true, reason));
    }

    @Override
    public void storedPartEnded(Subscription sub) {
        Route route = sub.route;
        route.queryNode = null;
        route.storedFilters = null;
        route.storedReaders = null;
        if (route.pendingBackfillSince != null && sub.isOpen()) {
            long since = route.pendingBackfillSince;
            route.pendingBackfillSince = null;
            backfill(sub, since);
        }
    }

    @Override
    public long[][] deliveredBefore(String eventId, long[] serials) {
        return recent.record(eventId, serials);
    }

    @Override
    public boolean firstDelivery(String eventId, Subscription sub) {
        return !RecentDeliveries.contains(recent.record(eventId, new long[] {sub.serial}), sub.serial);
    }

    // ---- membership ----------------------------------------------------------------------------------------------

    /** On the gateway's loop after any change of the cluster: fail, move or re-home what the change touched. */
    void membershipChanged() {
        for (String node : new ArrayList<>(pending.keySet())) {
            if (!membership.isMember(node)) {
                NodeLeft left = new NodeLeft(node);
                for (Promise<?> p : pending.remove(node)) {
                    p.tryFail(left);
                }
            }
        }
        List<String> fanouts = membership.ready(Role.FANOUT);
        for (Subscription sub : gateway.subscriptionsSnapshot()) {
            Route route = sub.route;
            if (route == null || !sub.isOpen()) {
                continue;
            }
            if (route.live && !fanouts.contains(route.fanoutNode)) {
                rehome(sub, route.fanoutNode);
            }
            if (route.queryNode != null && !membership.isMember(route.queryNode)) {
                // Again elsewhere; what was sent is not sent twice.
                queryStored(sub, route.storedFilters, route.storedReaders);
            }
        }
    }

    /** Opens the subscription on another node, then backfills what the old one may not have delivered. */
    private void rehome(Subscription sub, String oldNode) {
        boolean died = !membership.isMember(oldNode);
        // The old node stopped delivering at most the failure-detection time ago if it died, or is still
        // delivering now if it withdrew; the window reaches backfill_seconds further back for late-dated events.
        long window = System.currentTimeMillis() / 1000 - backfillSeconds - (died ? failureDetectionSeconds : 0);
        // Events dated before the subscription began were its first stored part's to send (newest first, up to
        // its limit); a backfill that reached back further would send the client stored events it never asked for.
        long since = Math.max(window, sub.route.openedAt);
        Promise<Void> opened = Promise.promise();
        open(sub, null, opened);
        opened.future().onComplete(ar -> {
            if (!sub.isOpen()) {
                return;
            }
            if (ar.failed()) {
                sub.connection.endByRelay(sub, Connection.failureReason(ar.cause()));
                return;
            }
            if (!died && membership.isMember(oldNode)) {
                bus.send(Addresses.fanoutSubscriptions(oldNode),
                        new SubscriptionChange.Close(gateway.gatewayId(), sub.connection.id, sub.serial));
            }
            if (sub.route.queryNode != null) {
                Long waiting = sub.route.pendingBackfillSince;
                sub.route.pendingBackfillSince = waiting == null ? since : Math.min(waiting, since);
            } else {
                backfill(sub, since);
            }
        });
    }

    /** The subscription's stored part again, for events created since {@code since}, beside its live part. */
    private void backfill(Subscription sub, long since) {
        List<Filter> window = new ArrayList<>(sub.liveFilters.size());
        for (Filter f : sub.liveFilters) {
            long from = f.since() == null ? since : Math.max(f.since(), since);
            if (f.until() == null || f.until() >= from) {
                // NIP-01's limit bounds the first stored part only; a backfill takes all it may.
                window.add(new Filter(f.ids(), f.authors(), f.kinds(), f.tags(), from, f.until(), maxLimit));
            }
        }
        if (window.isEmpty()) {
            return;
        }
        sub.startBackfill();
        queryStored(sub, window, sub.connection.readers());
    }

    // ---- requests by node ----------------------------------------------------------------------------------------

    private <T> Future<Message<T>> request(String node, String address, Object body) {
        Promise<Message<T>> answered = Promise.promise();
        Set<Promise<?>> toNode = pending.computeIfAbsent(node, n -> new HashSet<>());
        toNode.add(answered);
        bus.<T>request(address, body, requestOptions).onComplete(ar -> {
            Set<Promise<?>> still = pending.get(node);
            if (still != null && still.remove(answered) && still.isEmpty()) {
                pending.remove(node);
            }
            if (ar.succeeded()) {
                answered.tryComplete(ar.result());
            } else {
                answered.tryFail(ar.cause());
            }
        });
        return answered.future();
    }
}
