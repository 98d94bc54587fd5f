package dev.strata.gateway;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.strata.model.Filter;
import dev.strata.model.Json;

/** One REQ on one connection, from registration through EOSE to its end. */
final class Subscription {
    final Connection connection;
    final String id;
    final long serial;
    final List<Filter> filters;
    /** What fanout (and a backfill) gets: NIP-50 search filters select stored events only (see {@code Filter}). */
    final List<Filter> liveFilters;
    /**
     * Ids sent before EOSE, so an event that arrives both live and from the stored query goes out once (NIP-01: each
     * event once per subscription). Bounded by the query's limit plus the live events of that short window; dropped
     * at EOSE, after which only live events flow.
     */
    private Set<String> sentBeforeEose = new HashSet<>();
    /** {@code ["EVENT",<id>,} in UTF-8, made at the first delivery. */
    private byte[] eventPrefix;
    /** The stored part now running is a backfill after a re-homing (no EOSE at its end). */
    private boolean backfilling;
    /** In a cluster, where its parts run; null in one JVM. */
    ClusterTiers.Route route;

    Subscription(Connection connection, String id, long serial, List<Filter> filters) {
        this.connection = connection;
        this.id = id;
        this.serial = serial;
        this.filters = filters;
        this.liveFilters = filters.stream().noneMatch(f -> f.search() != null) ? filters
                : filters.stream().filter(f -> f.search() == null).toList();
    }

    /** True when this event has not gone out on this subscription yet. */
    boolean firstSending(String eventId) {
        return sentBeforeEose == null || sentBeforeEose.add(eventId);
    }

    byte[] eventPrefix() {
        if (eventPrefix == null) {
            eventPrefix = ("[\"EVENT\"," + Json.quote(id) + ",").getBytes(StandardCharsets.UTF_8);
        }
        return eventPrefix;
    }

    void storedPartDone() {
        sentBeforeEose = null;
        backfilling = false;
    }

    /** A backfill is a stored part again: what it and the live part send is de-duplicated until it ends. */
    void startBackfill() {
        sentBeforeEose = new HashSet<>();
        backfilling = true;
    }

    boolean isBackfilling() {
        return backfilling;
    }

    boolean isOpen() {
        return connection.holds(this);
    }
}
