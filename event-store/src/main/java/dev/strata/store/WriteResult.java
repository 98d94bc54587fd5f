package dev.strata.store;

/** What became of one written event. */
public record WriteResult(Status status) {
    public enum Status {
        /** Newly stored and committed. */
        STORED,
        /** An event with this id was already stored. */
        DUPLICATE,
        /** A replaceable or addressable event older than (or tied and losing to) the stored version. */
        STALE,
        /** An ephemeral event: never stored. */
        EPHEMERAL,
        /**
         * Refused: its author deleted this id, or this address up to a created_at at or after this one (NIP-09).
         */
        DELETED,
        /**
         * Refused: its author (or, for a gift wrap, its recipient) asked to vanish up to a created_at at or after
         * this one (NIP-62).
         */
        VANISHED
    }

    public static final WriteResult STORED = new WriteResult(Status.STORED);
    public static final WriteResult DUPLICATE = new WriteResult(Status.DUPLICATE);
    public static final WriteResult STALE = new WriteResult(Status.STALE);
    public static final WriteResult EPHEMERAL = new WriteResult(Status.EPHEMERAL);
    public static final WriteResult DELETED = new WriteResult(Status.DELETED);
    public static final WriteResult VANISHED = new WriteResult(Status.VANISHED);
}
