package dev.strata.store;

import java.util.Arrays;

import dev.strata.model.Filter;
import dev.strata.model.Hex;

/**
 * The stretch of the newest-first order one page walks, as index positions (inverted time, id): it starts at
 * {@code until} or just after the caller's cursor, whichever comes later, and ends at {@code since}.
 *
 * @param startExclusive the start position itself was already examined by an earlier page
 */
record Range(long startTime, byte[] startId, boolean startExclusive, long endTime) {
    private static final byte[] LOWEST_ID = new byte[Keys.ID_BYTES];

    static Range of(Filter filter, QueryCursor after) {
        long untilTime = filter.until() == null ? 0 : Keys.invertedTime(filter.until());
        // Every created_at is at least 0, so a negative since bounds nothing.
        long endTime = Keys.invertedTime(filter.since() == null ? 0 : Math.max(0, filter.since()));
        if (after == null) {
            return new Range(untilTime, LOWEST_ID, false, endTime);
        }
        if (after.createdAt() < 0 || after.id() == null || !Hex.isLowerHex(after.id(), 64)) {
            throw new IllegalArgumentException("not a query cursor: " + after);
        }
        long afterTime = Keys.invertedTime(after.createdAt());
        return afterTime >= untilTime
                ? new Range(afterTime, Keys.id(after.id()), true, endTime)
                : new Range(untilTime, LOWEST_ID, false, endTime);
    }

    /** Whether the walk reaches this position. */
    boolean contains(long time, byte[] id) {
        if (time > endTime || time < startTime) {
            return false;
        }
        if (time > startTime) {
            return true;
        }
        int c = Arrays.compareUnsigned(id, startId);
        return startExclusive ? c > 0 : c >= 0;
    }

    boolean isStart(long time, byte[] id) {
        return time == startTime && Arrays.equals(id, startId);
    }
}
