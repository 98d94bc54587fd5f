package dev.strata.bus;

/** Every event-bus address the tiers use. Nothing else in the code base names an address. */
public final class Addresses {
    private Addresses() {
    }

    /** Gateway -> ingest, request/reply: {@link IngestRequest} answered by {@link IngestReply}. */
    public static final String INGEST = "strata.ingest";

    /** Ingest -> every fanout node, publish: {@link AcceptedEvent}. */
    public static final String FANOUT_EVENTS = "strata.fanout.events";

    /** Gateway -> fanout, request/reply: a {@link SubscriptionChange}, acknowledged once applied. */
    public static final String FANOUT_SUBSCRIPTIONS = "strata.fanout.subscriptions";

    /** Gateway -> query: {@link QueryRequest}; the answer streams back to the gateway as {@link QueryChunk}s. */
    public static final String QUERY = "strata.query";

    /** Anyone -> query, request/reply: a {@link StoreStatus} (for health checks). */
    public static final String STORE_STATUS = "strata.query.store-status";

    /** Where one gateway instance takes its {@link Delivery}s and {@link QueryChunk}s. */
    public static String gateway(String gatewayId) {
        return "strata.gateway." + gatewayId;
    }
}
