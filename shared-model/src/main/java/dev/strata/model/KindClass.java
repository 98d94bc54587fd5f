package dev.strata.model;

/** How a relay stores an event of a given kind (NIP-01). */
public enum KindClass {
    /** Stored as is; every event is kept. */
    REGULAR,
    /** Only the newest per (pubkey, kind) is kept. */
    REPLACEABLE,
    /** Forwarded to live subscriptions, never stored. */
    EPHEMERAL,
    /** Only the newest per (pubkey, kind, d tag) is kept. */
    ADDRESSABLE;

    public static final int MAX_KIND = 65535;

    /**
     * NIP-01 ranges. Kinds the current text leaves unclassified (45–999, 40000–65535) are treated as regular, as
     * the older text did and as most relays do.
     */
    public static KindClass of(int kind) {
        if (kind == 0 || kind == 3 || (kind >= 10000 && kind < 20000)) {
            return REPLACEABLE;
        }
        if (kind >= 20000 && kind < 30000) {
            return EPHEMERAL;
        }
        if (kind >= 30000 && kind < 40000) {
            return ADDRESSABLE;
        }
        return REGULAR;
    }
}
