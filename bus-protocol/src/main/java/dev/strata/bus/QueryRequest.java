package dev.strata.bus;

import java.util.List;

import dev.strata.model.Filter;

/** Run the stored part of subscription {@code serial} and stream it back to {@link Addresses#gateway(String)}. */
public record QueryRequest(String gatewayId, long serial, List<Filter> filters) {
    public QueryRequest {
        filters = List.copyOf(filters);
    }
}
