package dev.strata.store;

/**
 * A position in the newest-first order: the next page starts strictly after the event (createdAt, id), i.e. with
 * older events, or equally old ones with a greater id.
 */
public record QueryCursor(long createdAt, String id) {
}
