package dev.strata.store;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.strata.model.Event;

/** One caller's {@code write}: its events, their results as transactions commit, and the stage to complete. */
final class WriteRequest {
    final List<Event> events;
    /** Each event's JSON in UTF-8, encoded by the caller's thread rather than the writer's. */
    final byte[][] jsons;
    final WriteResult[] results;
    final CompletableFuture<List<WriteResult>> done = new CompletableFuture<>();
    /** Events before this index have committed results. Touched by the writer thread only. */
    int decided;

    WriteRequest(List<Event> events, List<String> jsons) {
        if (events.size() != jsons.size()) {
            throw new IllegalArgumentException("events and jsons differ in length");
        }
        this.events = List.copyOf(events);
        this.jsons = new byte[jsons.size()][];
        for (int i = 0; i < this.jsons.length; i++) {
            this.jsons[i] = jsons.get(i).getBytes(StandardCharsets.UTF_8);
        }
        this.results = new WriteResult[this.events.size()];
    }

    boolean isDecided() {
        return decided == events.size();
    }
}
