package dev.strata.model;

/** A filter the relay refuses; the message is the client-facing reason with its prefix. */
public final class InvalidFilterException extends Exception {
    public InvalidFilterException(String reason) {
        super(reason, null, false, false);
    }
}
