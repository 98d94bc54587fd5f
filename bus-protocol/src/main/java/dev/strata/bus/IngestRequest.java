package dev.strata.bus;

import dev.strata.model.Event;

/** A client published an event; ingest validates, stores and answers with an {@link IngestReply}. */
public record IngestRequest(Event event) {
}
