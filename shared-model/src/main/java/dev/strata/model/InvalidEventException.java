package dev.strata.model;

/**
 * An event object that does not follow NIP-01. The message is the client-facing reason with its prefix,
 * e.g. {@code invalid: kind must be an integer from 0 to 65535}.
 */
public final class InvalidEventException extends Exception {
    public InvalidEventException(String reason) {
        // No stack trace: hostile clients can make us build many of these.
        super(reason, null, false, false);
    }
}
