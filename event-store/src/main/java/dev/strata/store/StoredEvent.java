package dev.strata.store;

/**
 * An event as a query returns it: the JSON text as stored (sent to clients without re-encoding) and the two fields
 * the query tier needs for ordering and de-duplication.
 */
public record StoredEvent(String id, long createdAt, String json) {
}
