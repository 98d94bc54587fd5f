package dev.strata.bus;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Part of a stored query's answer, sent as a request: the gateway replies {@code true} to get the next chunk (once
 * it has written this one to a socket that is keeping up) or {@code false} when the subscription is gone.
 *
 * @param ids          the events' ids, parallel to {@code eventJsons}, for de-duplication against live events
 * @param eventJsons   the events' JSON in UTF-8, as stored and as the socket gets it (shared, never written to)
 * @param last         no chunk follows: the gateway sends EOSE, or CLOSED when {@code closedReason} is set
 * @param closedReason why the query ended early ("prefix: text"), or null
 */
public record QueryChunk(long serial, List<String> ids, List<byte[]> eventJsons, boolean last,
                         String closedReason) {
    public QueryChunk {
        ids = List.copyOf(ids);
        eventJsons = List.copyOf(eventJsons);
        if (ids.size() != eventJsons.size()) {
            throw new IllegalArgumentException("ids and events differ in length");
        }
    }

    /** By content (a record compares arrays by identity). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof QueryChunk c) || c.serial != serial || c.last != last || !c.ids.equals(ids)
                || !Objects.equals(c.closedReason, closedReason) || c.eventJsons.size() != eventJsons.size()) {
            return false;
        }
        for (int i = 0; i < eventJsons.size(); i++) {
            if (!Arrays.equals(c.eventJsons.get(i), eventJsons.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(serial) * 31 + ids.hashCode();
    }
}
