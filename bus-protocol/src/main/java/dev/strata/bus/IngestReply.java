package dev.strata.bus;

/** The verdict on one event, sent to the client as {@code ["OK", id, accepted, message]}. */
public record IngestReply(boolean accepted, String message) {
}
