package dev.strata.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.strata.model.Event;
import dev.strata.model.Filter;
import dev.strata.model.KindClass;

/** NIP-01 storage in the plainest possible code: the oracle the engines are compared with. */
final class ReferenceStore {
    static final Comparator<Event> NEWEST_FIRST =
            Comparator.comparingLong(Event::createdAt).reversed().thenComparing(Event::id);

    private final Map<String, Event> byId = new HashMap<>();
    private final Map<String, Event> currentVersion = new HashMap<>();

    WriteResult write(Event e) {
        if (e.kindClass() == KindClass.EPHEMERAL) {
            return WriteResult.EPHEMERAL;
        }
        if (byId.containsKey(e.id())) {
            return WriteResult.DUPLICATE;
        }
        if (e.kindClass() == KindClass.REPLACEABLE || e.kindClass() == KindClass.ADDRESSABLE) {
            String key = e.pubkey() + ":" + e.kind() + (e.kindClass() == KindClass.ADDRESSABLE ? ":" + e.dTag() : "");
            Event current = currentVersion.get(key);
            if (current != null) {
                boolean newer = e.createdAt() > current.createdAt()
                        || (e.createdAt() == current.createdAt() && e.id().compareTo(current.id()) < 0);
                if (!newer) {
                    return WriteResult.STALE;
                }
                byId.remove(current.id());
            }
            currentVersion.put(key, e);
        }
        byId.put(e.id(), e);
        return WriteResult.STORED;
    }

    /** NIP-45: the distinct events matching any filter. */
    List<Event> countable(List<Filter> filters) {
        List<Event> out = new ArrayList<>();
        for (Event e : byId.values()) {
            if (Filter.anyMatches(filters, e)) {
                out.add(e);
            }
        }
        return out;
    }

    List<Event> query(Filter filter) {
        List<Event> out = new ArrayList<>();
        for (Event e : byId.values()) {
            if (filter.matches(e)) {
                out.add(e);
            }
        }
        out.sort(NEWEST_FIRST);
        return out;
    }
}
