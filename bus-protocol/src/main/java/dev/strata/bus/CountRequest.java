package dev.strata.bus;

import java.util.List;

import dev.strata.model.Filter;

/**
 * NIP-45: count the stored events matching any of the filters; answered by a {@link CountReply}.
 *
 * @param hllOffset the HyperLogLog offset of the filters (8 to 23), or -1 for a count without registers
 * @param readers   the pubkeys the connection has authenticated (NIP-42): events of private kinds count only for
 *                  their parties, as a REQ serves them
 */
public record CountRequest(List<Filter> filters, int hllOffset, List<String> readers) {
    public CountRequest {
        filters = List.copyOf(filters);
        readers = List.copyOf(readers);
    }
}
