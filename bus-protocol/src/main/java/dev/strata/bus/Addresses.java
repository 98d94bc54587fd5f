package dev.strata.bus;

/** Every event-bus address the tiers use. Nothing else in the code base names an address. */
public final class Addresses {
    private Addresses() {
    }

    /**
     * The failure code of a request a draining node did not take (a subscription it will not open, an event it
     * received as it stopped listening): the sender may give it to another node.
     */
    public static final int DRAINING = 503;

    /** Gateway -> ingest, request/reply: {@link IngestRequest} answered by {@link IngestReply}. */
    public static final String INGEST = "strata.ingest";

    /** Ingest -> every fanout node, publish: {@link AcceptedEvent}. */
    public static final String FANOUT_EVENTS = "strata.fanout.events";

    /** Gateway -> fanout, request/reply: a {@link SubscriptionChange}, acknowledged once applied. */
    public static final String FANOUT_SUBSCRIPTIONS = "strata.fanout.subscriptions";

    /** Gateway -> query: {@link QueryRequest}; the answer streams back to the gateway as {@link QueryChunk}s. */
    public static final String QUERY = "strata.query";

    /** Gateway -> query, request/reply: {@link CountRequest} answered by {@link CountReply} (NIP-45). */
    public static final String COUNT = "strata.query.count";

    /** Anyone -> query, request/reply: a {@link StoreStatus} (for health checks). */
    public static final String STORE_STATUS = "strata.query.store-status";

    /** Where one gateway instance takes its {@link Delivery}s and {@link QueryChunk}s. */
    public static String gateway(String gatewayId) {
        return "strata.gateway." + gatewayId;
    }

    // In a cluster a gateway picks the node that does each piece of work, so it can tell when that node is gone (the
    // clustered bus never fails a request whose receiver died; it lets it time out). Ingest, query and fanout nodes
    // therefore also listen on addresses of their own.

    /** {@link #INGEST} on one node. */
    public static String ingest(String nodeId) {
        return INGEST + "." + nodeId;
    }

    /** {@link #QUERY} on one node. */
    public static String query(String nodeId) {
        return QUERY + "." + nodeId;
    }

    /** {@link #COUNT} on one node. */
    public static String count(String nodeId) {
        return COUNT + "." + nodeId;
    }

    /** {@link #FANOUT_SUBSCRIPTIONS} on one node: the live subscriptions homed there. */
    public static String fanoutSubscriptions(String nodeId) {
        return FANOUT_SUBSCRIPTIONS + "." + nodeId;
    }

    /** A clustered gateway's id: its node's id, a dot, its own. */
    public static String clusteredGatewayId(String nodeId, String instanceId) {
        return nodeId + "." + instanceId;
    }

    /** The node of a clustered gateway id, or null for a one-JVM gateway's (which has no dot). */
    public static String nodeOfGateway(String gatewayId) {
        int dot = gatewayId.lastIndexOf('.');
        return dot < 0 ? null : gatewayId.substring(0, dot);
    }
}
