package dev.strata.bus;

import java.util.Arrays;

/**
 * Fanout -> the gateway owning the subscribers: one event and the serials of every subscription on that gateway it
 * matched.
 */
public record Delivery(String eventId, String eventJson, long[] serials) {
    @Override
    public boolean equals(Object o) {
        return o instanceof Delivery d && eventId.equals(d.eventId) && eventJson.equals(d.eventJson)
                && Arrays.equals(serials, d.serials);
    }

    @Override
    public int hashCode() {
        return eventId.hashCode() * 31 + Arrays.hashCode(serials);
    }

    @Override
    public String toString() {
        return "Delivery[" + eventId + " to " + Arrays.toString(serials) + "]";
    }
}
