package dev.strata.bus;

import dev.strata.model.Event;

/**
 * An event ingest accepted (stored, or ephemeral), on its way to live subscribers. {@code json} is its text as
 * stored, serialized once by ingest and forwarded unchanged to every subscriber.
 */
public record AcceptedEvent(Event event, String json) {
}
