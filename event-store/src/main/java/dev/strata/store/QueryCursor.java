package dev.strata.store;

/**
 * Where the next page of a query starts. In the newest-first order: strictly after the event (createdAt, id), i.e.
 * with older events, or equally old ones with a greater id. For a search (NIP-50), whose order is best match first:
 * strictly after the event of that {@code score} (an engine's own measure, higher is better), then (createdAt, id)
 * as above.
 *
 * @param score null for the newest-first order
 */
public record QueryCursor(long createdAt, String id, Float score) {

    /** A cursor in the newest-first order. */
    public QueryCursor(long createdAt, String id) {
        this(createdAt, id, null);
    }
}
