package dev.strata.bus;

import java.util.List;

import dev.strata.model.Filter;

/**
 * Run the stored part of subscription {@code serial} and stream it back to {@link Addresses#gateway(String)}.
 *
 * @param readers the pubkeys the connection has authenticated (NIP-42), which decide whether it may see events of
 *                private kinds; empty when it has none
 */
public record QueryRequest(String gatewayId, long serial, List<Filter> filters, List<String> readers) {
    public QueryRequest {
        filters = List.copyOf(filters);
        readers = List.copyOf(readers);
    }
}
