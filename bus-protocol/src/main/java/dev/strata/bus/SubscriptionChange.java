package dev.strata.bus;

import java.util.List;

import dev.strata.model.Filter;

/**
 * What a gateway tells fanout about its live subscriptions. The gateway owns the truth; fanout mirrors it.
 *
 * <p>A subscription is named by a serial the gateway assigns to each REQ, unique per gateway: a REQ that replaces
 * another under the same client subscription id gets a new serial, so late deliveries for the old filters are
 * recognised and dropped.
 */
public sealed interface SubscriptionChange {
    String gatewayId();

    /** Start a live subscription. */
    record Open(String gatewayId, long connectionId, long serial, List<Filter> filters)
            implements SubscriptionChange {
        public Open {
            filters = List.copyOf(filters);
        }
    }

    /** The client closed or replaced it, or the gateway ended it. */
    record Close(String gatewayId, long connectionId, long serial) implements SubscriptionChange {
    }

    /** The connection is gone, and with it all its subscriptions. */
    record ConnectionGone(String gatewayId, long connectionId) implements SubscriptionChange {
    }
}
