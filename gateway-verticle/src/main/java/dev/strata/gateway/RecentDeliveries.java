package dev.strata.gateway;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The last events a clustered gateway sent, each with the subscriptions (serials) it went to, so that a re-homed
 * subscription's backfill, or an event reaching it by two fanout nodes during the move, goes out once. Bounded: past
 * {@code capacity} events the oldest is forgotten, and a backfill reaching further back than what is remembered may
 * repeat an event (it never skips one).
 */
final class RecentDeliveries {
    private static final long[] NONE = new long[0];

    private final int capacity;
    private final Map<String, long[]> serialsById;
    private final ArrayDeque<String> order;

    RecentDeliveries(int capacity) {
        this.capacity = capacity;
        this.serialsById = new HashMap<>(Math.min(capacity, 1 << 16) * 2);
        this.order = new ArrayDeque<>(Math.min(capacity, 1 << 16));
    }

    /** Records that the event goes to the subscription; false when it already went there. */
    boolean firstTime(String eventId, long serial) {
        long[] serials = serialsById.get(eventId);
        if (serials == null) {
            if (order.size() == capacity) {
                serialsById.remove(order.removeFirst());
            }
            order.addLast(eventId);
            serials = NONE;
        }
        for (long s : serials) {
            if (s == serial) {
                return false;
            }
        }
        long[] more = Arrays.copyOf(serials, serials.length + 1);
        more[serials.length] = serial;
        serialsById.put(eventId, more);
        return true;
    }

    int size() {
        return order.size();
    }
}
