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
        EPHEMERAL
    }

    public static final WriteResult STORED = new WriteResult(Status.STORED);
    public static final WriteResult DUPLICATE = new WriteResult(Status.DUPLICATE);
    public static final WriteResult STALE = new WriteResult(Status.STALE);
    public static final WriteResult EPHEMERAL = new WriteResult(Status.EPHEMERAL);
}
