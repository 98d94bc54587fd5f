package dev.strata.model;

/**
 * A client message the relay cannot act on, carrying the reply NIP-01 calls for: an {@code OK false} when the
 * event id is known, a {@code CLOSED} when the subscription id is known, a {@code NOTICE} otherwise.
 */
public final class MalformedMessageException extends Exception {
    private final RelayMessage reply;

    private MalformedMessageException(RelayMessage reply, String reason) {
        // No stack trace: a hostile client can make us build many of these.
        super(reason, null, false, false);
        this.reply = reply;
    }

    static MalformedMessageException notice(String reason) {
        return new MalformedMessageException(new RelayMessage.Notice(reason), reason);
    }

    static MalformedMessageException ok(String eventId, String reason) {
        return new MalformedMessageException(new RelayMessage.Ok(eventId, false, reason), reason);
    }

    static MalformedMessageException closed(String subscriptionId, String reason) {
        return new MalformedMessageException(new RelayMessage.Closed(subscriptionId, reason), reason);
    }

    /** What the relay sends back; the connection stays open. */
    public RelayMessage reply() {
        return reply;
    }
}
