package dev.strata.store;

import java.util.List;

/**
 * One page of a query.
 *
 * @param events  newest first
 * @param next    where the following page starts; null when the filter has no more matches
 * @param scanned index entries examined for this page (counts against the query's scan budget)
 */
public record QueryPage(List<StoredEvent> events, QueryCursor next, long scanned) {
    public QueryPage {
        events = List.copyOf(events);
    }
}
