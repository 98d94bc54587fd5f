package dev.strata.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.strata.model.Event;

/** One caller's {@code write}: its events, their results as transactions commit, and the stage to complete. */
final class WriteRequest {
    final List<Event> events;
    final WriteResult[] results;
    final CompletableFuture<List<WriteResult>> done = new CompletableFuture<>();
    /** Events before this index have committed results. Touched by the writer thread only. */
    int decided;

    WriteRequest(List<Event> events) {
        this.events = List.copyOf(events);
        this.results = new WriteResult[this.events.size()];
    }

    boolean isDecided() {
        return decided == events.size();
    }
}
