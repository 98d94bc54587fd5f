package dev.strata.query;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.strata.bus.Addresses;
import dev.strata.bus.Codecs;
import dev.strata.bus.Membership;
import dev.strata.bus.QueryChunk;
import dev.strata.bus.QueryRequest;
import dev.strata.bus.StoreStatus;
import dev.strata.model.Filter;
import dev.strata.model.PrivateKinds;
import dev.strata.store.EventStore;
import dev.strata.store.QueryCursor;
import dev.strata.store.QueryPage;
import dev.strata.store.StoredEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Answers the stored part of a REQ. A query is served page by page: each page is one bounded store read, and the
 * next page is read only after the gateway has taken the previous chunk, so a deep query never holds more than a
 * page in memory and interleaves fairly with every other query.
 */
public final class QueryVerticle extends AbstractVerticle {
    static final String TOO_BROAD = "blocked: query scanned too many events; narrow it with authors, kinds, "
            + "tags or a time window";

    private static final long FINISH_MILLIS = 10_000;

    private final EventStore store;
    private final String engine;
    private int pageSize;
    private long pageBytes;
    private long scanBudget;
    private int pageScan;
    private int defaultLimit;
    private int maxLimit;
    private int maxActive;
    private PrivateKinds privateKinds;
    private DeliveryOptions chunkOptions;
    private int active;
    private final List<MessageConsumer<?>> consumers = new ArrayList<>();

    public QueryVerticle(EventStore store, String engine) {
        this.store = store;
        this.engine = engine;
    }

    @Override
    public void start(Promise<Void> started) {
        Codecs.register(vertx);
        pageSize = config().getInteger("query.page_size");
        pageBytes = config().getInteger("query.page_bytes");
        scanBudget = config().getLong("query.scan_budget");
        pageScan = Math.max(pageSize, (int) Math.min(Integer.MAX_VALUE, scanBudget / 16));
        defaultLimit = config().getInteger("limits.default_limit");
        maxLimit = config().getInteger("limits.max_limit");
        maxActive = config().getInteger("query.max_active");
        privateKinds = PrivateKinds.parse(config().getString("auth.private_kinds"));
        chunkOptions = new DeliveryOptions().setSendTimeout(config().getLong("bus.request_timeout_ms"));
        // In a cluster gateways pick the query node, so they can move a query whose node dies (see Addresses).
        String node = config().getString(Membership.NODE_ID_CONFIG);
        consumers.add(vertx.eventBus().<QueryRequest>consumer(node == null ? Addresses.QUERY : Addresses.query(node),
                m -> {
                    if (node != null) {
                        m.reply(Boolean.TRUE); // taken: the clustered gateway knows not to send it elsewhere
                    }
                    run(m.body());
                }));
        consumers.add(vertx.eventBus().consumer(Addresses.STORE_STATUS,
                m -> m.reply(new StoreStatus(engine, store.diskSizeBytes()))));
        Future.all(consumers.stream().map(MessageConsumer::completion).toList())
                .<Void>mapEmpty().onComplete(started);
    }

    private void run(QueryRequest request) {
        String gateway = Addresses.gateway(request.gatewayId());
        if (active >= maxActive) {
            vertx.eventBus().send(gateway, new QueryChunk(request.serial(), List.of(), List.of(), true,
                    "rate-limited: too many queries in progress, try again"));
            return;
        }
        active++;
        new Run(request, gateway).nextFilter();
    }

    /** One REQ's stored part: its filters in turn, each newest first up to its limit. */
    private final class Run {
        private final QueryRequest request;
        private final String gateway;
        /** NIP-01: an event matching several filters of one REQ is sent once. */
        private final Set<String> sent = new HashSet<>();
        private int filterIndex = -1;
        private Filter filter;
        /** NIP-42: the filter may match events of private kinds, which only their parties may see. */
        private boolean mayMatchPrivate;
        private int remaining;
        private long budget = scanBudget;

        Run(QueryRequest request, String gateway) {
            this.request = request;
            this.gateway = gateway;
        }

        void nextFilter() {
            filterIndex++;
            if (filterIndex == request.filters().size()) {
                finish(null);
                return;
            }
            filter = request.filters().get(filterIndex);
            mayMatchPrivate = privateKinds.reachableBy(filter);
            remaining = filter.effectiveLimit(defaultLimit, maxLimit);
            page(null);
        }

        void page(QueryCursor after) {
            if (remaining == 0) {
                nextFilter();
                return;
            }
            if (budget <= 0) {
                finish(TOO_BROAD);
                return;
            }
            // NIP-50: a search ranks all its matches in one page, so its page may use the whole budget left.
            int maxScanned = (int) Math.min(filter.search() != null ? Integer.MAX_VALUE : pageScan, budget);
            Future.fromCompletionStage(store.query(filter, after, Math.min(pageSize, remaining), maxScanned,
                            pageBytes), context)
                    .onSuccess(this::deliver)
                    .onFailure(e -> finish(StoreFailures.reason(e, "error: the query failed, try again")));
        }

        void deliver(QueryPage page) {
            budget -= page.scanned();
            List<String> ids = new ArrayList<>(page.events().size());
            List<byte[]> jsons = new ArrayList<>(page.events().size());
            for (StoredEvent e : page.events()) {
                if (mayMatchPrivate && !PrivateKinds.mayRead(privateKinds.partiesOf(e.json()), request.readers())) {
                    continue; // left out before the limit counts it, so the reader still gets its limit's worth
                }
                remaining--;
                if (sent.add(e.id())) {
                    ids.add(e.id());
                    jsons.add(e.utf8());
                }
            }
            QueryCursor next = remaining == 0 ? null : page.next();
            if (next == null && filterIndex == request.filters().size() - 1) {
                // The common small query: its only page travels with the EOSE, one message in all.
                active--;
                vertx.eventBus().send(gateway, new QueryChunk(request.serial(), ids, jsons, true, null));
                return;
            }
            if (ids.isEmpty()) {
                continueAfter(next);
                return;
            }
            vertx.eventBus().<Boolean>request(gateway, new QueryChunk(request.serial(), ids, jsons, false, null),
                    chunkOptions).onComplete(ar -> {
                        if (ar.succeeded() && Boolean.TRUE.equals(ar.result().body())) {
                            continueAfter(next);
                        } else {
                            active--; // the subscription is gone, or its gateway: stop reading
                        }
                    });
        }

        private void continueAfter(QueryCursor next) {
            if (next == null) {
                nextFilter();
            } else {
                page(next);
            }
        }

        void finish(String closedReason) {
            active--;
            vertx.eventBus().send(gateway, new QueryChunk(request.serial(), List.of(), List.of(), true,
                    closedReason));
        }
    }

    /** Take no new queries; let those running finish, {@link #FINISH_MILLIS} at most. */
    @Override
    public void stop(Promise<Void> stopped) {
        Future.join(consumers.stream().map(MessageConsumer::unregister).toList()).onComplete(v -> {
            long deadline = System.currentTimeMillis() + FINISH_MILLIS;
            if (active == 0) {
                stopped.complete();
                return;
            }
            vertx.setPeriodic(20, timer -> {
                if (active == 0 || System.currentTimeMillis() > deadline) {
                    vertx.cancelTimer(timer);
                    stopped.complete();
                }
            });
        });
    }
}
