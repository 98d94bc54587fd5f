package dev.strata.store;

import java.util.ArrayList;
import java.util.List;

import dev.strata.model.Event;

/**
 * Index changes that primary transactions committed and the index environment has not yet: each event stored is
 * to be indexed, each event removed (a replaced version) unindexed, in the order they happened, so that an event
 * stored and replaced in one batch leaves no entry behind.
 */
final class IndexWork {
    record Change(boolean add, Event event, byte[] id) {
    }

    private final List<Change> changes = new ArrayList<>();

    void add(Event e, byte[] id) {
        changes.add(new Change(true, e, id));
    }

    void remove(Event e, byte[] id) {
        changes.add(new Change(false, e, id));
    }

    boolean isEmpty() {
        return changes.isEmpty();
    }

    int size() {
        return changes.size();
    }

    /** Forgets the changes from {@code size} on: a primary transaction that added them did not commit. */
    void truncate(int size) {
        changes.subList(size, changes.size()).clear();
    }

    List<Change> changes() {
        return changes;
    }
}
