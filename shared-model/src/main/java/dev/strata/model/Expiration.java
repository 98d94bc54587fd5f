package dev.strata.model;

import java.util.List;
import java.util.OptionalLong;

/**
 * NIP-40: an event's {@code ["expiration", "<unix seconds>"]} tag. The event counts as expired from that second on
 * (the NIP calls it "the time at which the message should be deleted").
 */
public final class Expiration {
    public static final String TAG = "expiration";

    private Expiration() {
    }

    /**
     * The time the first expiration tag names, when its value is a non-negative decimal integer of at most 63 bits;
     * empty without one (or when the first one is malformed: see {@link #isMalformed}).
     */
    public static OptionalLong of(Event e) {
        List<String> tag = first(e);
        if (tag == null || tag.size() < 2) {
            return OptionalLong.empty();
        }
        long value = parse(tag.get(1));
        return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** The first expiration tag has no value, or one that is not a Unix time in decimal seconds. */
    public static boolean isMalformed(Event e) {
        List<String> tag = first(e);
        return tag != null && (tag.size() < 2 || parse(tag.get(1)) < 0);
    }

    /** Whether the event has expired at {@code nowSeconds}. */
    public static boolean isExpired(Event e, long nowSeconds) {
        OptionalLong at = of(e);
        return at.isPresent() && at.getAsLong() <= nowSeconds;
    }

    private static List<String> first(Event e) {
        for (List<String> tag : e.tags()) {
            if (tag.get(0).equals(TAG)) {
                return tag;
            }
        }
        return null;
    }

    /** Plain digits only (no sign, no spaces), at most 18 of them so no overflow; -1 when not. */
    private static long parse(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
