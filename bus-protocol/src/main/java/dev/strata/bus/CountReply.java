package dev.strata.bus;

/**
 * The answer to a {@link CountRequest}: the count (and the registers when asked for), or why it was refused.
 *
 * @param hll          512 hex characters, or null
 * @param closedReason "prefix: text" when the count was refused (the client gets CLOSED), else null
 */
public record CountReply(long count, String hll, String closedReason) {

    public static CountReply refused(String reason) {
        return new CountReply(0, null, reason);
    }
}
