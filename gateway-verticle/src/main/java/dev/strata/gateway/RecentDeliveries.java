package dev.strata.gateway;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The last events a clustered gateway sent, each with the subscriptions (serials) it went to, so that a re-homed
 * subscription's backfill, or an event reaching it by two fanout nodes during the move, goes out once. An event
 * normally arrives once (one delivery listing every matched subscription), so the common case is one map lookup
 * per event and no copy: the delivery's own serials are kept. Bounded: past {@code capacity} events the oldest is
 * forgotten, and a backfill reaching further back than what is remembered may repeat an event (never skip one).
 */
final class RecentDeliveries {
    private final int capacity;
    private final Map<String, long[][]> sentTo;
    private final ArrayDeque<String> order;

    RecentDeliveries(int capacity) {
        this.capacity = capacity;
        this.sentTo = new HashMap<>(Math.min(capacity, 1 << 16) * 2);
        this.order = new ArrayDeque<>(Math.min(capacity, 1 << 16));
    }

    /**
     * Records that the event goes to these subscriptions and returns the serials it went to before, or null when it
     * went nowhere yet. {@code serials} is kept as it is: the caller must not change it.
     */
    long[][] record(String eventId, long[] serials) {
        long[][] before = sentTo.get(eventId);
        if (before == null) {
            if (order.size() == capacity) {
                sentTo.remove(order.removeFirst());
            }
            order.addLast(eventId);
            sentTo.put(eventId, new long[][] {serials});
            return null;
        }
        long[][] more = Arrays.copyOf(before, before.length + 1);
        more[before.length] = serials;
        sentTo.put(eventId, more);
        return before;
    }

    static boolean contains(long[][] sets, long serial) {
        if (sets != null) {
            for (long[] set : sets) {
                for (long s : set) {
                    if (s == serial) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    int size() {
        return order.size();
    }
}
