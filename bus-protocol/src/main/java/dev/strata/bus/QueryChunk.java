package dev.strata.bus;

import java.util.List;

/**
 * Part of a stored query's answer, sent as a request: the gateway replies {@code true} to get the next chunk (once
 * it has written this one to a socket that is keeping up) or {@code false} when the subscription is gone.
 *
 * @param ids          the events' ids, parallel to {@code eventJsons}, for de-duplication against live events
 * @param last         no chunk follows: the gateway sends EOSE, or CLOSED when {@code closedReason} is set
 * @param closedReason why the query ended early ("prefix: text"), or null
 */
public record QueryChunk(long serial, List<String> ids, List<String> eventJsons, boolean last,
                         String closedReason) {
    public QueryChunk {
        ids = List.copyOf(ids);
        eventJsons = List.copyOf(eventJsons);
        if (ids.size() != eventJsons.size()) {
            throw new IllegalArgumentException("ids and events differ in length");
        }
    }
}
